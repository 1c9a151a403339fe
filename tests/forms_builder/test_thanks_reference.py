"""The thanks page gives the customer a number to quote: the ticket's 受理编号 when the submission opened one, else the
submission's reference. The submission travels in the thanks address signed, so changing a number in it shows
nothing of anyone's submission."""

import re
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.urls import reverse

from forms_builder.errors import (
    MSG_CASE_NUMBER,
    MSG_SUBMISSION_REFERENCE,
    MSG_THANKS_FOLLOW_UP,
    MSG_THANKS_RECORDED,
)
from forms_builder.models import FormSubmission
from forms_builder.services import form_settings_save, form_submit
from forms_builder.tokens import REFERENCE_SALT, reference_token
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tickets.models import Ticket

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}
URL = reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"})
THANKS = reverse("forms_public:thanks", kwargs={"org": "acme", "slug": "repair"})


def _reference(client, location):
    page = client.get(location)
    assert page.status_code == 200 and 'data-testid="form-thanks"' in page.content.decode()
    html = page.content.decode()
    if 'data-testid="form-reference"' not in html:
        return ""
    return re.sub(r"<[^>]+>", "", html.split('data-testid="form-reference">', 1)[1].split("</p>", 1)[0])


def _thanks_message(client, location):
    html = client.get(location).content.decode()
    return html.split('data-testid="form-thanks-message">', 1)[1].split("</p>", 1)[0]


def test_a_repair_request_is_thanked_with_its_case_number(client, organization, repair):
    sent = client.post(URL, GOOD)
    assert sent.status_code == 302 and urlsplit(sent["Location"]).path == THANKS
    with tenant_scope(organization):
        ticket = Ticket.objects.get()
        assert FormSubmission.objects.get().outcome["number"] == ticket.number
    assert _reference(client, sent["Location"]) == str(MSG_CASE_NUMBER % {"number": ticket.number})


def test_a_survey_is_thanked_with_its_submission_reference(client, organization):
    with tenant_scope(organization):
        published_form(organization, slug="survey", purpose="survey", schema=repair_schema())
    sent = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "survey"}), GOOD)
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
    assert _reference(client, sent["Location"]) == str(MSG_SUBMISSION_REFERENCE % {"reference": submission.pk})


def test_the_reference_stays_beside_the_edit_link_and_after_an_edit(client, organization, repair):
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
    sent = client.post(URL, GOOD)
    with tenant_scope(organization):
        number = Ticket.objects.get().number
    page = client.get(sent["Location"]).content.decode()
    assert 'data-testid="form-edit-link"' in page
    assert _reference(client, sent["Location"]) == str(MSG_CASE_NUMBER % {"number": number})
    edit = parse_qs(urlsplit(sent["Location"]).query)["edit"][0]
    edited = client.post(reverse("forms_public:edit", kwargs={"org": "acme", "slug": "repair", "token": edit}),
                         {**GOOD, "fault_code": "E08"})
    assert edited.status_code == 302
    assert _reference(client, edited["Location"]) == str(MSG_CASE_NUMBER % {"number": number})


def test_a_changed_or_foreign_reference_shows_nothing(client, organization, repair):
    with tenant_scope(organization):
        mine = form_submit(form=repair, data=GOOD)
        theirs = form_submit(form=repair, data={**GOOD, "name": "王五", "mobile": "13900002222"})
        survey = published_form(organization, slug="survey", purpose="survey", schema=repair_schema())
        on_the_survey = form_submit(form=survey, data=GOOD)
    assert _reference(client, f"{THANKS}?ref={reference_token(mine)}")  # the real one shows
    payload, signature = reference_token(mine).split(":", 1)
    forged_payload = signing.Signer(salt=REFERENCE_SALT).sign_object(
        {"o": organization.pk, "f": repair.pk, "s": theirs.pk}).split(":", 1)[0]
    tampered = [
        f"{forged_payload}:{signature}",  # another submission's id with my signature
        signing.Signer(key="not-our-secret", salt=REFERENCE_SALT).sign_object(
            {"o": organization.pk, "f": repair.pk, "s": theirs.pk}),  # signed by someone else
        signing.dumps({"o": organization.pk, "f": repair.pk, "s": theirs.pk}, salt="forms_builder.identity"),
        reference_token(on_the_survey),  # a real reference of another form
        str(theirs.pk),
        "",
    ]
    for token in tampered:
        assert _reference(client, f"{THANKS}?ref={token}") == "", token


def test_the_number_to_quote_is_one_unbreakable_selectable_piece(client, organization, repair):
    sent = client.post(URL, GOOD)
    with tenant_scope(organization):
        number = Ticket.objects.get().number
    html = client.get(sent["Location"]).content.decode()
    assert (f'<span class="text-nowrap user-select-all" data-testid="form-reference-number">{number}</span>'
            in html)


def test_only_a_submission_that_opened_a_ticket_is_promised_an_answer(client, organization, repair):
    sent = client.post(URL, GOOD)
    assert _thanks_message(client, sent["Location"]) == str(MSG_THANKS_FOLLOW_UP)
    with tenant_scope(organization):
        published_form(organization, slug="survey", purpose="survey", schema=repair_schema())
    surveyed = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "survey"}), GOOD)
    assert surveyed.status_code == 302
    message = _thanks_message(client, surveyed["Location"])
    assert message == str(MSG_THANKS_RECORDED) and message != str(MSG_THANKS_FOLLOW_UP)
    assert message == "您的回答已记录，感谢您抽出时间填写。"  # the page speaks Chinese first
    # A thanks page naming no submission (a dropped bot's, a cut link) promises nothing either.
    assert _thanks_message(client, THANKS) == str(MSG_THANKS_RECORDED)


def test_the_forms_own_thanks_text_wins_over_the_default(client, organization):
    with tenant_scope(organization):
        published_form(organization, slug="survey", purpose="survey",
                       schema={**repair_schema(), "thank_you": "感谢参与！\n祝您生活愉快"})
    sent = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "survey"}), GOOD)
    assert _thanks_message(client, sent["Location"]) == "感谢参与！<br>祝您生活愉快"

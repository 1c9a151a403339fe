"""The submissions on a form's page and its submissions list: the 客户 and 工单 columns only where a submission can
fill them, a ticket number linked only for a viewer who may open the ticket, and the newest ten on the form's page."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from forms_builder.models import Form, FormSubmission
from forms_builder.services import form_submit
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form

GOOD = {"name": "张三", "mobile": "13812345678", "problem": "fault", "fault_code": "E12"}
SURVEY = {"sections": [{"key": "s", "fields": [
    {"key": "stars", "type": "single_choice", "label": "满意度", "required": True,
     "options": [{"value": "5", "label": "很满意"}, {"value": "1", "label": "不满意"}]}]}]}


def _headings(html):
    head = html.split('data-testid="submission-table"', 1)[1].split("</thead>", 1)[0]
    cells = {re.sub(r"<[^>]+>|\s", "", cell) for cell in head.split("</th>")}
    return {word for word in ("客户", "工单") if word in cells}


def test_a_survey_lists_no_customer_or_ticket_column_and_an_intake_form_does(client, ops_admin, organization):
    """A survey's page and its submissions list read "—" under 客户 and 工单 on every row: a survey opens no ticket
    and matches no customer."""
    with tenant_scope(organization):
        survey = published_form(organization, slug="nps", purpose=Form.Purpose.SURVEY, schema=SURVEY, name="回访")
        intake = published_form(organization, slug="repair")
        form_submit(form=survey, data={"stars": "5"})
        form_submit(form=intake, data=GOOD)
    client.force_login(ops_admin)
    for name in ("forms_builder:form-detail", "forms_builder:submission-list"):
        assert _headings(client.get(reverse(name, args=[survey.pk])).content.decode()) == set(), name
        assert _headings(client.get(reverse(name, args=[intake.pk])).content.decode()) == {"客户", "工单"}, name


def test_a_ticket_number_links_only_for_a_viewer_who_may_open_the_ticket(client, ops_admin, make_user,
                                                                         organization):
    """A supervisor sees the form's submissions but not a ticket outside their teams: its number is plain text for
    them (the link led to a refusal), a link for ops."""
    with tenant_scope(organization):
        intake = published_form(organization, slug="repair")
        submission = form_submit(form=intake, data=GOOD)
    supervisor = make_user(organization, Role.SUPERVISOR, username="sup-acme")
    number, ticket_url = submission.outcome["number"], reverse("tickets:ticket-detail",
                                                               args=[submission.outcome["ticket_id"]])
    for name in ("forms_builder:form-detail", "forms_builder:submission-list"):
        url = reverse(name, args=[intake.pk])
        client.force_login(ops_admin)
        assert f'href="{ticket_url}"' in client.get(url).content.decode(), name
        client.force_login(supervisor)
        page = client.get(url)
        assert page.status_code == 200 and number in page.content.decode(), name
        assert ticket_url not in page.content.decode() and client.get(ticket_url).status_code in (403, 404)


def test_the_form_page_shows_the_ten_newest_and_links_to_all(client, ops_admin, organization):
    with tenant_scope(organization):
        survey = published_form(organization, slug="nps", purpose=Form.Purpose.SURVEY, schema=SURVEY, name="回访")
        for _n in range(12):
            form_submit(form=survey, data={"stars": "5"})
        submissions = list(FormSubmission.objects.filter(form=survey).order_by("pk"))
        for n, submission in enumerate(submissions):
            FormSubmission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(hours=12 - n))
    client.force_login(ops_admin)
    html = client.get(reverse("forms_builder:form-detail", args=[survey.pk])).content.decode()
    shown = [s.pk for s in submissions if reverse("forms_builder:submission-detail", args=[survey.pk, s.pk]) in html]
    assert shown == [s.pk for s in submissions[2:]]
    assert 'data-testid="submission-recent-note"' in html and "共 12 份" in html
    assert reverse("forms_builder:submission-list", args=[survey.pk]) in html
    assert "?page=2" not in html

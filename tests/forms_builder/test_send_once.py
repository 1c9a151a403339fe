"""One page, one submission: the public form carries a one-time key, and the same page sent twice (two quick taps on
提交, a browser posting again after a slow network) makes one submission and one ticket, both sends thanked alike.
The unique (organization, form, submit_key) decides, so two sends at the same moment make one too."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from forms_builder.models import FormSubmission
from forms_builder.services import form_settings_save, form_submit
from scrm.models import Customer
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tickets.models import Ticket

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}
URL = reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"})
THANKS = reverse("forms_public:thanks", kwargs={"org": "acme", "slug": "repair"})


def _key(page):
    return re.search(r'name="_key" value="([A-Za-z0-9_-]{16,64})"', page.content.decode()).group(1)


def _counts(organization):
    with tenant_scope(organization):
        return FormSubmission.objects.count(), Ticket.objects.count()


def test_the_same_page_sent_twice_makes_one_submission_and_one_ticket(client, organization, repair):
    key = _key(client.get(URL))
    first, second = (client.post(URL, {**GOOD, "_key": key}) for _ in range(2))
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"]
    assert _counts(organization) == (1, 1)
    with tenant_scope(organization):
        assert FormSubmission.objects.get().submit_key == key


def test_a_second_send_lands_on_the_same_edit_link(client, organization, repair):
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
    key = _key(client.get(URL))
    first = client.post(URL, {**GOOD, "_key": key})
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):  # the browser tried again, later
        second = client.post(URL, {**GOOD, "_key": key})
    assert "edit=" in first["Location"] and second["Location"] == first["Location"]
    assert 'data-testid="form-edit-link"' in client.get(second["Location"]).content.decode()
    assert _counts(organization) == (1, 1)


def test_two_pages_make_two_submissions(client, organization, repair):
    keys = [_key(client.get(URL)) for _ in range(2)]
    assert keys[0] != keys[1]
    sent = [client.post(URL, {**GOOD, "_key": key}) for key in keys]
    assert [response.status_code for response in sent] == [302, 302]
    assert _counts(organization) == (2, 2)


def test_a_page_without_a_key_still_sends_as_before(client, organization, repair):
    assert [client.post(URL, GOOD).status_code for _ in range(2)] == [302, 302]
    assert _counts(organization) == (2, 2)


def test_a_refused_page_keeps_its_key(client, organization, repair):
    key = _key(client.get(URL))
    refused = client.post(URL, {**GOOD, "fault_code": "X1", "_key": key})
    assert refused.status_code == 400 and _key(refused) == key and _counts(organization) == (0, 0)
    assert client.post(URL, {**GOOD, "_key": key}).status_code == 302
    assert client.post(URL, {**GOOD, "_key": key}).status_code == 302
    assert _counts(organization) == (1, 1)


def test_a_second_send_is_thanked_though_the_captcha_and_the_budget_are_used_up(client, organization, repair,
                                                                                 settings):
    settings.FORMS_SUBMIT_LIMIT = 1
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=0, captcha=True, webhook_url="")
    page = client.get(URL)
    key = _key(page)
    picture = re.search(r'name="_captcha-captcha_0" value="([0-9a-f]{40})"', page.content.decode()).group(1)
    answer = CaptchaStore.objects.get(hashkey=picture).response
    data = {**GOOD, "_key": key, "_captcha-captcha_0": picture, "_captcha-captcha_1": answer}
    first, second = client.post(URL, data), client.post(URL, data)
    assert (first.status_code, second.status_code) == (302, 302) and second["Location"] == first["Location"]
    assert first["Location"].startswith(THANKS)
    assert _counts(organization) == (1, 1)


def test_a_survey_sent_twice_is_stored_once(client, organization):
    with tenant_scope(organization):
        published_form(organization, slug="survey", purpose="survey", schema=repair_schema())
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "survey"})
    key = _key(client.get(url))
    assert [client.post(url, {**GOOD, "_key": key}).status_code for _ in range(2)] == [302, 302]
    assert _counts(organization) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_moment_make_one_submission(organization, repair):
    """The first send has stored its row but not committed when the second arrives: the second waits on the key's
    unique index, then finds the first's submission (not a server error, not a second submission)."""
    key = "k" * 32
    inserted, outcome = threading.Event(), {}

    def first_send():
        try:
            with transaction.atomic():
                outcome["first"] = form_submit(form=repair, data=GOOD, submit_key=key).pk
                inserted.set()
                with connection.cursor() as cursor:  # hold the transaction until the second send waits on it
                    for _ in range(200):
                        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")
                        if cursor.fetchone()[0]:
                            break
                        threading.Event().wait(0.05)
        finally:
            connection.close()

    thread = threading.Thread(target=first_send)
    thread.start()
    try:
        assert inserted.wait(60)
        second = form_submit(form=repair, data={**GOOD, "name": "王五"}, submit_key=key)
    finally:
        thread.join(60)
    assert second.pk == outcome["first"]
    with tenant_scope(organization):
        assert (FormSubmission.objects.count(), Ticket.objects.count()) == (1, 1)
        assert list(Customer.objects.values_list("display_name", flat=True)) == ["李四"]

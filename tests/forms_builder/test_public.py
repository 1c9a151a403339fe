"""The public form page: no sign-in, CSRF, honeypot, rate limit, prefill, thank-you page."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_builder.errors import MSG_RATE_LIMITED
from forms_builder.models import Form, FormSubmission
from forms_builder.services import form_update
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tickets.models import Ticket

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}


@pytest.fixture
def repair(organization):
    with tenant_scope(organization):
        return published_form(organization, schema=repair_schema(subject_field="problem"))


def _url(name="form"):
    return reverse(f"forms_public:{name}", kwargs={"org": "acme", "slug": "repair"})


def test_anyone_opens_the_form_prefilled_from_the_address(client, repair):
    page = client.get(_url() + "?name=%E7%8E%8B%E4%BA%94&problem=install&bogus=1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "故障代码" in html and 'value="王五"' in html
    assert '<option value="install" selected>' in html
    assert 'id="public-form-logic"' in html and "forms_public.js" in html


def test_a_submission_opens_a_ticket_and_thanks(client, repair, organization):
    response = client.post(_url(), {**GOOD, "problem": "install", "fault_code": "should be dropped"})
    assert response.status_code == 302 and response["Location"].startswith(_url("thanks") + "?ref=")
    assert 'data-testid="form-thanks"' in client.get(response["Location"]).content.decode()
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert "fault_code" not in submission.data
        assert submission.ip == "127.0.0.1"
        ticket = Ticket.objects.get()
        assert ticket.subject == "报修：安装咨询" and ticket.customer.display_name == "李四"


def test_a_bad_answer_is_shown_beside_its_field_and_nothing_is_stored(client, repair, organization):
    response = client.post(_url(), {**GOOD, "fault_code": "X1"})
    assert response.status_code == 400
    assert 'data-testid="error-fault_code"' in response.content.decode()
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists() and not Ticket.objects.exists()


def test_the_post_needs_its_csrf_token(repair, organization):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url(), GOOD).status_code == 403
    page = strict.get(_url())
    token = page.cookies["csrftoken"].value
    assert strict.post(_url(), {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302


def test_a_filled_honeypot_is_thanked_and_dropped(client, repair, organization):
    response = client.post(_url(), {**GOOD, "_hp": "http://spam"})
    assert response.status_code == 302
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists()


def test_an_address_has_a_budget_of_submissions(client, repair, organization, settings):
    settings.FORMS_SUBMIT_LIMIT = 2
    assert [client.post(_url(), GOOD).status_code for _ in range(2)] == [302, 302]
    refused = client.post(_url(), GOOD)
    assert refused.status_code == 429 and str(MSG_RATE_LIMITED) in refused.content.decode()
    with tenant_scope(organization):
        assert FormSubmission.objects.count() == 2


def test_unknown_draft_and_closed_forms(client, repair, organization):
    assert client.get(reverse("forms_public:form", kwargs={"org": "nope", "slug": "repair"})).status_code == 404
    assert client.get(reverse("forms_public:form", kwargs={"org": "acme", "slug": "nope"})).status_code == 404
    with tenant_scope(organization):
        form_update(form=repair, status=Form.Status.CLOSED)
    assert client.get(_url()).status_code == 410
    assert client.post(_url(), GOOD).status_code == 410


def test_labels_with_html_are_shown_as_text(client, organization):
    schema = {"sections": [{"key": "s", "fields": [
        {"key": "a", "type": "text", "label": "<img src=x onerror=alert(1)>", "help": "<b>bold</b>"}]}]}
    with tenant_scope(organization):
        published_form(organization, slug="xss", schema=schema, purpose="survey")
    html = client.get(reverse("forms_public:form", kwargs={"org": "acme", "slug": "xss"})).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>bold</b>" not in html


_nasty = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
                   st.sampled_from(["fault", "install", "E12", "13812345678", "-1", "1e99", "", "on", "\x00"]))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["name", "mobile", "problem", "fault_code", "detail", "amount", "photo",
                                             "_hp", "csrfmiddlewaretoken", "x"]), _nasty, max_size=7))
def test_random_posts_are_stored_or_refused_never_a_server_error(client, repair, organization, settings, data):
    settings.FORMS_SUBMIT_LIMIT = 10_000
    response = client.post(_url(), data)
    assert response.status_code in (302, 400), (data, response.status_code)
    if response.status_code == 400:
        assert b'data-testid="form-error"' in response.content

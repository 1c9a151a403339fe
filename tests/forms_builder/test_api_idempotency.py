"""A client retrying POST /api/v1/forms/<form>/submissions/ after a timeout made a second submission and a second
ticket. With the same `Idempotency-Key` header a retry now answers the first submission (200, the first 201's
body); keys are per form; a key the column cannot hold is refused, nothing stored."""

import pytest
from rest_framework.test import APIClient

from forms_builder.errors import MSG_IDEMPOTENCY_KEY_INVALID
from forms_builder.models import FormSubmission
from forms_builder.services import form_submit
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.tenancy import api_token
from tickets.models import Ticket

GOOD = {"data": {"name": "周八", "mobile": "13500003333", "problem": "fault", "fault_code": "E44"}}
URL = "/api/v1/forms/repair/submissions/"


@pytest.fixture
def api(organization, repair, make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(make_user(organization, Role.AGENT))}")
    return client


def _counts(organization):
    with tenant_scope(organization):
        return FormSubmission.objects.count(), Ticket.objects.count()


def test_a_retry_with_the_same_key_answers_the_first_submission(api, organization):
    first = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-778-try")
    assert first.status_code == 201
    again = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-778-try")
    assert again.status_code == 200 and again.json() == first.json()
    # Even a retry whose body changed (a client rebuilding it) is the same submission, not a new one.
    changed = api.post(URL, {"data": {**GOOD["data"], "fault_code": "E45"}}, format="json",
                       HTTP_IDEMPOTENCY_KEY="order-778-try")
    assert changed.status_code == 200 and changed.json() == first.json()
    assert _counts(organization) == (1, 1)
    with tenant_scope(organization):
        assert FormSubmission.objects.get().outcome["number"] == Ticket.objects.get().number


def test_different_keys_and_no_key_are_different_submissions(api, organization):
    assert api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="a").status_code == 201
    assert api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="b").status_code == 201
    assert api.post(URL, GOOD, format="json").status_code == 201
    assert api.post(URL, GOOD, format="json").status_code == 201
    assert _counts(organization) == (4, 4)


def test_a_key_belongs_to_its_form(api, organization):
    with tenant_scope(organization):
        published_form(organization, slug="survey", purpose="survey", schema=repair_schema())
    assert api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    other = api.post("/api/v1/forms/survey/submissions/", GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201
    with tenant_scope(organization):
        assert sorted(FormSubmission.objects.values_list("form__slug", flat=True)) == ["repair", "survey"]


@pytest.mark.parametrize("key", ["x" * 65, "钥匙", "with space", "tab\there"])
def test_a_key_the_column_cannot_hold_is_refused_and_nothing_is_stored(api, organization, key):
    refused = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert refused.status_code == 400
    assert refused.json() == {"detail": str(MSG_IDEMPOTENCY_KEY_INVALID % {"max": 64})}
    assert refused.json()["detail"].startswith("Idempotency-Key 请求头最多 64 个字符")
    assert _counts(organization) == (0, 0)


def test_a_key_of_the_longest_length_is_taken(api, organization):
    assert api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="x" * 64).status_code == 201
    assert api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="x" * 64).status_code == 200
    assert _counts(organization) == (1, 1)


def test_the_schema_documents_the_header(api):
    schema = api.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/forms/{slug}/submissions/"]["post"]
    (header,) = [p for p in post["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and not header.get("required") and "200" in header["description"]
    assert set(post["responses"]) >= {"200", "201"}
    get = schema["paths"]["/api/v1/forms/{slug}/submissions/"]["get"]
    assert not [p for p in get.get("parameters", ()) if p["in"] == "header"]


def test_the_service_tells_a_second_send_of_a_key_it_was_sent_before(organization, repair):
    # What the API reads when two sends of one key race past its shortcut: the unique key decides, the second is
    # answered the first's submission, marked as sent before (so the API answers it 200, not 201).
    with tenant_scope(organization):
        first = form_submit(form=repair, data=GOOD["data"], source=FormSubmission.Source.API, submit_key="race")
        second = form_submit(form=repair, data=GOOD["data"], source=FormSubmission.Source.API, submit_key="race")
    assert (first.sent_before, second.sent_before) == (False, True) and second.pk == first.pk
    assert _counts(organization) == (1, 1)

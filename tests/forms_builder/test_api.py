"""/api/v1/forms/: schemas read-only; submissions listed and created through the same validation."""

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from forms_builder.errors import MSG_FIELDS_FORM_NOT_SUBMITTED
from forms_builder.models import Form, FormSubmission
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form
from tests.scrm.factories import OrganizationFactory
from tests.tenancy import api_token
from tickets.models import Ticket

GOOD = {"name": "周八", "mobile": "13500003333", "problem": "fault", "fault_code": "E44"}


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_schemas_are_listed_and_read_by_slug(organization, make_user):
    with tenant_scope(organization):
        published_form(organization)
    client = _api(make_user(organization, Role.OPS_ADMIN))
    listed = client.get("/api/v1/forms/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["slug"] for row in rows] == ["repair"]
    one = client.get("/api/v1/forms/repair/").json()
    assert one["version"] == 1 and one["schema"]["sections"][0]["fields"][3]["key"] == "fault_code"
    assert client.post("/api/v1/forms/", {}, format="json").status_code == 405


def test_a_submission_through_the_api_is_validated_like_the_page(organization, make_user):
    with tenant_scope(organization):
        published_form(organization)
    client = _api(make_user(organization, Role.AGENT))
    refused = client.post("/api/v1/forms/repair/submissions/",
                          {"data": {**GOOD, "fault_code": "X", "amount": {"nested": 1}}}, format="json")
    assert refused.status_code == 400 and set(refused.json()["problems"]) == {"fault_code"}
    created = client.post("/api/v1/forms/repair/submissions/", {"data": {**GOOD, "amount": 12}}, format="json")
    assert created.status_code == 201 and created.json()["data"]["amount"] == "12.00"
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.source == "api" and Ticket.objects.filter(pk=submission.outcome["ticket_id"]).exists()
    assert _api(make_user(organization, Role.OPS_ADMIN)).get(
        "/api/v1/forms/repair/submissions/").json()["results"][0]["id"] == submission.pk
    finance = _api(make_user(organization, Role.FINANCE))  # no right on forms at all
    assert finance.get("/api/v1/forms/repair/submissions/").status_code == 403
    assert finance.post("/api/v1/forms/repair/submissions/", {"data": GOOD}, format="json").status_code == 403


def test_another_organizations_form_is_not_found(organization, make_user):
    with tenant_scope(organization):
        published_form(organization)
    with platform_scope():
        other = OrganizationFactory()
    client = _api(make_user(other, Role.OPS_ADMIN))
    assert client.get("/api/v1/forms/repair/").status_code == 404
    assert client.post("/api/v1/forms/repair/submissions/", {"data": GOOD}, format="json").status_code == 404


def test_a_ticket_type_fields_form_takes_no_submission_through_the_api_nor_the_public_page(organization, make_user):
    """A "ticket-type fields" form is answered on its ticket: a submission sent on its own (API or public page)
    would belong to no ticket. The service refuses it with a clear message; nothing is written."""
    with tenant_scope(organization):
        published_form(organization, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS, name="安装单")
    client = _api(make_user(organization, Role.OPS_ADMIN))

    refused = client.post("/api/v1/forms/install-fields/submissions/", {"data": GOOD}, format="json")

    assert refused.status_code == 400
    assert refused.json()["detail"] == str(MSG_FIELDS_FORM_NOT_SUBMITTED)
    public = reverse("forms_public:form", kwargs={"org": "acme", "slug": "install-fields"})
    assert Client().get(public).status_code == 404
    assert Client().post(public, GOOD).status_code == 404
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists() and not Ticket.objects.exists()


def test_the_api_reads_forms_and_their_submissions_under_the_pages_rule(organization, make_user):
    """The forms pages (list, submissions, exports) are the forms module's: ops and supervisors. The API read them
    under the model permissions alone, so an agent or a viewer (who hold "view submissions" for the customer
    timeline) could list every answer of every form through /api/v1/forms/. The same rule now answers both; an
    agent still sends a submission for a customer (staff intake)."""
    with tenant_scope(organization):
        published_form(organization)
    for role in (Role.AGENT, Role.VIEWER):
        client = _api(make_user(organization, role))
        assert client.get("/api/v1/forms/").status_code == 403, role
        assert client.get("/api/v1/forms/repair/").status_code == 403, role
        assert client.get("/api/v1/forms/repair/submissions/").status_code == 403, role
    agent = _api(make_user(organization, Role.AGENT, username="agent-sends"))
    assert agent.post("/api/v1/forms/repair/submissions/", {"data": GOOD}, format="json").status_code == 201
    supervisor = _api(make_user(organization, Role.SUPERVISOR))
    assert supervisor.get("/api/v1/forms/").status_code == 200
    assert supervisor.get("/api/v1/forms/repair/submissions/").json()["count"] == 1

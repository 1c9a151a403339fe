"""GET /api/v1/forms/<slug>/submissions/ in the house pages, filtered like the submissions list, with the same number
of queries for a short page as for a full one; POST validates exactly as the public page does."""

import pytest
from rest_framework.test import APIClient

from forms_builder.models import FormSubmission
from forms_builder.services import form_submit
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.tenancy import api_token

GOOD = {"name": "周八", "mobile": "13500003333", "problem": "fault", "fault_code": "E44"}
URL = "/api/v1/forms/survey/submissions/"
SURVEY = {"sections": [{"key": "s", "fields": [
    {"key": "name", "type": "text", "label": "姓名"},
    {"key": "stars", "type": "rating", "label": "评分"},
    {"key": "problem", "type": "dropdown", "label": "问题",
     "options": [{"value": "fault", "label": "故障"}, {"value": "other", "label": "其他"}]},
    {"key": "code", "type": "code", "label": "故障代码", "regex": "E\\d{2}", "required": True,
     "visible_if": {"conditions": [{"field": "problem", "op": "equals", "value": "fault"}]}},
]}]}


@pytest.fixture
def api(organization, make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(make_user(organization, Role.OPS_ADMIN))}")
    return client


@pytest.fixture
def survey(organization):
    with tenant_scope(organization):
        return published_form(organization, slug="survey", purpose="survey", schema=SURVEY)


def _add(organization, form, count, start=0):
    with tenant_scope(organization):
        for n in range(start, start + count):
            form_submit(form=form, data={"name": f"客户{n}", "stars": str(n % 5 + 1), "problem": "other"})


def test_the_list_is_paged_newest_first(api, organization, survey):
    _add(organization, survey, 53)

    first = api.get(URL).json()
    second = api.get(first["next"]).json()

    assert first["count"] == 53 and len(first["results"]) == 50 and len(second["results"]) == 3
    assert first["results"][0]["data"]["name"] == "客户52" and second["results"][-1]["data"]["name"] == "客户0"
    assert second["next"] is None and first["results"][0]["version"] == 1


def test_the_list_filters_on_answers_like_the_page(api, organization, survey):
    _add(organization, survey, 10)

    rows = api.get(URL, {"a_stars": ["5"], "a_name": "客户"}).json()["results"]

    assert sorted(row["data"]["name"] for row in rows) == ["客户4", "客户9"]


def test_a_short_page_and_a_full_page_cost_the_same_queries(api, organization, survey,
                                                            django_assert_max_num_queries):
    _add(organization, survey, 5)
    with django_assert_max_num_queries(20) as short:
        assert len(api.get(URL).json()["results"]) == 5
    _add(organization, survey, 60, start=5)
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert len(api.get(URL).json()["results"]) == 50
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert len(api.get(URL, {"page": 2}).json()["results"]) == 15


def test_create_applies_the_logic_and_checks_like_the_public_page(api, organization, survey):
    hidden = api.post(URL, {"data": {"name": "甲", "problem": "other", "code": "whatever"}}, format="json")
    assert hidden.status_code == 201 and hidden.json()["data"] == {"name": "甲", "problem": "other"}

    refused = api.post(URL, {"data": {"name": "乙", "problem": "fault", "code": "X1", "stars": 9}}, format="json")
    assert refused.status_code == 400 and set(refused.json()["problems"]) == {"code", "stars"}

    missing = api.post(URL, {"data": {"name": "丙", "problem": "fault"}}, format="json")
    assert missing.status_code == 400 and set(missing.json()["problems"]) == {"code"}
    with tenant_scope(organization):
        assert FormSubmission.objects.count() == 1


def test_an_intake_submission_through_the_api_opens_its_ticket(api, organization):
    with tenant_scope(organization):
        published_form(organization, schema=repair_schema())
    created = api.post("/api/v1/forms/repair/submissions/", {"data": GOOD}, format="json")
    assert created.status_code == 201 and created.json()["outcome"]["number"]


def test_a_closed_form_takes_no_answers_from_the_api_as_its_public_page_takes_none(api, organization, survey):
    from forms_builder.errors import MSG_FORM_CLOSED
    from forms_builder.services import form_update

    with tenant_scope(organization):
        form_update(form=survey, status="closed")

    response = api.post(URL, {"data": {"name": "周八", "problem": "other"}}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == str(MSG_FORM_CLOSED)
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists()

"""The ops pages: list, create, editor endpoints (draft, preview, publish), detail, submission, export."""

import json

from django.urls import reverse

from forms_builder.models import Form, FormVersion
from forms_builder.selectors import form_summary
from forms_builder.services import form_submit
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema

GOOD = {"name": "张三", "mobile": "13812345678", "problem": "fault", "fault_code": "E12"}


def _json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_list_shows_which_purpose_it_is_filtered_by(client, ops_admin, organization):
    """The purpose buttons above the forms all looked the same whichever was chosen: nothing said that the list was
    only the surveys."""
    import re

    with tenant_scope(organization):
        published_form(organization, slug="repair")
    client.force_login(ops_admin)

    def current(url):
        page = client.get(url).content.decode()
        return re.findall(r'<a href="([^"]*)" class="[^"]* active" aria-current="true">', page)

    assert current("/forms/") == ["?"]
    assert current("/forms/?purpose=survey") == ["?purpose=survey"]


def test_ops_creates_edits_and_publishes_a_form(client, ops_admin, organization):
    client.force_login(ops_admin)
    assert client.get(reverse("forms_builder:index")).status_code == 200
    response = client.post(reverse("forms_builder:form-create"),
                           {"name": "投诉", "slug": "complaint", "purpose": "intake"})
    with tenant_scope(organization):
        form = Form.objects.get(slug="complaint")
    assert response["Location"] == reverse("forms_builder:form-edit", args=[form.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"fe-data" in page.content

    bad = repair_schema()
    bad["sections"][0]["fields"][2]["options"] = []
    refused = _json(client, reverse("forms_builder:form-draft", args=[form.pk]), {"schema": bad})
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["path"] == "sections/0/fields/2/options"

    preview = _json(client, reverse("forms_builder:form-preview", args=[form.pk]), {"schema": repair_schema()})
    assert b'data-testid="preview-form"' in preview.content and "故障代码" in preview.content.decode()

    published = _json(client, reverse("forms_builder:form-publish", args=[form.pk]), {"schema": repair_schema()})
    assert published.json()["ok"] and published.json()["number"] == 1
    with tenant_scope(organization):
        assert FormVersion.objects.get(form=form).schema == repair_schema()
    detail = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
    assert "/f/acme/complaint/" in detail and "v1" in detail


def test_a_duplicate_address_is_refused_on_the_page(client, ops_admin, organization):
    client.force_login(ops_admin)
    with tenant_scope(organization):
        published_form(organization)
    response = client.post(reverse("forms_builder:form-create"), {"name": "x", "slug": "repair", "purpose": "intake"})
    assert response.status_code == 400 and b'data-testid="create-error"' in response.content


def test_submissions_render_with_their_version_and_export_without_formulas(client, ops_admin, organization,
                                                                          django_assert_max_num_queries):
    with tenant_scope(organization):
        form = published_form(organization, purpose="survey")
        submissions = [form_submit(form=form, data={**GOOD, "name": f"=cmd|' /C calc'!A{n}"}) for n in range(5)]
    client.force_login(ops_admin)
    with django_assert_max_num_queries(20):
        detail = client.get(reverse("forms_builder:form-detail", args=[form.pk]))
    assert detail.status_code == 200
    assert 'data-testid="form-summary"' in detail.content.decode()
    with tenant_scope(organization):
        problem = next(entry for entry in form_summary(form) if entry["key"] == "problem")
    assert problem["rows"][0] == {"label": "设备故障", "count": 5, "percent": 100} and problem["total"] == 5
    page = client.get(reverse("forms_builder:submission-detail", args=[form.pk, submissions[0].pk])).content.decode()
    assert "故障代码" in page and "E12" in page
    csv = client.get(reverse("forms_builder:submission-export-csv", args=[form.pk])).content.decode("utf-8-sig")
    assert "姓名" in csv and "'=cmd" in csv and "\n=cmd" not in csv and ",=cmd" not in csv
    xlsx = client.get(reverse("forms_builder:submission-export-xlsx", args=[form.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_export_headers_are_in_the_readers_language(client, ops_admin, organization):
    """The CSV and Excel exports headed their first columns "submitted, version, customer, ticket" in English on a
    Chinese page, while the list above them said 提交时间 · 版本 · 客户 · 工单."""
    import csv as csv_module
    import io

    from openpyxl import load_workbook

    with tenant_scope(organization):
        form = published_form(organization, purpose="survey")
        form_submit(form=form, data=GOOD)
    client.force_login(ops_admin)
    body = client.get(reverse("forms_builder:submission-export-csv", args=[form.pk])).content.decode("utf-8-sig")
    header = next(csv_module.reader(io.StringIO(body)))
    assert header[:5] == ["#", "提交时间", "版本", "客户", "工单"] and "姓名" in header
    workbook = load_workbook(io.BytesIO(client.get(reverse("forms_builder:submission-export-xlsx",
                                                           args=[form.pk])).content))
    assert [cell.value for cell in next(workbook.active.iter_rows(max_row=1))][:5] == ["#", "提交时间", "版本", "客户",
                                                                                     "工单"]

    client.cookies["django_language"] = "en"
    body = client.get(reverse("forms_builder:submission-export-csv", args=[form.pk])).content.decode("utf-8-sig")
    assert next(csv_module.reader(io.StringIO(body)))[:5] == ["#", "Submitted", "Version", "Customer", "Ticket"]


def test_who_may_open_and_change_forms(client, make_user, organization):
    with tenant_scope(organization):
        form = published_form(organization)
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)
    assert client.get(reverse("forms_builder:index")).status_code == 403
    supervisor = make_user(organization, Role.SUPERVISOR)
    client.force_login(supervisor)
    assert client.get(reverse("forms_builder:form-detail", args=[form.pk])).status_code == 200
    assert client.get(reverse("forms_builder:form-edit", args=[form.pk])).status_code == 403
    assert _json(client, reverse("forms_builder:form-publish", args=[form.pk]), {}).status_code == 403


def test_another_organizations_form_is_not_found(client, make_user, organization):
    from scrm.platform.tenancy import platform_scope
    from tests.scrm.factories import OrganizationFactory

    with tenant_scope(organization):
        form = published_form(organization)
    with platform_scope():
        other = OrganizationFactory()
    client.force_login(make_user(other, Role.OPS_ADMIN))
    for name in ("form-detail", "form-edit"):
        assert client.get(reverse(f"forms_builder:{name}", args=[form.pk])).status_code == 404
    assert _json(client, reverse("forms_builder:form-publish", args=[form.pk]), {}).status_code == 404


def test_text_with_a_nul_or_a_number_beyond_a_float_is_a_problem_with_its_path_not_a_server_error(
        client, ops_admin, organization):
    from forms_builder.schema import MSG_NUL_CHARACTER, MSG_NUMBER_TOO_LARGE

    with tenant_scope(organization):
        form = published_form(organization, slug="nul", purpose="survey", schema=repair_schema())
        draft_before = form.draft_schema
    client.force_login(ops_admin)
    schema = {"sections": [{"key": "s", "fields": [{"key": "a", "type": "text", "label": "姓\u0000名"},
                                                   {"key": "n", "type": "number", "label": "数量", "min": 1e400}]}]}
    for name in ("form-draft", "form-publish"):
        refused = client.post(reverse(f"forms_builder:{name}", args=[form.pk]),
                              json.dumps({"schema": schema}).replace("Infinity", "1e400"),
                              content_type="application/json")
        assert refused.status_code == 400, name
        assert [(p["path"], p["message"]) for p in refused.json()["problems"]] == [
            ("sections/0/fields/0/label", str(MSG_NUL_CHARACTER)),
            ("sections/0/fields/1/min", str(MSG_NUMBER_TOO_LARGE))]
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.draft_schema == draft_before
        assert FormVersion.objects.filter(form=form).count() == 1


def test_a_submission_links_the_ticket_it_opened(client, ops_admin, organization):
    """The submission's page and the form's table named the ticket's number only: people copied it into the tickets'
    search to open it."""
    with tenant_scope(organization):
        form = published_form(organization)
        submission = form_submit(form=form, data=GOOD)
    ticket_id, number = submission.outcome["ticket_id"], submission.outcome["number"]
    link = f'<a href="/tickets/{ticket_id}/" data-testid="submission-ticket">{number}</a>'
    client.force_login(ops_admin)
    page = client.get(reverse("forms_builder:submission-detail", args=[form.pk, submission.pk])).content.decode()
    assert link in page
    assert link in client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()

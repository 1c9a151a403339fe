"""A submission never shows a number its customer's page would hide: the answers to mobile fields reach whoever the
customers' masking rule (scrm.platform.access.user_masks) masks mobiles for as 135****3333, in the API, the form's
page, the submissions list, one submission's page and the CSV/Excel exports; whoever may reveal reads them in full."""

import io

import openpyxl
from django.urls import reverse
from rest_framework.test import APIClient

from forms_builder.services import form_submit, submission_edit
from scrm.models import DataScope, MaskedField, Role
from scrm.platform.tenancy import tenant_scope
from scrm.services import role_assign, role_save
from tests.tenancy import api_token

GOOD = {"name": "周八", "mobile": "13500003333", "problem": "fault", "fault_code": "E44"}
FULL, MASKED = "13500003333", "135****3333"


def _submitted(organization, repair):
    with tenant_scope(organization):
        return form_submit(form=repair, data=GOOD)


def _api_mobile(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = client.get("/api/v1/forms/repair/submissions/")
    assert response.status_code == 200
    return response.json()["results"][0]["data"]["mobile"]


def test_a_reader_whose_role_masks_mobiles_reads_them_masked_in_the_api(organization, make_user, ops_admin, repair):
    """(Agents and viewers read a submission only beside its customer or ticket, not through the forms API:
    tests/forms_builder/test_api.py.)"""
    _submitted(organization, repair)
    checker = make_user(organization, Role.VIEWER, username="qa-outsourced")
    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="外包质检",
                         permissions=["forms_builder.view_form", "forms_builder.view_formsubmission"],
                         modules=["forms"], data_scope=DataScope.ORGANIZATION, masked_fields=[MaskedField.MOBILE])
        role_assign(role=role, user=checker, by=ops_admin)

    assert _api_mobile(checker) == MASKED
    assert _api_mobile(make_user(organization, Role.OPS_ADMIN)) == "+86" + FULL  # may reveal: in full


def test_a_role_that_masks_mobiles_sees_them_masked_on_every_submissions_page_and_export(client, organization,
                                                                                        ops_admin, repair):
    submission = _submitted(organization, repair)
    client.force_login(ops_admin)
    pages = [reverse("forms_builder:form-detail", args=[repair.pk]),
             reverse("forms_builder:submission-list", args=[repair.pk]),
             reverse("forms_builder:submission-detail", args=[repair.pk, submission.pk]),
             reverse("forms_builder:submission-export-csv", args=[repair.pk])]
    assert FULL in client.get(pages[1]).content.decode()  # an ops admin may reveal
    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="外包质检", permissions=[],
                         modules=["forms"], data_scope=DataScope.ORGANIZATION, masked_fields=[MaskedField.MOBILE])
        role_assign(role=role, user=ops_admin, by=ops_admin)

    for url in pages:
        body = client.get(url).content.decode("utf-8-sig")
        assert FULL not in body, url
    for url in pages[1:]:
        assert MASKED in client.get(url).content.decode("utf-8-sig"), url
    workbook = client.get(reverse("forms_builder:submission-export-xlsx", args=[repair.pk])).content
    values = {cell.value for row in openpyxl.load_workbook(io.BytesIO(workbook)).active.iter_rows() for cell in row}
    assert MASKED in values and not any(FULL in str(value) for value in values)


def _history(response):
    """The 'Changes after sending' card of a submission's page."""
    assert response.status_code == 200
    return response.content.decode().split('data-testid="submission-history"', 1)[1]


def test_the_edit_history_shows_a_changed_mobile_masked_to_a_role_that_masks(client, organization, ops_admin,
                                                                              make_user, repair):
    submission = _submitted(organization, repair)
    with tenant_scope(organization):
        submission_edit(submission=submission, data={**GOOD, "mobile": "13900000001"}, actor=ops_admin)
    url = reverse("forms_builder:submission-detail", args=[repair.pk, submission.pk])
    supervisor = make_user(organization, Role.SUPERVISOR, username="supervisor-acme")
    client.force_login(supervisor)  # may reveal: old → new in full, as before
    history = _history(client.get(url))
    assert FULL in history and "13900000001" in history

    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="外包质检", permissions=[],
                         modules=["forms"], data_scope=DataScope.ORGANIZATION, masked_fields=[MaskedField.MOBILE])
        role_assign(role=role, user=supervisor, by=ops_admin)
    body = client.get(url).content.decode()
    assert f"{MASKED}</del> → 139****0001" in _history(client.get(url))
    assert FULL not in body and "13900000001" not in body
    with tenant_scope(organization):  # the record itself stays whole
        assert submission.changes.get().changes[0]["after"] == "+8613900000001"


def _submission_editor_who_masks(organization, ops_admin, make_user):
    """A custom role that may change submissions but sees mobiles masked (外包质检 with the edit right)."""
    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="外包质检", modules=["forms"],
                         permissions=["forms_builder.view_form", "forms_builder.view_formsubmission",
                                      "forms_builder.change_formsubmission"],
                         data_scope=DataScope.ORGANIZATION, masked_fields=[MaskedField.MOBILE])
        user = make_user(organization, Role.VIEWER, username="qa-editor")
        role_assign(role=role, user=user, by=ops_admin)
    return user


def test_a_role_that_masks_mobiles_edits_a_submission_without_ever_seeing_the_number(client, organization,
                                                                                    ops_admin, make_user, repair):
    submission = _submitted(organization, repair)
    client.force_login(_submission_editor_who_masks(organization, ops_admin, make_user))
    url = reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk])

    page = client.get(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{MASKED}"' in body and FULL not in body
    # Refused for another answer: the page comes back as it was sent, the number still masked and not called wrong.
    refused = client.post(url, {**GOOD, "mobile": MASKED, "fault_code": "X1"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'data-testid="error-fault_code"' in body
    assert 'data-testid="error-mobile"' not in body and f'value="{MASKED}"' in body and FULL not in body


def test_saving_a_submission_with_its_masked_mobile_unchanged_keeps_the_number(client, organization, ops_admin,
                                                                               make_user, repair):
    submission = _submitted(organization, repair)
    client.force_login(_submission_editor_who_masks(organization, ops_admin, make_user))
    url = reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk])

    saved = client.post(url, {**GOOD, "mobile": MASKED, "fault_code": "E45"})  # the number left as shown

    assert saved.status_code == 302
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["mobile"] == "+86" + FULL and submission.data["fault_code"] == "E45"  # never the stars
        assert [c["key"] for c in submission.changes.get().changes] == ["fault_code"]
    client.post(url, {**GOOD, "mobile": "13700002222", "fault_code": "E45"})  # a new number typed replaces it
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["mobile"] == "+8613700002222"

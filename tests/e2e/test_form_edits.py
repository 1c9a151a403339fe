"""A customer changes their answers in a real browser on a phone, through the signed link the thank-you page gives
them: the live logic hides the fault code when the problem changes, the server stores the change with its history,
and ops read it on the submission page."""

import pytest
from playwright.sync_api import expect

from forms_builder.models import FormSubmission, FormSubmissionChange
from forms_builder.services import form_settings_save
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.e2e.conftest import login
from tests.forms_builder.factories import published_form, repair_schema
from tests.scrm.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def test_a_customer_changes_their_answers_through_the_link_on_a_phone(browser, page, live_server, organization):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(subject_field="problem"))
        form_settings_save(form=form, edit_days=3, captcha=False, webhook_url="")

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 667}, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    customer = phone.new_page()
    try:
        customer.goto(f"{live_server.url}/f/acme/repair/")
        customer.fill("input[name=name]", "王小明")
        customer.fill("input[name=mobile]", "13912345678")
        customer.select_option("select[name=problem]", "fault")
        customer.fill("input[name=fault_code]", "E09")
        customer.click("[data-testid=form-submit]")
        expect(customer.locator("[data-testid=form-thanks]")).to_be_visible()

        customer.click("[data-testid=form-edit-link]")
        expect(customer.locator("[data-testid=form-editing]")).to_be_visible()
        expect(customer.locator("input[name=fault_code]")).to_have_value("E09")
        customer.select_option("select[name=problem]", "other")
        expect(customer.locator("[data-testid=field-fault_code]")).to_be_hidden()
        customer.click("[data-testid=form-submit]")
        expect(customer.locator("[data-testid=error-detail]")).to_be_visible()  # 其他 needs a description
        customer.fill("textarea[name=detail]", "热水器显示屏不亮")
        customer.click("[data-testid=form-submit]")
        expect(customer.locator("[data-testid=form-edited]")).to_be_visible()
    finally:
        phone.close()

    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.data["problem"] == "other" and "fault_code" not in submission.data
        assert submission.data["detail"] == "热水器显示屏不亮"
        assert FormSubmissionChange.objects.get().by_customer

    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/forms/{form.pk}/submissions/{submission.pk}/")
    change = page.locator("[data-testid=submission-change]")
    expect(change).to_contain_text("客户本人")
    expect(change).to_contain_text("设备故障")
    expect(change).to_contain_text("其他")

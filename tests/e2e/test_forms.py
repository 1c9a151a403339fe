"""The form builder in a real browser: ops drag fields onto a new form, give the fault code a visible-if rule and
publish; a customer fills it on a phone-sized page, where the fault code appears only for 设备故障; a ticket opens."""

import re

import pytest
from playwright.sync_api import expect

from forms_builder.models import Form, FormSubmission
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.e2e


def _set(page, testid, value):
    box = page.locator(f"[data-testid=editor-props] [data-testid={testid}]")
    box.fill(value)
    box.press("Tab") if testid != "prop-options" else box.dispatch_event("change")


def _mouse_drag(page, source, x, y):
    """Press on `source`, move the real mouse to (x, y) in steps and release. SortableJS reads the pointer every
    50 ms while dragging, so each step and the last position are held a little longer than that."""
    box = source.bounding_box()
    start_x, start_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    steps = 10
    for n in range(1, steps + 1):
        page.mouse.move(start_x + (x - start_x) * n / steps, start_y + (y - start_y) * n / steps)
        page.wait_for_timeout(70)
    page.mouse.move(x, y + 1)
    page.wait_for_timeout(300)
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.up()


def _drag(page, kind, section=0):
    """Drag a palette item with the mouse to the bottom of a page of the canvas (below the fields already there)."""
    box = page.locator(f"[data-testid=canvas-section-{section}]").bounding_box()
    _mouse_drag(page, page.locator(f"[data-testid=palette-{kind}]"), box["x"] + 30, box["y"] + box["height"] - 6)


def _keys(page, section=0):
    return page.locator(f"[data-testid=canvas-section-{section}] .fe-card").evaluate_all(
        "cards => cards.map(card => card.dataset.key)")


def _ops_opens_a_new_form(page, live_server, organization, *, name, slug, purpose="intake"):
    """An ops admin signs in and creates a form; the editor opens."""
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/forms/")
    page.fill("#id_name", name)
    page.fill("#id_slug", slug)
    page.select_option("#id_purpose", purpose)
    page.click("[data-testid=form-create-submit]")
    expect(page.locator("[data-testid=editor-canvas]")).to_be_visible()


def test_ops_build_and_publish_a_form_a_customer_fills_it_on_a_phone_and_a_ticket_opens(browser, page, live_server,
                                                                                      organization):
    _ops_opens_a_new_form(page, live_server, organization, name="报修", slug="repair")

    _drag(page, "text")
    expect(page.locator("[data-testid=canvas-field-f1]")).to_be_visible()
    _set(page, "prop-label", "姓名")
    _drag(page, "mobile")
    _set(page, "prop-label", "手机")
    _drag(page, "dropdown")
    _set(page, "prop-label", "问题类型")
    _set(page, "prop-options", "fault|设备故障\ninstall|安装")
    page.click("[data-testid=prop-required]")
    page.locator("[data-testid=palette-code]").click()  # the keyboard way: a click adds it at the end
    _set(page, "prop-label", "故障代码")
    _set(page, "prop-regex", "E\\d{2}")
    page.click("[data-testid=visible_if-add]")
    expect(page.locator("[data-testid=visible_if-field-0]")).to_have_value("f3")
    expect(page.locator("[data-testid=visible_if-value-0]")).to_have_value("fault")
    # Reorder from the keyboard: the name field goes below the mobile and back (undo).
    page.locator("[data-testid=canvas-field-f1]").focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("[data-testid=editor-canvas] .fe-card").first).to_have_attribute("data-key", "f2")
    page.click("[data-testid=editor-undo]")
    expect(page.locator("[data-testid=editor-canvas] .fe-card").first).to_have_attribute("data-key", "f1")
    # Reorder with the mouse: the problem type goes to the top, above the name.
    first = page.locator("[data-testid=canvas-field-f1]").bounding_box()
    _mouse_drag(page, page.locator("[data-testid=canvas-field-f3]"), first["x"] + 30, first["y"] + 4)
    expect(page.locator("[data-testid=editor-canvas] .fe-card").first).to_have_attribute("data-key", "f3")
    assert _keys(page) == ["f3", "f1", "f2", "f4"]
    # The phone preview runs the same logic.
    preview = page.locator("[data-testid=editor-preview]")
    expect(preview.locator("[data-testid=field-f4]")).to_be_hidden()
    preview.locator("select[name=preview-f3]").select_option("fault")
    expect(preview.locator("[data-testid=field-f4]")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=editor-publish]")
    expect(page.locator("[data-testid=form-status]")).to_have_text("已发布")
    expect(page.locator("[data-testid=versions]")).to_contain_text("v1")

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 667}, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    customer = phone.new_page()
    try:
        customer.goto(f"{live_server.url}/f/acme/repair/")
        expect(customer.locator("[data-testid=form-title]")).to_have_text("报修")
        expect(customer.locator("[data-testid=field-f4]")).to_be_hidden()
        customer.fill("input[name=f1]", "王小明")
        customer.fill("input[name=f2]", "13912345678")
        customer.select_option("select[name=f3]", "install")
        expect(customer.locator("[data-testid=field-f4]")).to_be_hidden()
        customer.select_option("select[name=f3]", "fault")
        expect(customer.locator("[data-testid=field-f4]")).to_be_visible()
        customer.fill("input[name=f4]", "E9")
        customer.click("[data-testid=form-submit]")
        expect(customer.locator("[data-testid=error-f4]")).to_be_visible()  # the server refused the pattern
        customer.fill("input[name=f4]", "E09")
        customer.click("[data-testid=form-submit]")
        expect(customer.locator("[data-testid=form-thanks]")).to_be_visible()
    finally:
        phone.close()

    with tenant_scope(organization):
        form = Form.objects.get(slug="repair")
        submission = FormSubmission.objects.get(form=form)
        assert [f["key"] for f in form.current_version.schema["sections"][0]["fields"]] == ["f3", "f1", "f2", "f4"]
        assert submission.data == {"f1": "王小明", "f2": "+8613912345678", "f3": "fault", "f4": "E09"}
        ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
        assert ticket.customer.display_name == "王小明" and "故障代码：E09" in ticket.description


def test_fields_move_between_pages_with_the_mouse_and_undo_puts_them_back(page, live_server, organization):
    _ops_opens_a_new_form(page, live_server, organization, name="预约", slug="booking", purpose="survey")
    _drag(page, "text")
    _drag(page, "date")
    expect(page.locator("[data-testid=canvas-field-f2]")).to_be_visible()
    page.click("#fe-add-section")
    _drag(page, "email", section=1)
    expect(page.locator("[data-testid=canvas-section-1] [data-testid=canvas-field-f3]")).to_be_visible()
    # The date goes to the second page, above the e-mail (dropped just above it, below the page's title).
    target = page.locator("[data-testid=canvas-field-f3]").bounding_box()
    _mouse_drag(page, page.locator("[data-testid=canvas-field-f2]"), target["x"] + 30, target["y"] - 3)
    expect(page.locator("[data-testid=canvas-section-1] [data-testid=canvas-field-f2]")).to_be_visible()
    assert _keys(page, 0) == ["f1"] and _keys(page, 1) == ["f2", "f3"]
    page.click("[data-testid=editor-undo]")
    expect(page.locator("[data-testid=canvas-section-0] [data-testid=canvas-field-f2]")).to_be_visible()
    assert _keys(page, 0) == ["f1", "f2"] and _keys(page, 1) == ["f3"]
    target = page.locator("[data-testid=canvas-field-f3]").bounding_box()  # lower now: page 1 has two fields
    _mouse_drag(page, page.locator("[data-testid=canvas-field-f2]"), target["x"] + 30,
                target["y"] + target["height"] - 4)
    expect(page.locator("[data-testid=canvas-section-1] [data-testid=canvas-field-f2]")).to_be_visible()
    page.click("[data-testid=editor-save]")
    expect(page.locator("[data-testid=editor-status]")).to_contain_text("草稿")
    with tenant_scope(organization):
        draft = Form.objects.get(slug="booking").draft_schema
    assert [[f["key"] for f in section["fields"]] for section in draft["sections"]] == [["f1"], ["f3", "f2"]]


def test_publishing_a_renamed_and_retyped_field_asks_for_the_mapping_of_old_answers(page, live_server, organization):
    from forms_builder.services import form_submit
    from tests.forms_builder.factories import published_form

    schema = {"sections": [{"key": "s", "fields": [
        {"key": "name", "type": "text", "label": "姓名"},
        {"key": "channel", "type": "single_choice", "label": "渠道",
         "options": [{"value": "jd", "label": "京东"}, {"value": "shop", "label": "门店"}]}]}]}
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    with tenant_scope(organization):
        form = published_form(organization, slug="visit", purpose="survey", schema=schema, name="回访")
        form_submit(form=form, data={"name": "张三", "channel": "jd"})
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/forms/{form.pk}/edit/")
    page.click("[data-testid=canvas-field-name]")
    _set(page, "prop-key", "customer_name")
    page.click("[data-testid=remove-channel]")  # the single choice becomes a multiple choice under the same key
    page.locator("[data-testid=palette-multi_choice]").click()
    _set(page, "prop-key", "channel")
    _set(page, "prop-options", "jd|京东\nshop|门店")
    page.click("[data-testid=editor-publish]")
    mapping = page.locator("[data-testid=key-map]")
    expect(mapping).to_be_visible()
    mapping.locator("[data-testid=key-map-rename-name]").select_option("customer_name")
    mapping.locator("[data-testid=key-map-convert-channel]").select_option("convert")
    mapping.locator("[data-testid=key-map-publish]").click()
    expect(page.locator("[data-testid=versions]")).to_contain_text("v2")
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.current_version.key_map == {"renames": {"name": "customer_name"}, "convert": ["channel"]}


def test_the_markers_on_a_field_card_say_what_they_mean_on_hover_and_to_a_screen_reader(page, live_server,
                                                                                        organization):
    from django.utils import translation

    from forms_builder.views import EDITOR_TEXT
    from tests.forms_builder.factories import published_form

    schema = {"sections": [{"key": "s", "fields": [
        {"key": "name", "type": "text", "label": "姓名", "required": True},
        {"key": "kind", "type": "single_choice", "label": "问题类型",
         "options": [{"value": "fault", "label": "设备故障"}, {"value": "other", "label": "其他"}]},
        {"key": "code", "type": "text", "label": "故障代码",
         "visible_if": {"mode": "all", "conditions": [{"field": "kind", "op": "equals", "value": "fault"}]},
         "required_if": {"mode": "all", "conditions": [{"field": "kind", "op": "equals", "value": "fault"}]}}]}]}
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    with tenant_scope(organization):
        form = published_form(organization, slug="markers", purpose="survey", schema=schema, name="标记")
    with translation.override("zh-hans"):  # the page's language
        required, shown_when, required_when = (str(EDITOR_TEXT[key]) for key in
                                               ("flag_required", "flag_visible_if", "flag_required_if"))
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/forms/{form.pk}/edit/")

    code = page.locator("[data-testid=flag-code]")
    expect(code).to_have_count(2)
    assert [code.nth(0).get_attribute("title"), code.nth(1).get_attribute("title")] == [shown_when, required_when]
    assert page.locator("[data-testid=flag-name]").get_attribute("title") == required
    expect(page.locator("[data-testid=flag-kind]")).to_have_count(0)
    # The card's accessible name reads the meaning, not the symbol.
    expect(page.get_by_role("button", name=re.compile(rf"^姓名\s*{required}\s"))).to_have_count(1)
    code_card = re.compile(rf"^故障代码\s*{shown_when}\s*{required_when}\s")
    expect(page.get_by_role("button", name=code_card)).to_have_count(1)

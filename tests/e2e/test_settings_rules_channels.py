"""Routing rules and notification channels in a real browser: ops add a rule from the rules page, move it to the
top, and the rule tester names it; they save an SMS account and the page says the secret is set without showing
it; a queue still used by a rule cannot be deleted and the page says why."""

import pytest
from playwright.sync_api import expect

from scrm.models import Region, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, UserFactory
from tickets.models import Queue, RoutingRule

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(organization):
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    with tenant_scope(organization):
        queue = Queue.objects.create(organization=organization, name="投诉专席", code="complaints")
        RoutingRule.objects.create(organization=organization, name="兜底", position=1, set_priority=3)
        return queue


def test_ops_add_a_rule_move_it_up_and_the_tester_names_it(page, live_server, desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/settings/rules/")
    page.click("[data-testid=rule-new]")
    page.fill("#id_name", "差评升级")
    page.fill("#id_keywords", "差评，投诉")
    page.select_option("#id_set_queue", label="投诉专席")
    page.select_option("#id_set_priority", value="1")
    page.click("[data-testid=rule-save]")
    expect(page.locator("tr[data-rule='差评升级']")).to_be_visible()
    page.locator("tr[data-rule='差评升级'] [data-testid=rule-up]").click()
    expect(page.locator("[data-testid=rule-table] tbody tr").first).to_have_attribute("data-rule", "差评升级")
    page.fill("#id_subject", "我要给差评")
    page.click("[data-testid=rule-test-submit]")
    expect(page.locator("[data-testid=rule-hit]")).to_have_attribute("data-rule", "差评升级")
    assert page.locator("main a[href^='/admin/']").count() == 0

    # The queue the rule sends to cannot be deleted while the rule does.
    page.goto(f"{live_server.url}/tickets/settings/queues/{desk.pk}/")
    page.click("[data-testid=settings-delete] button[data-bs-toggle=collapse]")
    page.click("[data-testid=settings-delete-confirm]")
    expect(page.locator(".alert-danger, [role=alert]").first).to_contain_text("投诉专席")
    with tenant_scope(desk.organization):
        assert Queue.objects.filter(pk=desk.pk).exists()


def test_ops_save_an_sms_account_and_the_secret_is_never_shown(page, live_server, desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/notifications/settings/")
    page.select_option("#id_sms_provider", value="aliyun")
    page.fill("#id_aliyun_access_key_id", "LTAI-demo")
    page.fill("#id_aliyun_access_key_secret", "top-secret-value")
    page.fill("#id_aliyun_sign_name", "星河家电")
    page.fill("#id_aliyun_template_code", "SMS_1")
    page.click("[data-testid=channels-save]")
    expect(page.locator("[data-testid=secret-state-aliyun_access_key_secret]")).to_contain_text("已设置")
    assert "top-secret-value" not in page.content()
    expect(page.locator("[data-testid=channels-sms] .badge").first).to_contain_text("已启用")


def test_ops_name_a_skill_and_make_a_queue_serve_a_region_and_need_it(page, live_server, desk):
    """What only the Django admin used to set, in the product's own pages (the 技能 page, then the queue's)."""
    with tenant_scope(desk.organization):
        region = Region.objects.create(organization=desk.organization, name="华东", code="EAST", level="area",
                                       path="/EAST/")
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/skills/")
    page.fill("#id_name", "投诉处理")
    page.click("[data-testid=skill-save]")
    expect(page.locator("[data-testid=skill-row]")).to_contain_text("投诉处理")
    page.goto(f"{live_server.url}/tickets/settings/queues/{desk.pk}/")
    page.select_option("#id_regions", label="华东")
    page.locator("[data-testid=queue-required_skills]").get_by_label("投诉处理").check()
    page.click("[data-testid=queue-save]")
    page.goto(f"{live_server.url}/tickets/settings/queues/{desk.pk}/")
    expect(page.locator("[data-testid=queue-required_skills]").get_by_label("投诉处理")).to_be_checked()
    with tenant_scope(desk.organization):
        assert list(desk.regions.all()) == [region]
        assert [skill.name for skill in desk.required_skills.all()] == ["投诉处理"]
    assert page.locator("main a[href^='/admin/']").count() == 0


def test_deleting_a_wechat_template_message_asks_first(page, live_server, desk, organization):
    from channels_ingest.models import WeChatTemplate
    from channels_ingest.services.templates import wechat_template_save
    from tests.channels_ingest.conftest import make_account

    with tenant_scope(organization):
        account = make_account(organization)
        ops = account.organization.users.get(username="ops")
        wechat_template_save(account=account, name="工单进展通知", template_id="TPL-abc123",
                             fields_text="first = 您的工单 {ticket_number} 有新进展", by=ops)
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/{account.pk}/templates/")

    page.click("[data-testid=template-delete]")  # one click only asks
    confirm = page.locator("[data-testid=template-delete-confirm]")
    expect(confirm).to_be_visible()
    expect(page.locator("[data-testid=template-list]")).to_contain_text("工单进展通知")
    with tenant_scope(organization):
        assert WeChatTemplate.objects.filter(account=account).count() == 1
    confirm.click()
    expect(page.locator("[data-testid=template-list]")).not_to_contain_text("工单进展通知")
    with tenant_scope(organization):
        assert not WeChatTemplate.objects.filter(account=account).exists()

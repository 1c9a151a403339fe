"""A reply that WeChat refuses, in a real browser with a real worker and the local fake WeChat server: the agent
sees it queued, then not delivered with the reason in Chinese, presses Retry, and sees it delivered, without a
reload. After the 48-hour window, a template message instead."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_ingest.services.templates import wechat_template_save
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.conftest import make_account
from tests.channels_ingest.fakeapi import FakeWeChat
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import Comment

pytestmark = pytest.mark.e2e

SEND = "/cgi-bin/message/custom/send"


@pytest.fixture
def fake_wechat(settings):
    fake = FakeWeChat().start()
    settings.WECHAT_API_BASE_URL = settings.WECOM_API_BASE_URL = fake.base
    yield fake
    fake.stop()


def test_a_refused_reply_shows_why_and_is_delivered_after_retry(page, live_server, organization, celery_worker,
                                                                 fake_wechat):
    account = make_account(organization)
    with platform_scope():
        queue = QueueFactory(organization=organization, name="微信客服", auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="xiaoli")
        customer = CustomerFactory(organization=organization, display_name="王小明")
        ticket = TicketFactory(organization=organization, queue=queue, customer=customer, assignee=agent,
                               channel="wechat_oa", source_ref=f"{account.slug}:oNBtestUser0001")
    with tenant_scope(organization):
        Comment.objects.create(organization=organization, ticket=ticket, customer=customer, body="空调不制冷",
                               channel="wechat_oa", message_id="msg-e2e-1")
    # WeChat refuses the first send (the account lacks the customer-service permission), then ops fix it.
    fake_wechat.answer(SEND, (200, {"errcode": 48001, "errmsg": "api unauthorized"}, None),
                       (200, {"errcode": 0, "errmsg": "ok"}, None))

    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("[data-testid=reply-window-open]")).to_contain_text("48 小时")
    page.fill("[data-testid=reply-body]", "您好，师傅明天上午上门。")
    page.click("[data-testid=reply-submit]")
    expect(page.locator(".alert[role=alert]").first).to_contain_text("回复已加入发送队列")

    reply = page.locator("[data-testid=message][data-kind=reply]").last
    delivery = reply.locator("[data-testid=delivery]")
    expect(delivery).to_have_attribute("data-state", "failed", timeout=20_000)
    expect(delivery).to_contain_text("未送达")
    expect(delivery.locator("[data-testid=delivery-reason]")).to_contain_text("该账号无权使用客服消息")
    expect(delivery).not_to_contain_text("api unauthorized")

    delivery.locator("[data-testid=delivery-retry]").click()
    expect(page.locator(".alert[role=alert]").first).to_contain_text("已重新加入发送队列")
    delivery = page.locator("[data-testid=message][data-kind=reply]").last.locator("[data-testid=delivery]")
    expect(delivery).to_have_attribute("data-state", "sent", timeout=20_000)
    expect(delivery).to_contain_text("已送达微信")
    expect(delivery.locator("[data-testid=delivery-retry]")).to_have_count(0)
    assert len(fake_wechat.calls_to(SEND)) == 2


TEMPLATE_SEND = "/cgi-bin/message/template/send"


def test_after_48_hours_the_reply_box_refuses_and_a_template_message_is_delivered(
        page, live_server, organization, celery_worker, fake_wechat, ops_admin):
    """The customer last wrote 50 hours ago: the reply box says why a reply cannot go and offers the account's
    template message; the agent sends it and sees it delivered by the worker through the fake WeChat."""
    account = make_account(organization)
    with platform_scope():
        queue = QueueFactory(organization=organization, name="微信客服", auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="xiaoli")
        customer = CustomerFactory(organization=organization, display_name="王小明")
        ticket = TicketFactory(organization=organization, queue=queue, customer=customer, assignee=agent,
                               channel="wechat_oa", source_ref=f"{account.slug}:oNBtestUser0002")
    with tenant_scope(organization):
        message = Comment.objects.create(organization=organization, ticket=ticket, customer=customer,
                                         body="空调不制冷", channel="wechat_oa", message_id="msg-e2e-2")
        Comment.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=50))
        wechat_template_save(account=account, name="工单进展通知", template_id="TPL-e2e",
                             fields_text="first = 工单 {ticket_number} 有新进展\nremark = {text}", by=ops_admin)

    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("[data-testid=reply-window-closed]")).to_contain_text("模板消息")
    page.fill("[data-testid=template-text]", "师傅明天上午上门")
    page.click("[data-testid=template-send]")
    expect(page.locator(".alert[role=alert]").first).to_contain_text("模板消息已排队")

    sent = page.locator("[data-testid=message][data-kind=reply]").last
    expect(sent).to_contain_text("工单进展通知")
    expect(sent.locator("[data-testid=delivery]")).to_have_attribute("data-state", "sent", timeout=20_000)
    assert len(fake_wechat.calls_to(TEMPLATE_SEND)) == 1

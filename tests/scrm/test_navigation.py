"""The left navigation lights up the section and the page the user is on."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _lit(client, url):
    html = client.get(url).content.decode()
    nav = html.split('class="scrm-sidebar')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>", "", link).strip()
            for link in re.findall(r'<a class="nav-link[^"]*active"[^>]*>(.*?)</a>', nav, re.S)]


@pytest.mark.parametrize(("url", "lit"), [
    # Settings pages that live under another app's address were shown as Tickets, or as nothing at all.
    ("/tickets/settings/queues/", ["设置", "队列"]),
    ("/sla/policies/", ["设置", "SLA 策略"]),
    ("/notifications/settings/", ["设置", "通知渠道"]),
    ("/sla/report/", ["报表", "SLA 达标率"]),
    ("/tickets/queues/", ["工单", "团队队列"]),
    ("/settings/", ["设置"]),
])
def test_the_navigation_lights_the_section_and_page_the_user_is_on(ops_admin, url, lit):
    client = Client()
    client.force_login(ops_admin)
    assert _lit(client, url) == lit


def test_an_edit_page_lights_its_lists_entry(ops_admin, scoped):
    from sla.services import calendars_ensure_defaults

    calendar = calendars_ensure_defaults(organization=scoped)[0]
    client = Client()
    client.force_login(ops_admin)
    assert _lit(client, f"/sla/calendars/{calendar.pk}/") == ["设置", "工作日历"]


def test_the_channel_accounts_entry_is_not_called_wechat_accounts(ops_admin):
    """The page lists the shops' accounts too (Youzan, Shopify, ...): an entry named 微信账号 hid them."""
    client = Client()
    client.force_login(ops_admin)
    assert _lit(client, "/settings/channels/") == ["设置", "渠道账号"]
    assert "微信账号" not in client.get("/settings/").content.decode()

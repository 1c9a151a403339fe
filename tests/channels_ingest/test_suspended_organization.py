"""The platform suspends an organization: its users cannot sign in, its webhooks are refused and store nothing,
nothing is deleted, and the change is audited; resumed, everything works again."""

import re
import time

import pytest
from django.test import Client
from django.utils.html import escape

from channels_ingest.models import InboundEvent
from channels_ingest.services import account_for_slug, channel_account_create
from scrm.errors import MSG_ORGANIZATION_SUSPENDED
from scrm.models import Customer, Organization, OrganizationStatusChange, Role, User
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import organization_resume, organization_suspend
from tests.channels_ingest.shops import (
    GENERIC_SECRET,
    WOO_SECRET,
    YOUZAN_CLIENT_ID,
    YOUZAN_SECRET,
    ShopSender,
    generic_headers,
    generic_order,
    woo_headers,
    woo_order,
    youzan_headers,
    youzan_trade,
)
from tests.channels_ingest.wechat import CORP_ID, TOKEN, WeChatSender, message, sign
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db

PASSWORD = "Sl0w-Turtle!"  # noqa: S105


@pytest.fixture
def operator(db):
    with platform_scope():
        return User.objects.create_superuser("platform-operator", password=PASSWORD)


@pytest.fixture
def staff(organization, make_user):
    user = make_user(organization, Role.OPS_ADMIN, username="ops-acme")
    user.set_password(PASSWORD)
    with platform_scope():
        user.save(update_fields=["password"])
    return user


def _events():
    with platform_scope():
        return InboundEvent.objects.count()


def test_a_suspended_organization_refuses_its_webhooks_and_stores_nothing(oa, wecom, deliver, organization,
                                                                         operator):
    assert deliver(oa, message("text", Content="你好")).status_code == 200
    assert account_for_slug("acme-oa") is not None  # cached by this process
    organization_suspend(organization=organization, by=operator)
    for sender in (oa, wecom):
        response = deliver(sender, message("text", Content="还在吗"))
        assert response.status_code == 403
    assert _events() == 1  # the one before the suspension: nothing stored since, nothing deleted
    with tenant_scope(organization):
        assert Customer.objects.count() == 1

    organization_resume(organization=organization, by=operator)
    assert deliver(oa, message("text", Content="恢复了")).status_code == 200
    assert _events() == 2


def test_the_cached_account_carries_the_organization_status_without_another_query(oa_account, organization,
                                                                                 django_assert_num_queries):
    account_for_slug("acme-oa")
    with django_assert_num_queries(0):
        assert not account_for_slug("acme-oa").organization.is_suspended


def test_a_user_of_a_suspended_organization_cannot_sign_in_and_is_told_why(staff, organization, operator):
    organization_suspend(organization=organization, by=operator, reason="欠费")
    client = Client()
    for url in ("/accounts/login/", "/admin/login/"):
        response = client.post(url, {"username": "ops-acme", "password": PASSWORD})
        assert response.status_code == 200, url
        assert escape(str(MSG_ORGANIZATION_SUSPENDED)) in response.content.decode()
        assert "_auth_user_id" not in client.session
    organization_resume(organization=organization, by=operator)
    assert client.post("/accounts/login/", {"username": "ops-acme", "password": PASSWORD}).status_code == 302


def test_a_session_or_token_held_when_suspended_stops_working(staff, organization, operator):
    from rest_framework.test import APIClient

    client = Client()
    client.force_login(staff)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(staff)}")
    organization_suspend(organization=organization, by=operator)
    response = client.get("/customers/")
    assert response.status_code == 403
    assert escape(str(MSG_ORGANIZATION_SUSPENDED)) in response.content.decode()
    assert api.get("/api/v1/customers/").status_code == 403


def test_the_platform_console_suspends_and_resumes_with_an_audit_trail(organization, operator):
    client = Client()
    client.force_login(operator)
    response = client.post("/admin/scrm/organization/", {"action": "suspend", "_selected_action": [organization.pk]})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.is_suspended
    client.post("/admin/scrm/organization/", {"action": "resume", "_selected_action": [organization.pk]})
    organization.refresh_from_db()
    assert not organization.is_suspended
    with platform_scope():
        trail = list(OrganizationStatusChange.objects.order_by("at", "pk").values_list("action", "by__username"))
    assert trail == [("suspend", "platform-operator"), ("resume", "platform-operator")]
    page = client.get(f"/admin/scrm/organization/{organization.pk}/change/").content.decode()
    assert "platform-operator" in page
    # The checkbox is read-only: suspending without the audit is not possible from the form.
    client.post(f"/admin/scrm/organization/{organization.pk}/change/", {
        "slug": organization.slug, "name": organization.name, "is_active": "",
        "organizationstatuschange_set-TOTAL_FORMS": 0, "organizationstatuschange_set-INITIAL_FORMS": 0})
    assert Organization.objects.get(pk=organization.pk).is_active


def test_suspending_twice_records_once(organization, operator):
    organization_suspend(organization=organization, by=operator)
    organization_suspend(organization=organization, by=operator)
    with platform_scope():
        assert OrganizationStatusChange.objects.count() == 1


def test_wecom_is_refused_too(wecom_account, organization, operator, client):
    from tests.channels_ingest.wechat import WeChatSender

    organization_suspend(organization=organization, by=operator)
    sender = WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)
    assert sender.post(message("text", Content="x"), mode="safe").status_code == 403
    assert _events() == 0


def test_the_admin_sign_in_page_opens_for_an_anonymous_visitor(client):
    assert client.get("/admin/login/").status_code == 200


def test_a_suspension_made_elsewhere_holds_at_once_despite_this_process_cached_account(oa, deliver, organization):
    assert deliver(oa, message("text", Content="你好")).status_code == 200
    assert not account_for_slug("acme-oa").organization.is_suspended  # this process trusts its copy for 10 s
    # Another web process suspends it: this one is not told, and its cached account still says active.
    Organization.objects.filter(pk=organization.pk).update(is_active=False)

    assert deliver(oa, message("text", Content="还在吗")).status_code == 403
    assert _events() == 1  # the insert itself read the status: nothing stored

    Organization.objects.filter(pk=organization.pk).update(is_active=True)
    assert deliver(oa, message("text", Content="恢复了")).status_code == 200
    assert _events() == 2


# --- what a caller without the secret learns: nothing --------------------------------------------------------------

def _wechat_calls(client, sender, wecom_sender, *, token):
    """(status, body) of a GET URL verification and a POST in each mode, signed with `token`."""
    ts, nonce = str(int(time.time())), "n0nce"
    answers = [client.get("/hooks/wechat/acme-oa/", {"signature": sign(token, ts, nonce), "timestamp": ts,
                                                     "nonce": nonce, "echostr": "5837397749042"})]
    echostr = wecom_sender.encrypt("8193640281736")
    answers.append(client.get("/hooks/wecom/acme-wecom/", {"msg_signature": sign(token, ts, nonce, echostr),
                                                           "timestamp": ts, "nonce": nonce, "echostr": echostr}))
    for mode in ("plaintext", "compatible", "safe"):
        answers.append(sender.post(message("text", Content=f"{mode} 你好"), mode=mode, token=token))
    answers.append(wecom_sender.post(message("text", Content="企业微信"), mode="safe", token=token))
    return [(response.status_code, response.content) for response in answers]


def test_a_badly_signed_callback_is_answered_alike_whether_the_organization_is_suspended_or_not(
        client, oa_account, wecom_account, organization, operator):
    sender = WeChatSender(client, "/hooks/wechat/acme-oa/")
    wecom_sender = WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)
    active = _wechat_calls(client, sender, wecom_sender, token="not-the-token")  # noqa: S106
    organization_suspend(organization=organization, by=operator)

    suspended = _wechat_calls(client, sender, wecom_sender, token="not-the-token")  # noqa: S106
    assert suspended == active
    assert {status for status, _ in suspended} == {403}
    assert not any(b"suspended" in body for _, body in suspended)
    assert _events() == 0


def test_only_a_signed_callback_learns_that_the_organization_is_suspended(client, oa_account, wecom_account,
                                                                         organization, operator):
    sender = WeChatSender(client, "/hooks/wechat/acme-oa/")
    wecom_sender = WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)
    organization_suspend(organization=organization, by=operator)

    answers = _wechat_calls(client, sender, wecom_sender, token=TOKEN)
    assert answers == [(403, b"organization suspended")] * 6  # no echostr either
    assert _events() == 0


def _shop_calls(client):
    generic = ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)
    youzan = ShopSender(client, "/hooks/shop/acme-yz/", youzan_headers)
    woo = ShopSender(client, "/hooks/shop/acme-woo/", woo_headers)
    ping = client.generic("POST", "/hooks/shop/acme-woo/", b"webhook_id=12",
                          content_type="application/x-www-form-urlencoded")
    answers = [generic.post(generic_order(), secret="not-the-secret"),  # noqa: S106
               generic.post(generic_order(), timestamp=int(time.time()) - 3600),  # stale: refused as unsigned
               youzan.post(youzan_trade(), secret="not-the-secret"),  # noqa: S106
               woo.post(woo_order(), secret="not-the-secret"),  # noqa: S106
               ping]  # WooCommerce's unsigned ping when the webhook is saved
    # The stale timestamp's refusal names the current time: compared without it.
    return [(r.status_code, re.sub(rb"\d{10,}", b"<now>", r.content)) for r in answers]


@pytest.fixture
def shops(organization):
    with tenant_scope(organization):
        for kind, slug, app_id, secret in (("generic", "acme-shop", "acme-store", GENERIC_SECRET),
                                           ("youzan", "acme-yz", YOUZAN_CLIENT_ID, YOUZAN_SECRET),
                                           ("woocommerce", "acme-woo", "acme-woo", WOO_SECRET)):
            channel_account_create(organization=organization, kind=kind, slug=slug, name=f"{slug} 店",
                                   app_id=app_id, secret=secret)


def test_a_shop_callback_without_the_secret_is_answered_alike_whether_the_organization_is_suspended_or_not(
        client, shops, organization, operator):
    active = _shop_calls(client)
    organization_suspend(organization=organization, by=operator)

    suspended = _shop_calls(client)
    assert suspended == active
    assert [status for status, _ in suspended] == [403, 403, 403, 403, 200]
    assert not any(b"suspended" in body for _, body in suspended)
    assert _events() == 0


def test_only_a_signed_shop_callback_learns_that_the_organization_is_suspended(client, shops, organization,
                                                                              operator):
    organization_suspend(organization=organization, by=operator)
    for sender, payload in ((ShopSender(client, "/hooks/shop/acme-shop/", generic_headers), generic_order()),
                            (ShopSender(client, "/hooks/shop/acme-yz/", youzan_headers), youzan_trade()),
                            (ShopSender(client, "/hooks/shop/acme-woo/", woo_headers), woo_order()),
                            (ShopSender(client, "/hooks/shop/acme-woo/", woo_headers), b"not json")):
        response = sender.post(payload)
        assert (response.status_code, response.content) == (403, b"organization suspended")
    assert _events() == 0  # not even the malformed body

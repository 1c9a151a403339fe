"""Fixtures of the channels tests: an Official Account and a WeCom app of the organization, senders that post
signed callbacks to them, and the fake WeChat API."""

import pytest
from django.core.cache import cache

from channels_ingest.services import channel_account_create
from scrm.platform.tenancy import tenant_scope
from tests.channels_ingest.fakeapi import FakeWeChat
from tests.channels_ingest.wechat import AES_KEY, CORP_ID, OA_APP_ID, TOKEN, WeChatSender


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    """Access tokens are shared through the cache (Redis): one test's token must not serve the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_account_cache():
    """Web processes keep accounts for a few seconds; a test's accounts are rolled back with it."""
    from channels_ingest.services.processing import _accounts

    _accounts.clear()
    yield
    _accounts.clear()


@pytest.fixture(autouse=True)
def _no_real_douyin(settings):
    """A Douyin push queues a fetch of the order's details: never from the real API in a test (a closed local
    port refuses at once; tests that need answers use fake_douyin)."""
    settings.DOUYIN_API_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def fake_douyin(settings):
    from tests.channels_ingest.fakedouyin import FakeDouyin

    fake = FakeDouyin().start()
    settings.DOUYIN_API_BASE_URL = fake.base
    yield fake
    fake.stop()


@pytest.fixture
def fake_wechat(settings):
    fake = FakeWeChat().start()
    settings.WECHAT_API_BASE_URL = settings.WECOM_API_BASE_URL = fake.base
    yield fake
    fake.stop()


def make_account(organization, kind="wechat_oa", slug="acme-oa", app_id=OA_APP_ID, **kwargs):
    kwargs.setdefault("secret", "s3cret-app-secret")
    with tenant_scope(organization):
        return channel_account_create(organization=organization, kind=kind, slug=slug, name=f"{slug} 服务号",
                                      app_id=app_id, token=TOKEN, aes_key=AES_KEY, **kwargs)


@pytest.fixture
def oa_account(organization):
    return make_account(organization)


@pytest.fixture
def wecom_account(organization):
    return make_account(organization, kind="wecom", slug="acme-wecom", app_id=CORP_ID, agent_id="1000002")


@pytest.fixture
def oa(client, oa_account):
    return WeChatSender(client, "/hooks/wechat/acme-oa/")


@pytest.fixture
def wecom(client, wecom_account):
    return WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks, eager_tasks):
    """Post callbacks and run what they enqueue (the worker's processing) in-process, as the worker would."""

    def run(sender, fields, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sender.post(fields, **kwargs)

    return run

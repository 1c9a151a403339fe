"""WeChat API clients for an account, with access tokens shared by every worker through the Django cache (Redis).

wechatpy keeps the token in a session storage under `<appid>_access_token`; ours is the Django cache, and it stores
the token for REFRESH_MARGIN less than WeChat's lifetime, so a worker fetches a fresh one before the old expires
(the Official Account's previous token stays valid for five minutes after a refresh, so this overlap is safe). A
short cache lock keeps a crowd of workers from fetching at once. The API base URL comes from settings, so tests
point it at a local fake server.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from wechatpy.client import WeChatClient
from wechatpy.enterprise.client import WeChatClient as WeComClient
from wechatpy.session import SessionStorage

from channels_ingest.errors import MSG_NO_SECRET, ChannelError
from channels_ingest.models import ChannelAccount
from scrm.platform.http import TimeoutSession

REFRESH_MARGIN = 300  # seconds before WeChat's expiry at which the shared token is dropped and fetched again
_LOCK_SECONDS = 10
_TIMEOUT = 10


class DjangoCacheStorage(SessionStorage):
    prefix = "wechatpy"

    def _key(self, key):
        return f"{self.prefix}:{key}"

    def get(self, key, default=None):
        value = cache.get(self._key(key))
        return default if value is None else value

    def set(self, key, value, ttl=None):
        if value is None:
            return
        if ttl:
            ttl = max(int(ttl) - REFRESH_MARGIN, 60)
        cache.set(self._key(key), value, timeout=ttl)

    def delete(self, key):
        cache.delete(self._key(key))


class _SharedTokenMixin:
    """Fetch under a short lock; a worker that finds the lock taken waits briefly for the holder's token."""

    token_path = ""

    def fetch_access_token(self):
        lock = f"wechatpy-lock:{self.access_token_key}"
        if cache.add(lock, 1, timeout=_LOCK_SECONDS):
            try:
                return self._fetch_access_token(url=f"{self.API_BASE_URL}{self.token_path}",
                                                params=self.token_params())
            finally:
                cache.delete(lock)
        for _ in range(_LOCK_SECONDS * 10):
            time.sleep(0.1)
            if self.session.get(self.access_token_key):
                return {"access_token": self.session.get(self.access_token_key)}
        return self._fetch_access_token(url=f"{self.API_BASE_URL}{self.token_path}", params=self.token_params())


class OfficialAccountClient(_SharedTokenMixin, WeChatClient):
    token_path = "token"  # noqa: S105 - an URL path

    def token_params(self):
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


class WeComAppClient(_SharedTokenMixin, WeComClient):
    token_path = "gettoken"  # noqa: S105 - an URL path

    @property
    def access_token_key(self):
        # wechatpy names the key with the secret's first ten characters; a digest keeps the secret out of Redis.
        return f"{self.corp_id}_{hashlib.sha256(self.secret.encode()).hexdigest()[:16]}_access_token"

    def token_params(self):
        return {"corpid": self.corp_id, "corpsecret": self.secret}


def client_for(account):
    """A client of the account's API; raises ChannelError when no app secret is set."""
    secret = account.secret
    if not secret:
        raise ChannelError(MSG_NO_SECRET)
    if account.kind == ChannelAccount.Kind.WECOM:
        client = WeComAppClient(account.app_id, secret, session=DjangoCacheStorage(), timeout=_TIMEOUT)
        client.API_BASE_URL = settings.WECOM_API_BASE_URL
    else:
        client = OfficialAccountClient(account.app_id, secret, session=DjangoCacheStorage(), timeout=_TIMEOUT)
        client.API_BASE_URL = settings.WECHAT_API_BASE_URL
    client._http = TimeoutSession(_TIMEOUT)  # the token fetch too: no call outlasts the outbox's lease
    return client


"""The Douyin shop (抖店) open API, as far as the ledger needs it: an access token for the store (token.create,
`authorization_self`, the self-built app's grant) and an order's details (order.orderDetail).

Every call is `POST <base>/<method with dots as slashes>?app_key&method&timestamp&v=2&sign_method=md5&sign
[&access_token]` with `param_json` (the parameters as compact JSON, keys sorted) as the body, and
sign = md5hex(app_secret + "app_key" + app_key + "method" + method + "param_json" + param_json + "timestamp" +
timestamp + "v" + "2" + app_secret). An answer is {"code": 10000, "msg": "success", "data": {...}}; any other code
is an error. The token is shared by every worker through the Django cache until a little before it expires, and
dropped when a call fails (a revoked or expired token is fetched again on the retry). The base URL comes from
settings.DOUYIN_API_BASE_URL, so tests point it at a local fake server.
"""

import hashlib
import json
import time

from django.conf import settings
from django.core.cache import cache

from channels_ingest.shops.base import json_exact
from channels_ingest.wire import WireError
from scrm.platform.http import TimeoutSession

TIMEOUT = 10  # seconds per call; a fetch makes at most two
OK = "10000"
TOKEN_MARGIN = 300  # seconds before Douyin's expiry at which the shared token is fetched again
# Codes no retry can pass: 30001 操作权限不足 (its sub_codes: the app lacks the API's permission package, the shop's
# authorization expired or was switched off, the app was disabled); each needs someone to act on Douyin's side
# first (the order's next push, or `outbox_replay`, queues the dead fetch again). Other codes stay retried: 40003
# covers an expired access token (fetched again on the retry), 20000/20001 Douyin's own failures, 60000 its rate
# limit. Source: the platform's table of basic error codes (平台基础错误码), as republished by the 抖店 SDKs.
PERMANENT_CODES = frozenset({"30001"})


class DouyinApiError(Exception):
    """Douyin answered with an error code (or not with its JSON): the message names the method and the code, never
    the URL (it carries the token and the signature)."""

    def __init__(self, method, code, message):
        super().__init__(f"Douyin {method}: {code} {message}"[:300])
        self.code = code

    @property
    def permanent(self):
        """True when retrying cannot help (PERMANENT_CODES)."""
        return str(self.code) in PERMANENT_CODES


def sign(app_key, secret, method, param_json, timestamp):
    raw = f"{secret}app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2{secret}"
    return hashlib.md5(raw.encode()).hexdigest()  # noqa: S324 - Douyin's formula


def _call(session, account, method, params, access_token=None):
    param_json = json.dumps(params, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    timestamp = str(int(time.time()))
    query = {"app_key": account.app_id, "method": method, "timestamp": timestamp, "v": "2", "sign_method": "md5",
             "sign": sign(account.app_id, account.secret, method, param_json, timestamp)}
    if access_token:
        query["access_token"] = access_token
    url = f"{settings.DOUYIN_API_BASE_URL.rstrip('/')}/{method.replace('.', '/')}"
    response = session.post(url, params=query, data=param_json.encode(),
                            headers={"Content-Type": "application/json"})
    if response.status_code >= 500:
        raise DouyinApiError(method, f"HTTP {response.status_code}", "")
    try:
        answer = json_exact(response.content)
    except WireError:
        raise DouyinApiError(method, f"HTTP {response.status_code}", "not JSON") from None
    if not isinstance(answer, dict) or str(answer.get("code")) != OK:
        code = answer.get("code") if isinstance(answer, dict) else "?"
        message = str((answer.get("sub_msg") or answer.get("msg")) if isinstance(answer, dict) else "")
        raise DouyinApiError(method, code, message[:200])
    return answer.get("data") or {}


def _token_key(account, shop_ref):
    return f"douyin-token:{account.app_id}:{shop_ref}"


def _access_token(session, account, shop_ref):
    key = _token_key(account, shop_ref)
    token = cache.get(key)
    if token:
        return token
    params = {"code": "", "grant_type": "authorization_self"}
    if shop_ref:
        params["shop_id"] = shop_ref
    data = _call(session, account, "token.create", params)
    token = str(data.get("access_token") or "")
    if not token:
        raise DouyinApiError("token.create", "-", "no access_token in the answer")
    expires = str(data.get("expires_in") or "")
    ttl = max(int(expires) - TOKEN_MARGIN, 60) if expires.isdigit() else 3600
    cache.set(key, token, timeout=ttl)
    return token


def order_detail(account, *, order_number, shop_ref=""):
    """The `data` of order.orderDetail for one order (its ids as exact strings). Raises DouyinApiError, or
    requests' errors for the network."""
    session = TimeoutSession(TIMEOUT)
    token = _access_token(session, account, shop_ref)
    try:
        return _call(session, account, "order.orderDetail", {"shop_order_id": order_number}, access_token=token)
    except DouyinApiError:
        cache.delete(_token_key(account, shop_ref))  # expired or revoked: the retry fetches a new one
        raise

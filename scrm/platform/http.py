"""HTTP both ways: sessions for the outside world's APIs, and the address of whoever sent us a request.

Every outgoing request has a timeout, so no call can outlast an outbox lease. wechatpy passes its client's timeout to
its API calls but not to its access-token fetch; a token endpoint that hangs would hold a worker (and its claimed row)
forever. Give the client one of these sessions.

`client_ip(request)` is the one reading of a request's client address (sign-in lockouts through django-axes, the
public forms' budget per address): `REMOTE_ADDR`, unless settings say how many reverse proxies we trust in front.

`client_error_detail(exc)` is the one reading of a wechatpy client error (WeChat's, WeCom's) for the record.

`outbound_url_check(url)` is the one check of a URL our users give us to call (a form's webhook): http or https to
a host every address of which is globally routable, never our own network (loopback, private, link-local such as
the cloud metadata service 169.254.169.254, multicast, reserved; IPv4, IPv6 and IPv4 inside IPv6). Call it when the
URL is saved and again right before each request, and send through a `PublicOnlySession`: it checks the address
each new connection actually reached (the socket's peer) the same way, so a name whose DNS answer changes between the
check and the connection (DNS rebinding) is refused too (`refused_connection(exc)` tells that error apart). Not
covered: a proxy from the environment (HTTP(S)_PROXY; the peer is then the proxy); redirects are never followed.
`OUTBOUND_PRIVATE_HOSTS_ALLOWED` (tests, local development with fake receivers on 127.0.0.1) turns the address
checks off; the scheme is checked always.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from scrm.platform.coded import coded, coded_messages_register

MSG_URL_SCHEME = _("Only http:// and https:// addresses may be called.")
MSG_URL_NO_HOST = _("The address has no host name.")
MSG_URL_UNRESOLVED = _("The host name of the address cannot be found (DNS).")
MSG_URL_NOT_PUBLIC = _("The address points into a private or reserved network (%(address)s): only public "
                       "internet addresses may be called.")
# The same messages as codes (scrm.platform.coded), for a worker that records a refusal for a reader it does not know.
URL_PROBLEMS = coded_messages_register({
    "platform.url_scheme": MSG_URL_SCHEME,
    "platform.url_no_host": MSG_URL_NO_HOST,
    "platform.url_unresolved": MSG_URL_UNRESOLVED,
    "platform.url_not_public": MSG_URL_NOT_PUBLIC,
})


class UnsafeURL(ValueError):
    """A URL outbound_url_check refuses. `permanent`: False when only the name's lookup failed (may be
    temporary), True for a scheme or an address that will never be allowed. `coded`: the same message as a
    coded text (scrm.platform.coded), what a worker stores."""

    def __init__(self, code, *, permanent=True, **params):
        super().__init__(str(URL_PROBLEMS[code] % params if params else URL_PROBLEMS[code]))
        self.permanent = permanent
        self.coded = coded(code, **params)


def _public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is no part of the address
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not _public(str(embedded)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_reserved or ip.is_unspecified)


def outbound_url_check(url):
    """Raise UnsafeURL unless `url` is http(s) to a host whose every address is globally routable (see above)."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL("platform.url_no_host") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURL("platform.url_scheme")
    host = parts.hostname
    if not host:
        raise UnsafeURL("platform.url_no_host")
    if _private_allowed():
        return
    try:
        found = socket.getaddrinfo(host, port or (443 if parts.scheme.lower() == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL("platform.url_unresolved", permanent=False) from exc
    for *_rest, sockaddr in found:
        if not _public(sockaddr[0]):
            raise UnsafeURL("platform.url_not_public", address=sockaddr[0])


class TimeoutSession(requests.Session):
    def __init__(self, timeout):
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


def _private_allowed():
    return getattr(settings, "OUTBOUND_PRIVATE_HOSTS_ALLOWED", False)


class RefusedAddress(NewConnectionError):
    """A connection of a PublicOnlySession reached an address outbound_url_check would refuse; closed unused."""


class _PeerChecked:
    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not _private_allowed() and not _public(peer):
            sock.close()
            raise RefusedAddress(self, str(MSG_URL_NOT_PUBLIC % {"address": peer}))
        return sock


class _HTTPConnection(_PeerChecked, HTTPConnection):
    pass


class _HTTPSConnection(_PeerChecked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class PublicOnlySession(TimeoutSession):
    """A TimeoutSession whose every new connection must have reached a public address (the pin against DNS
    rebinding, see above). For URLs users give us; check them with outbound_url_check first all the same."""

    def __init__(self, timeout):
        super().__init__(timeout)
        adapter = _PublicOnlyAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)


def refused_connection(exc):
    """Whether a requests error is a PublicOnlySession refusing the address it reached (permanent, not a network
    hiccup)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, RefusedAddress) or isinstance(exc.args[0] if exc.args else None, RefusedAddress)


def client_ip(request):
    """The client's address. With `AXES_PROXY_COUNT` (env; setting `AXES_IPWARE_PROXY_COUNT`) = N > 0, N reverse
    proxies of ours stand in front and each appends the address it saw to `X-Forwarded-For`: the N-th entry from the
    right is what our outermost proxy saw, the client; anything left of it the client may have written itself and is
    never read. With 0 (the default) or a header too short or not an address, `REMOTE_ADDR`."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < trusted:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote


def client_error_detail(exc):
    """What ops read of a wechatpy `WeChatClientException` (WeChat's or WeCom's API): the errcode and errmsg; or, for
    an HTTP error status (a gateway in front of the API failing), which wechatpy reports with errcode and errmsg
    None (recorded as "None: None" before), the status and the API path. (wechatpy 1.8.18 lets a network error
    through as requests' own.) Whoever records it redacts it all the same (the outbox does)."""
    if exc.errcode is not None:
        return f"{exc.errcode}: {exc.errmsg}"
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code} from {urlsplit(response.url or '').path}"
    cause = exc.__cause__ or exc.__context__
    return f"{type(cause).__name__}: {cause}" if cause is not None else "no answer from the API"

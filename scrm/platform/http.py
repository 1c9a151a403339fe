"""HTTP both ways: sessions for the outside world's APIs, and the address of whoever sent us a request.

Every outgoing request has a timeout, so no call can outlast an outbox lease. wechatpy passes its client's timeout to
its API calls but not to its access-token fetch; a token endpoint that hangs would hold a worker (and its claimed row)
forever. Give the client one of these sessions.

`client_ip(request)` is the one reading of a request's client address (sign-in lockouts through django-axes, the
public forms' budget per address): `REMOTE_ADDR`, unless settings say how many reverse proxies we trust in front.
"""

import ipaddress

import requests
from django.conf import settings


class TimeoutSession(requests.Session):
    def __init__(self, timeout):
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


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

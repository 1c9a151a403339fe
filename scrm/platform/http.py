"""HTTP sessions for the outside world's APIs: every request has a timeout, so no call can outlast an outbox lease.

wechatpy passes its client's timeout to its API calls but not to its access-token fetch; a token endpoint that
hangs would hold a worker (and its claimed row) forever. Give the client one of these sessions."""

import requests


class TimeoutSession(requests.Session):
    def __init__(self, timeout):
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)

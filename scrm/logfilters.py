"""Logging filters of the project.

A callback's query string carries its signature (and, in WeChat's plaintext mode, a signed URL is accepted for an
hour), so no log line may hold it: `HookQueryFilter` takes it out of any record that mentions a /hooks/ URL
(runserver's request lines, anything else), and gunicorn.conf.py does the same for gunicorn's access log.
"""

import logging
import re

_HOOK_QUERY = re.compile(r"(/hooks/[^\s?\"']*)\?[^\s\"']*")


def redact_hook_query(text):
    """'GET /hooks/wechat/acme/?signature=..&nonce=.. HTTP/1.1' -> 'GET /hooks/wechat/acme/ HTTP/1.1'."""
    return _HOOK_QUERY.sub(r"\1", text)


class HookQueryFilter(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        if "/hooks/" in message:
            record.msg, record.args = redact_hook_query(message), ()
        return True

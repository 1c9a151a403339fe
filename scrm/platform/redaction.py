"""The one redaction step: every error the outbox, a sender or a task records passes through `redact` first.

An error from the outside world often carries what must never reach a page or a log: `requests` puts the URL it
called in its message, and WeChat's token URL holds `secret=...`, every other call `access_token=...`; an SMS
gateway's URL holds its signature. So `redact` replaces the query string of every URL (and any `name=value` pair
whose name says secret), then every known secret value of the organization: the apps that keep secrets register a
source of them (`register_secret_source`), the environment's are named in REDACTED_SETTINGS.
"""

import logging
import re
from urllib.parse import quote, quote_plus

from django.conf import settings

MASK = "[redacted]"
MAX_LENGTH = 2000
# Settings whose values are secrets an error may quote.
REDACTED_SETTINGS = ("SECRET_KEY", "WECOM_SECRET", "ALIYUN_SMS_ACCESS_KEY_SECRET", "EMAIL_HOST_PASSWORD",
                     "FIELD_ENCRYPTION_KEY")
_MIN_SECRET = 4  # shorter values would mask ordinary words

# "?a=b&c=d" after a URL or a bare path, as requests and urllib print them.
_QUERY = re.compile(r"\?[^\s'\"<>()\[\]]*=[^\s'\"<>()\[\]]*")
# name=value (or name: value in JSON) where the name says it is secret, wherever it appears.
_NAMED = re.compile(
    r"(?i)(\b(?P<name>[\w-]*(?:secret|token|password|passwd|signature|aeskey|aes_key|access_?key)[\w-]*)"
    r"(?P<quote>[\"']?)\s*(?P<sep>[=:])(?P<space>\s*)[\"']?)([^\s&\"',;}]+)")
# A provider's error code is written in words run together, each capitalised ("SignatureDoesNotMatch",
# "IncompleteSignature"), and printed before its message as "Code: message". Such a word followed by a bare colon
# and a space names an error, not a parameter: the word after it begins the message, which stays readable (a
# secret inside the message is still masked by name or by value).
_ERROR_CODE = re.compile(r"(?:[A-Z][a-z0-9]+){2,}")

_SOURCES = []


def register_secret_source(source):
    """`source(organization_id)` yields the secret values of an organization (None: the platform's own). Apps
    that store secrets register one from their AppConfig.ready()."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def known_secrets(organization_id=None):
    values = {str(getattr(settings, name, "") or "") for name in REDACTED_SETTINGS}
    for source in _SOURCES:
        values.update(str(value) for value in source(organization_id) if value)
    return {value for value in values if len(value) >= _MIN_SECRET}


def redact_query(text):
    """Only the query strings masked: needs no settings (gunicorn's access log uses it before Django is set up)."""
    return _QUERY.sub(f"?{MASK}", str(text or ""))


def _named_masked(match):
    if (match["sep"] == ":" and match["space"] and not match["quote"]
            and _ERROR_CODE.fullmatch(match["name"])):
        return match.group(0)  # "Code: message": nothing assigned
    return f"{match.group(1)}{MASK}"


def redact(text, *, secrets=None, organization_id=None, limit=MAX_LENGTH):
    """`text` with URL query strings, secret-named values and the known secrets (of `organization_id`, plus
    `secrets`) replaced by MASK; cut to `limit` characters (None: whole)."""
    text = str(text or "")
    if not text:
        return ""
    text = redact_query(text)
    text = _NAMED.sub(_named_masked, text)
    values = set(secrets or ()) | known_secrets(organization_id)
    # Longest first, so a secret containing another is masked whole; also as it appears URL-encoded.
    for value in sorted(values, key=len, reverse=True):
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            text = text.replace(form, MASK)
    return text[:limit] if limit else text


def error_text(error, **kwargs):
    """`Type: message` of an exception, redacted."""
    return redact(f"{type(error).__name__}: {error}", **kwargs)


class RedactingFilter(logging.Filter):
    """A logging filter that passes each line through `redact` (the platform's secrets; an organization's are
    masked where its errors are recorded)."""

    def filter(self, record):
        record.msg, record.args = redact(record.getMessage(), limit=None), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), limit=None)
            record.exc_info = None
        return True

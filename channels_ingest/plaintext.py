"""Replay protection for callbacks in WeChat's plaintext mode, and what tells ops an account still uses it.

In plaintext mode the signature covers only (token, timestamp, nonce): not the body. A signed URL captured once (a
log line, a proxy) was accepted with any new body, for ever. So in that mode only:

- a timestamp more than PLAINTEXT_WINDOW away from now is refused;
- the first delivery of a (timestamp, nonce, signature) records the body's digest in the cache for the window; the
  same signed URL with another body is refused, with the same body it is WeChat's retry and goes on to the dedupe.

In safe and compatible modes `msg_signature` covers the encrypted body, and the platforms' own samples and retries
carry old timestamps: their age is not checked. But their URL carries the same plain `signature` beside
`msg_signature`, so a safe-mode URL captured within the window signed a plaintext body of anyone's choosing: a safe
or compatible callback within the window records its signed URL with its body's digest too (`signed_url_record`),
and the plaintext check refuses that URL with another body like a replayed plaintext one.

The callback is the hottest path of the product, so this costs one cache round trip (an atomic `add`) on a first
delivery; only a repeated URL (a retry, or a replay) costs a second one to compare the bodies. Marking the account
as seen in plaintext mode, for the warning on its page, is another write at most once per MARK_EVERY per process.
"""

import hashlib
import hmac
import time

from django.core.cache import cache

PLAINTEXT_WINDOW = 3600  # seconds either side of now
MARK_EVERY = 600  # seconds between two marks of one account by one process
MARK_TTL = 30 * 24 * 3600  # an account not seen in plaintext mode for a month loses the warning

_marked = {}  # account id -> monotonic time of this process's last mark: a throttle only, never read elsewhere


class PlaintextRefused(Exception):
    """A plaintext-mode callback outside the time window, or a known signed URL with another body."""


def plaintext_check(*, account, timestamp, nonce, signature, body, now=None):
    """Refuse (PlaintextRefused) a stale or replayed plaintext callback; return quietly otherwise."""
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > PLAINTEXT_WINDOW:
        raise PlaintextRefused("timestamp outside the window")
    digest = hashlib.sha256(body).hexdigest()
    key = _seen_key(account, timestamp, nonce, signature)
    if not cache.add(key, digest, timeout=PLAINTEXT_WINDOW * 2):
        known = cache.get(key)
        # None: the entry expired between the two calls; the timestamp check above still bounds the replay.
        if known is not None and not hmac.compare_digest(known, digest):
            raise PlaintextRefused("a known signed URL with another body")
    _mark(account)


def signed_url_record(*, account, timestamp, nonce, signature, body, now=None):
    """A verified safe- or compatible-mode callback: remember its URL's plain `signature` with its body for the
    window, so that URL sent again with a plaintext body is refused (one cache `add`; a retry changes nothing)."""
    now = time.time() if now is None else now
    if not (signature and timestamp.isdigit()) or abs(now - int(timestamp)) > PLAINTEXT_WINDOW:
        return  # the plaintext check refuses this timestamp anyway
    cache.add(_seen_key(account, timestamp, nonce, signature), hashlib.sha256(body).hexdigest(),
              timeout=PLAINTEXT_WINDOW * 2)


def _seen_key(account, timestamp, nonce, signature):
    return f"hooks:plaintext:seen:{account.pk}:{timestamp}:{nonce}:{signature}"


def _mark(account):
    last = _marked.get(account.pk)
    clock = time.monotonic()
    if last is None or clock - last > MARK_EVERY:
        _marked[account.pk] = clock
        cache.set(_mark_key(account.pk), int(time.time()), timeout=MARK_TTL)


def _mark_key(account_id):
    return f"hooks:plaintext:account:{account_id}"


def plaintext_last_seen(*, account):
    """When (a Unix time) a plaintext-mode callback of the account last arrived, within a month; None otherwise."""
    return cache.get(_mark_key(account.pk))

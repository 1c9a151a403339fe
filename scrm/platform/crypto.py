"""Secrets at rest (channel accounts, notification channels): Fernet (AES-128-CBC + HMAC-SHA256) under keys
from the environment.

`FIELD_ENCRYPTION_KEY` is one key or a comma-separated list (newest first): the first encrypts, every one decrypts,
so a key is rotated by prepending the new one. Any string works as a key: it is stretched to a Fernet key with
SHA-256. Settings derive a key from SECRET_KEY only in a DEBUG (development/test) process; anywhere else an unset
key makes touching a secret raise ImproperlyConfigured, so production never stores secrets under a known key.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt"]


def _fernet_key(material):
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(configured):
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEY: stored secrets are encrypted with it.")
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def _current():
    return _cipher(settings.FIELD_ENCRYPTION_KEY)


def secret_encrypt(value):
    """The ciphertext (text) of a secret; an empty secret stays empty (nothing set)."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def secret_decrypt(token):
    if not token:
        return ""
    return _current().decrypt(token.encode()).decode()

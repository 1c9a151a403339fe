"""A per-client budget of public submissions, counted in the shared cache (Redis), so every web process sees the
same count: a fixed window per (form, client address)."""

import time

from django.conf import settings
from django.core.cache import cache

# Submissions one address may send to one form per window; settings may override both.
DEFAULT_LIMIT = 20
DEFAULT_WINDOW = 600


def submit_allowed(*, form_id, client):
    """Count this attempt; False once the address has used up its budget for the current window."""
    limit = getattr(settings, "FORMS_SUBMIT_LIMIT", DEFAULT_LIMIT)
    window = getattr(settings, "FORMS_SUBMIT_WINDOW", DEFAULT_WINDOW)
    key = f"forms:submit:{form_id}:{client}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    return cache.incr(key) <= limit

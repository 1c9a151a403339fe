"""Fixtures of the forms tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_budget():
    """Each test starts with untouched budgets per address (the public page's rate limit lives in Redis)."""
    cache.clear()

"""Fixtures of the forms tests: every test starts with a fresh submission budget (the cache), and a published 报修
intake form at /f/acme/repair/."""

import pytest
from django.core.cache import cache

from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema


@pytest.fixture(autouse=True)
def _fresh_budget():
    """Each test starts with untouched budgets per address (the public page's rate limit lives in Redis)."""
    cache.clear()


@pytest.fixture
def repair(organization):
    with tenant_scope(organization):
        return published_form(organization, schema=repair_schema(subject_field="problem"))

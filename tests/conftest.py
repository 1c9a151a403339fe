"""Shared fixtures: organizations and users per role, scopes, and database availability markers."""

import os

import pytest
from django.db import connection

from scrm.models import Role
from scrm.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import OrganizationFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that thread are still
# ordinary synchronous calls, so its async-safety guard must not refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL or start the local server)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created by the dozen; the production hasher's cost would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def platform():
    """Run the test body in the platform scope (factories may create rows of any organization)."""
    with platform_scope():
        yield


@pytest.fixture
def organization(db):
    with platform_scope():
        return OrganizationFactory(slug="acme", name="艾克美电器")


@pytest.fixture
def scoped(organization):
    """Open the organization's scope for the test body, as a request or task would."""
    with tenant_scope(organization):
        yield organization


@pytest.fixture
def make_user(db):
    def make(organization, role, **kwargs):
        with platform_scope():
            return UserFactory(organization=organization, roles=[role], **kwargs)

    return make


@pytest.fixture
def ops_admin(organization, make_user):
    return make_user(organization, Role.OPS_ADMIN, username="ops-acme")


@pytest.fixture
def agent(organization, make_user):
    return make_user(organization, Role.AGENT, username="agent-acme")

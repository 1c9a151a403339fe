"""Fixtures of the settlement tests that open after-sales tickets: a Youzan store and one of its buyers (a test
file may define its own `store` or `buyer`, which then wins)."""

import pytest

from scrm.customers.services import customer_resolve
from scrm.platform.tenancy import tenant_scope
from settlement.services import store_ensure


@pytest.fixture
def store(organization):
    return store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="艾克美有赞店")


@pytest.fixture
def buyer(organization):
    with tenant_scope(organization):
        return customer_resolve(organization=organization, channel="youzan", app_id="kdt-1", external_id="b1")

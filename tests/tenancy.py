"""The tenant-isolation helper every app's tests reuse.

`tenant_pair(seed)` builds two organizations holding the same data (seeded by the same function), each with one
user per role. Every visible string the seed writes should contain `tenant.marker` (e.g. `f"{t.marker} 华东大区"`),
so that the assertions can tell the two tenants' data apart on any page, API answer, search result or export:

    a, b = tenant_pair(seed_regions)
    assert_isolated(client, a, b, "/settings/")                     # a page
    assert_isolated(api_client_for(a.users[Role.OPS_ADMIN]), a, b, "/api/v1/regions/")   # the API
    assert_isolated(client, a, b, "/customers/?q=华东")              # a search
    assert_isolated(client, a, b, "/customers/export.csv")           # an export

An assertion needs A's marker to be present, so a page that shows nothing cannot pass by accident.
"""

from dataclasses import dataclass, field

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scrm.models import Organization, Role, User
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import OrganizationFactory, UserFactory


@dataclass
class Tenant:
    organization: Organization
    marker: str
    users: dict[Role, User] = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


def tenant_pair(seed=None, *, slugs=("tenant-a", "tenant-b")):
    """Two organizations with one user per role; `seed(tenant)` runs in each tenant's scope and may store what it
    created in `tenant.objects` for later lookups (e.g. B's detail URLs)."""
    tenants = []
    for slug in slugs:
        with platform_scope():
            organization = OrganizationFactory(slug=slug, name=f"{slug} 有限公司")
            tenant = Tenant(organization=organization, marker=f"[{slug}]")
            for role in Role:
                tenant.users[role] = UserFactory(
                    organization=organization, username=f"{slug}-{role.value}", roles=[role]
                )
        if seed is not None:
            with tenant_scope(organization):
                seed(tenant)
        tenants.append(tenant)
    return tuple(tenants)


def _body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def assert_isolated(client, tenant_a, tenant_b, url, *, role=Role.OPS_ADMIN, expect_marker=True):
    """GET `url` as tenant A's user of `role`: it answers 200, shows A's marker (unless told not to) and nothing
    of B's. `client` is a Django test Client or a DRF APIClient; it is signed in here."""
    user = tenant_a.users[role]
    if isinstance(client, APIClient):
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    else:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code} for {user}"
    body = _body(response)
    if expect_marker:
        assert tenant_a.marker in body, f"{url} shows none of tenant A's data, so isolation proves nothing"
    assert tenant_b.marker not in body, f"{url} leaks tenant B's data to tenant A"
    return response


def assert_not_reachable(client, tenant_a, url, *, role=Role.OPS_ADMIN, allowed=(302, 403, 404)):
    """GET a URL of tenant B's object as tenant A: it must not answer 200."""
    client.force_login(tenant_a.users[role])
    response = client.get(url)
    assert response.status_code in allowed, f"{url} answered {response.status_code}: B's object reached by A"
    return response


def api_token(user):
    with platform_scope():
        return Token.objects.get_or_create(user=user)[0].key


def api_client(user):
    """An API client signed in as `user` with their token."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client

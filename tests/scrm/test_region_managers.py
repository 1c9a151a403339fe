"""Region managers are django-guardian object permissions with a foreign key to the region, stored as tenant rows;
the grants of the generic table move there without loss (tests/scrm/test_data_migrations.py)."""

import pytest
from guardian.models import UserObjectPermission

from scrm.errors import ScrmError
from scrm.models import Customer, Region, RegionUserObjectPermission, Role
from scrm.platform.tenancy import ScopeError, platform_scope, tenant_scope
from scrm.selectors import region_scope_q
from scrm.services import region_create, region_managers, region_set_managers
from tests.tenancy import tenant_pair

pytestmark = pytest.mark.django_db


def seed_regions(tenant):
    org = tenant.organization
    south = region_create(organization=org, name=f"{tenant.marker} 华南", code="SOUTH", level=Region.Level.AREA)
    gd = region_create(organization=org, name=f"{tenant.marker} 广东", code="GD", level=Region.Level.PROVINCE,
                       parent=south)
    east = region_create(organization=org, name=f"{tenant.marker} 华东", code="EAST", level=Region.Level.AREA)
    for region in (gd, east):
        Customer.objects.create(organization=org, display_name=f"{tenant.marker} {region.code}", region=region,
                                source_channel="manual")
    tenant.objects.update(south=south, gd=gd, east=east)


def _visible_customers(user):
    return set(Customer.objects.filter(region_scope_q(user=user)).values_list("display_name", flat=True))


def test_a_manager_is_a_grant_on_the_region_of_its_organization():
    a, b = tenant_pair(seed_regions)
    supervisor = a.users[Role.SUPERVISOR]
    region_set_managers(region=a.objects["south"], managers=[supervisor])
    with tenant_scope(a.organization):
        grant = RegionUserObjectPermission.objects.get()
        assert (grant.organization_id, grant.user_id, grant.content_object_id, grant.permission.codename) == (
            a.organization.pk, supervisor.pk, a.objects["south"].pk, "manage_region")
        assert region_managers(region=a.objects["south"]) == [supervisor]
        assert _visible_customers(supervisor) == {f"{a.marker} GD"}  # the managed region and what is below it
    assert not UserObjectPermission.objects.exists()  # nothing in guardian's generic table
    with tenant_scope(b.organization):
        assert not RegionUserObjectPermission.objects.exists()
    with pytest.raises(ScopeError):
        list(RegionUserObjectPermission.objects.all())


def test_removing_a_manager_revokes_what_they_saw():
    a, _b = tenant_pair(seed_regions)
    supervisor = a.users[Role.SUPERVISOR]
    region_set_managers(region=a.objects["south"], managers=[supervisor])
    region_set_managers(region=a.objects["south"], managers=[])
    with tenant_scope(a.organization):
        assert not RegionUserObjectPermission.objects.exists()
        assert region_managers(region=a.objects["south"]) == []


def test_a_supervisor_of_another_organization_cannot_manage_a_region_and_nothing_is_written():
    a, b = tenant_pair(seed_regions)
    with pytest.raises(ScrmError):
        region_set_managers(region=a.objects["south"], managers=[b.users[Role.SUPERVISOR]])
    with platform_scope():
        assert not RegionUserObjectPermission.objects.exists()

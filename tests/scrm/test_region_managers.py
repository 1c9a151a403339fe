"""Region managers are django-guardian object permissions with a foreign key to the region, stored as tenant rows;
the grants of the generic table move there without loss."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
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


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_region_grant_of_the_generic_table_with_its_organization():
    a, b = tenant_pair(seed_regions)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("scrm", "0015_user_is_a_tenant_model")])
    try:
        region_type = ContentType.objects.get_by_natural_key("scrm", "region")
        manage = Permission.objects.get(content_type=region_type, codename="manage_region")
        grants = [(a.users[Role.SUPERVISOR].pk, a.objects["south"].pk), (a.users[Role.SUPERVISOR].pk,
                  a.objects["east"].pk), (b.users[Role.SUPERVISOR].pk, b.objects["gd"].pk),
                  (a.users[Role.SUPERVISOR].pk, 999999)]  # the last: a region deleted since
        with connection.cursor() as cursor:
            for user_id, region_id in grants:
                cursor.execute("INSERT INTO guardian_userobjectpermission (user_id, permission_id, content_type_id, "
                               "object_pk) VALUES (%s, %s, %s, %s)", [user_id, manage.pk, region_type.pk,
                                                                      str(region_id)])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    with platform_scope():
        assert sorted(RegionUserObjectPermission.objects.values_list(
            "organization_id", "user_id", "content_object_id")) == sorted([
                (a.organization.pk, a.users[Role.SUPERVISOR].pk, a.objects["south"].pk),
                (a.organization.pk, a.users[Role.SUPERVISOR].pk, a.objects["east"].pk),
                (b.organization.pk, b.users[Role.SUPERVISOR].pk, b.objects["gd"].pk)])
    assert not UserObjectPermission.objects.filter(content_type__model="region").exists()
    with tenant_scope(a.organization):
        assert _visible_customers(a.users[Role.SUPERVISOR]) == {f"{a.marker} GD", f"{a.marker} EAST"}
    with tenant_scope(b.organization):
        assert region_managers(region=b.objects["gd"]) == [b.users[Role.SUPERVISOR]]

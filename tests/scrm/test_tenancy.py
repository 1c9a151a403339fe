import pytest
from django.db.models import Count
from rest_framework.test import APIClient

from scrm.models import Region, Role, Team
from scrm.platform.tenancy import ScopeError, current_organization_id, platform_scope, tenant_scope
from scrm.services import region_create
from tests.tenancy import assert_isolated, assert_not_reachable, tenant_pair

pytestmark = pytest.mark.django_db


def seed_regions_and_teams(tenant):
    area = region_create(organization=tenant.organization, name=f"{tenant.marker} 华东大区", code="EAST",
                         level=Region.Level.AREA)
    tenant.objects["area"] = area
    tenant.objects["team"] = Team.objects.create(organization=tenant.organization, name=f"{tenant.marker} 售后部",
                                                 code="AS")


def test_a_tenant_query_with_no_scope_open_raises():
    with pytest.raises(ScopeError):
        list(Region.objects.all())
    with pytest.raises(ScopeError):
        Region.objects.filter(code="EAST").exists()


def test_tenant_scope_refuses_a_missing_organization():
    with pytest.raises(ScopeError), tenant_scope(None):
        pass


def test_scope_filters_to_its_organization_and_platform_scope_sees_all():
    a, b = tenant_pair(seed_regions_and_teams)
    with tenant_scope(a.organization):
        assert current_organization_id() == a.organization.pk
        assert [r.name for r in Region.objects.all()] == [f"{a.marker} 华东大区"]
        # The same code exists in B; A's scope cannot reach it even by primary key.
        assert not Region.objects.filter(pk=b.objects["area"].pk).exists()
    with platform_scope():
        assert Region.objects.filter(code="EAST").count() == 2


def test_settings_page_shows_only_own_organization():
    a, b = tenant_pair(seed_regions_and_teams)
    from django.test import Client

    assert_isolated(Client(), a, b, "/settings/")


@pytest.mark.parametrize("url", ["/api/v1/regions/", "/api/v1/teams/", "/api/v1/users/", "/api/v1/me/"])
def test_api_with_a_token_shows_only_own_organization(url):
    a, b = tenant_pair(seed_regions_and_teams)
    assert_isolated(APIClient(), a, b, url, expect_marker=url not in ("/api/v1/users/", "/api/v1/me/"))


def test_api_users_lists_only_own_staff():
    a, b = tenant_pair()
    client = APIClient()
    client.force_authenticate(a.users[Role.OPS_ADMIN])
    usernames = {u["username"] for u in client.get("/api/v1/users/?page_size=100").json()["results"]}
    assert usernames == {u.username for u in a.users.values()}


def test_api_detail_of_another_organization_is_not_found():
    a, b = tenant_pair(seed_regions_and_teams)
    client = APIClient()
    client.force_authenticate(a.users[Role.OPS_ADMIN])
    assert client.get(f"/api/v1/regions/{b.objects['area'].pk}/").status_code == 404
    assert client.get(f"/api/v1/regions/{a.objects['area'].pk}/").status_code == 200


def test_admin_search_and_changelist_show_only_own_organization():
    a, b = tenant_pair(seed_regions_and_teams)
    from django.test import Client

    client = Client()
    assert_isolated(client, a, b, "/admin/scrm/region/?q=EAST")
    assert_isolated(client, a, b, "/admin/scrm/team/")
    assert_isolated(client, a, b, "/admin/scrm/user/", expect_marker=False)
    body = client.get("/admin/scrm/user/").content.decode()
    assert "tenant-b-agent" not in body and "tenant-a-agent" in body


def test_admin_change_page_of_another_organization_is_unreachable():
    a, b = tenant_pair(seed_regions_and_teams)
    from django.test import Client

    response = assert_not_reachable(Client(), a, f"/admin/scrm/region/{b.objects['area'].pk}/change/")
    # Django admin answers a missing object with a redirect to the index and a message, never the object.
    assert b.marker not in response.content.decode()


def test_ops_admin_creating_a_region_in_admin_gets_their_organization():
    a, b = tenant_pair()
    from django.test import Client

    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    response = client.post("/admin/scrm/region/add/", {"name": "西南大区", "code": "SW", "level": "area"})
    assert response.status_code == 302
    with platform_scope():
        region = Region.objects.get(code="SW")
    assert region.organization == a.organization
    assert region.path == "/SW/"


def test_admin_refuses_a_duplicate_code_with_a_form_error():
    a, _b = tenant_pair(seed_regions_and_teams)
    from django.test import Client

    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    response = client.post("/admin/scrm/region/add/", {"name": "另一个华东", "code": "EAST", "level": "area"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    with tenant_scope(a.organization):
        assert Region.objects.filter(code="EAST").count() == 1


def test_a_queryset_built_outside_a_scope_takes_the_scope_it_is_used_in():
    """Forms and filtersets build querysets at import and clone them per request: each clone gets its tenant."""
    a, b = tenant_pair(seed_regions_and_teams)
    built_at_import = Region.objects.all()
    with tenant_scope(a.organization):
        assert [r.name for r in built_at_import.all()] == [f"{a.marker} 华东大区"]
    with tenant_scope(b.organization):
        assert [r.name for r in built_at_import.all()] == [f"{b.marker} 华东大区"]
    # The original never took either filter, so it still refuses to run on its own.
    with pytest.raises(ScopeError):
        list(built_at_import)


@pytest.mark.parametrize("run", [
    lambda qs: qs.count(), lambda qs: qs.exists(), lambda qs: qs.update(name="x"), lambda qs: qs.delete(),
    lambda qs: list(qs.iterator()), lambda qs: qs.aggregate(n=Count("id")), lambda qs: qs.get(code="EAST"),
])
def test_every_way_of_running_a_query_needs_a_scope(run):
    tenant_pair(seed_regions_and_teams)
    with pytest.raises(ScopeError):
        run(Region.objects.filter(code="EAST"))
    with platform_scope():
        assert Region.objects.filter(code="EAST").count() == 2


def test_related_lookups_are_scoped_too():
    a, b = tenant_pair(seed_regions_and_teams)
    with tenant_scope(a.organization):
        province = region_create(organization=a.organization, name="江苏", code="JS", level=Region.Level.PROVINCE,
                                 parent=a.objects["area"])
        assert list(a.objects["area"].children.all()) == [province]
    with tenant_scope(b.organization), pytest.raises(Region.DoesNotExist):
        # Reaching A's row through B's scope finds nothing, even by a foreign key.
        Region.objects.get(pk=province.pk)


def test_ops_admin_creates_a_tag_group_with_tags_in_their_organization():
    a, _b = tenant_pair()
    from django.test import Client

    from scrm.models import Tag

    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    response = client.post("/admin/scrm/taggroup/add/", {
        "name": "产品偏好", "sort_order": 0,
        "tags-TOTAL_FORMS": 1, "tags-INITIAL_FORMS": 0, "tags-0-name": "空调", "tags-0-color": "primary",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with platform_scope():
        tag = Tag.objects.select_related("group").get(name="空调")
    assert tag.organization == a.organization and tag.group.organization == a.organization


def test_a_duplicate_tag_name_in_the_admin_is_a_form_error_not_a_crash():
    a, _b = tenant_pair()
    from django.test import Client

    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    form = {"name": "产品偏好", "sort_order": 0, "tags-TOTAL_FORMS": 1, "tags-INITIAL_FORMS": 0,
            "tags-0-name": "空调", "tags-0-color": "primary"}
    assert client.post("/admin/scrm/taggroup/add/", form).status_code == 302
    response = client.post("/admin/scrm/taggroup/add/", {**form, "name": "另一组"})
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]


_PREPARED_SQL = ("SELECT count(*) FROM scrm_region WHERE organization_id = %(organization)s::bigint "
                 "AND name <> %(name)s::text")


def _prepared_names():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_is_prepared_once_per_session_and_again_after_a_reconnect():
    from django.db import connection

    from scrm.platform.tenancy import tenant_sql

    first, second = (tenant.organization for tenant in tenant_pair())
    with tenant_scope(first):
        region_create(organization=first, name="华东", code="EAST", level=Region.Level.AREA)
    for organization, expected in ((first, 1), (second, 0), (first, 1)):
        rows = tenant_sql(_PREPARED_SQL, {"name": "-"}, organization=organization, prepared_as="test_region_count")
        assert rows == [(expected,)]
    assert "test_region_count" in _prepared_names()
    connection.close()  # a new database session knows no prepared statement: it is prepared again on first use
    assert tenant_sql(_PREPARED_SQL, {"name": "华东"}, organization=first, prepared_as="test_region_count") == [(0,)]
    assert "test_region_count" in _prepared_names()


def test_a_prepared_statement_keeps_the_tenant_guards():
    from scrm.platform.tenancy import tenant_sql

    with pytest.raises(ScopeError):
        tenant_sql("SELECT 1 FROM scrm_region", organization=1, prepared_as="test_unscoped")
    with pytest.raises(ValueError, match="VALUES"):
        tenant_sql("INSERT INTO scrm_region (organization_id) VALUES %(values)s ON CONFLICT DO NOTHING "
                   "RETURNING %(organization)s", organization=1, values=[(1,)], template="(%s)",
                   prepared_as="test_values")

import pytest

from scrm.models import Region, Role, User
from scrm.selectors import region_scope_q
from scrm.services import agent_profile_upsert, region_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(scoped):
    def make(code, level, parent=None):
        return region_create(organization=scoped, name=code, code=code, level=level, parent=parent)

    east = make("EAST", Region.Level.AREA)
    js = make("JS", Region.Level.PROVINCE, east)
    nj = make("NJ", Region.Level.CITY, js)
    south = make("SOUTH", Region.Level.AREA)
    gd = make("GD", Region.Level.PROVINCE, south)
    return {"EAST": east, "JS": js, "NJ": nj, "SOUTH": south, "GD": gd}


def test_an_agent_sees_the_subtrees_of_the_regions_they_serve(scoped, tree, make_user):
    agent = make_user(scoped, Role.AGENT)
    agent_profile_upsert(user=agent, regions=[tree["JS"]])
    codes = set(Region.objects.filter(region_scope_q(user=agent, lookup="parent")).values_list("code", flat=True))
    # Rows whose region is JS or below it (NJ's parent is JS); rows with no region (the areas) are not theirs.
    assert codes == {"NJ"}


def test_finance_and_ops_see_every_region(scoped, tree, make_user):
    for role in (Role.FINANCE, Role.OPS_ADMIN, Role.VIEWER):
        user = make_user(scoped, role)
        assert Region.objects.filter(region_scope_q(user=user, lookup="parent")).count() == 5


def test_an_agent_with_no_regions_sees_no_row_by_region(scoped, tree, make_user):
    agent = make_user(scoped, Role.AGENT)
    assert Region.objects.filter(region_scope_q(user=agent, lookup="parent")).count() == 0


def test_a_supervisor_sees_the_regions_they_manage(scoped, tree, make_user):
    from scrm.services import region_set_managers

    supervisor = make_user(scoped, Role.SUPERVISOR)
    region_set_managers(region=tree["SOUTH"], managers=[supervisor])
    codes = set(Region.objects.filter(region_scope_q(user=supervisor, lookup="parent")).values_list("code", flat=True))
    # GD hangs under SOUTH; the areas have no parent (no region): not reached by region.
    assert codes == {"GD"}
    region_set_managers(region=tree["SOUTH"], managers=[])
    supervisor = User.objects.get(pk=supervisor.pk)  # the next request: its regions are read afresh
    assert Region.objects.filter(region_scope_q(user=supervisor, lookup="parent")).count() == 0


def test_only_supervisors_of_the_organization_can_manage_a_region(scoped, tree, make_user):
    from scrm.errors import ScrmError
    from scrm.services import region_managers, region_set_managers

    agent = make_user(scoped, Role.AGENT)
    with pytest.raises(ScrmError):
        region_set_managers(region=tree["EAST"], managers=[agent])
    assert region_managers(region=tree["EAST"]) == []


def test_ops_admin_names_region_managers_in_the_admin(scoped, tree, make_user):
    from django.test import Client

    from scrm.services import region_managers

    ops = make_user(scoped, Role.OPS_ADMIN)
    supervisor = make_user(scoped, Role.SUPERVISOR)
    client = Client()
    client.force_login(ops)
    response = client.post(f"/admin/scrm/region/{tree['GD'].pk}/change/", {
        "name": "广东", "code": "GD", "level": "province", "parent": tree["SOUTH"].pk, "managers": [supervisor.pk]})
    assert response.status_code == 302
    assert region_managers(region=tree["GD"]) == [supervisor]

import pytest
from django.core.exceptions import ValidationError

from scrm.errors import (
    MSG_ORG_SLUG_TAKEN,
    MSG_REGION_CYCLE,
    MSG_REGION_LEVEL_ORDER,
    MSG_USERNAME_TAKEN,
    ScrmError,
)
from scrm.models import Organization, Region, Role, User
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import organization_create, region_create, region_save, user_create, user_set_roles

pytestmark = pytest.mark.django_db


def test_organization_create_makes_its_first_ops_admin_staff():
    organization = organization_create(slug="xinghe", name="星河", admin_username="boss", admin_password="Sl0w-Turtle!")
    user = User.all_objects.get(username="boss")
    assert user.organization == organization
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [Role.OPS_ADMIN.value]
    assert user.check_password("Sl0w-Turtle!")


def test_organization_create_refuses_a_taken_slug_and_writes_nothing():
    organization_create(slug="xinghe", name="星河")
    with pytest.raises(ScrmError) as exc:
        organization_create(slug="xinghe", name="别家", admin_username="other", admin_password="Sl0w-Turtle!")
    assert str(exc.value) == str(MSG_ORG_SLUG_TAKEN)
    assert Organization.objects.count() == 1
    assert not User.all_objects.filter(username="other").exists()


def test_user_create_applies_the_password_validators(organization):
    with pytest.raises(ValidationError):
        user_create(organization=organization, username="weak", password="123456", roles=[Role.AGENT])
    assert not User.all_objects.filter(username="weak").exists()


def test_user_create_refuses_a_taken_username(organization, agent):
    with pytest.raises(ScrmError) as exc:
        user_create(organization=organization, username=agent.username, password="Sl0w-Turtle!", roles=[Role.AGENT])
    assert str(exc.value) == str(MSG_USERNAME_TAKEN)


def test_roles_decide_who_is_staff(organization, agent):
    assert not agent.is_staff
    user_set_roles(user=agent, roles=[Role.AGENT, Role.OPS_ADMIN])
    assert User.all_objects.get(pk=agent.pk).is_staff
    user_set_roles(user=agent, roles=[Role.AGENT])
    assert not User.all_objects.get(pk=agent.pk).is_staff


def _tree(organization):
    area = region_create(organization=organization, name="华东", code="EAST", level=Region.Level.AREA)
    province = region_create(organization=organization, name="江苏", code="JS", level=Region.Level.PROVINCE,
                             parent=area)
    city = region_create(organization=organization, name="南京", code="NJ", level=Region.Level.CITY, parent=province)
    return area, province, city


def test_region_paths_follow_the_tree(scoped):
    area, province, city = _tree(scoped)
    assert (area.path, province.path, city.path) == ("/EAST/", "/EAST/JS/", "/EAST/JS/NJ/")
    assert list(Region.objects.filter(path__startswith=area.path).values_list("code", flat=True)) == [
        "EAST", "JS", "NJ"]


def test_moving_a_province_moves_its_whole_subtree(scoped):
    _area, province, _city = _tree(scoped)
    south = region_create(organization=scoped, name="华南", code="SOUTH", level=Region.Level.AREA)
    province.parent = south
    region_save(region=province)
    assert dict(Region.objects.values_list("code", "path")) == {
        "EAST": "/EAST/", "SOUTH": "/SOUTH/", "JS": "/SOUTH/JS/", "NJ": "/SOUTH/JS/NJ/"}


def test_a_region_cannot_go_below_itself(scoped):
    area, province, _city = _tree(scoped)
    area.parent = province
    area.level = Region.Level.CITY
    with pytest.raises(ScrmError) as exc:
        region_save(region=area)
    assert str(exc.value) == str(MSG_REGION_CYCLE)
    assert Region.objects.get(code="EAST").parent_id is None


def test_a_city_cannot_hang_under_an_area(scoped):
    area, _province, _city = _tree(scoped)
    with pytest.raises(ScrmError) as exc:
        region_create(organization=scoped, name="无锡", code="WX", level=Region.Level.CITY, parent=area)
    assert str(exc.value) == str(MSG_REGION_LEVEL_ORDER)
    assert not Region.objects.filter(code="WX").exists()


def test_the_same_region_code_may_exist_in_two_organizations(organization):
    with platform_scope():
        other = Organization.objects.create(slug="other", name="别家")
    for org in (organization, other):
        region_create(organization=org, name="华东", code="EAST", level=Region.Level.AREA)
    with tenant_scope(other):
        assert Region.objects.get(code="EAST").organization == other

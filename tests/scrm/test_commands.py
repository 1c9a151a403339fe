import pytest
from django.core.management import CommandError, call_command

from scrm.models import Organization, Role, User

pytestmark = pytest.mark.django_db


def test_create_organization_with_its_first_ops_admin():
    call_command("create_organization", "xinghe", "星河家电", "--admin", "boss", "--password", "Sl0w-Turtle!")
    organization = Organization.objects.get(slug="xinghe")
    user = User.all_objects.get(username="boss")
    assert organization.name == "星河家电"
    assert user.organization == organization and user.is_staff
    assert user.groups.filter(name=Role.OPS_ADMIN.value).exists()


def test_create_organization_explains_a_weak_password_and_creates_nothing():
    with pytest.raises(CommandError, match="password"):
        call_command("create_organization", "xinghe", "星河家电", "--admin", "boss", "--password", "123")
    assert not Organization.objects.filter(slug="xinghe").exists()


def test_create_organization_refuses_a_taken_slug():
    call_command("create_organization", "xinghe", "星河家电")
    with pytest.raises(CommandError):
        call_command("create_organization", "xinghe", "另一家")

import pytest
from django.core.management import CommandError, call_command

from scrm.models import AgentProfile, Customer, Organization, Region, Role, Team, User
from scrm.platform.tenancy import tenant_scope

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


def test_seed_demo_is_idempotent_and_creates_one_user_per_role():
    call_command("seed_demo")
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        counts = (Region.objects.count(), Team.objects.count(), AgentProfile.objects.count())
    users = User.all_objects.filter(organization=organization).count()
    call_command("seed_demo")
    with tenant_scope(organization):
        assert (Region.objects.count(), Team.objects.count(), AgentProfile.objects.count()) == counts
        assert Region.objects.get(code="JS-NJ").path == "/EAST/JS/JS-NJ/"
    assert User.all_objects.filter(organization=organization).count() == users
    for role in Role:
        assert User.all_objects.filter(organization=organization, groups__name=role.value).exists(), role


def test_every_demo_role_sees_sensible_work():
    """The demo divides its work by region: each agent sees the customers of the regions they serve and the tickets
    of their queues, the supervisor (managing the three areas) every customer with a region, ops everything."""
    from scrm.selectors import customer_visible_q
    from tickets.models import Ticket
    from tickets.selectors import ticket_visible_q

    call_command("seed_demo")
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        customers = Customer.objects.count()
        for username in ("supervisor", "agent", "agent2", "agent3", "ops"):
            user = User.objects.get(username=username)
            seen = Customer.objects.filter(customer_visible_q(user=user)).count()
            assert 0 < seen <= customers, username
            assert Ticket.objects.filter(ticket_visible_q(user=user)).exists(), username
            if username == "ops":
                assert seen == customers
        supervisor = User.objects.get(username="supervisor")
        regioned = Customer.objects.filter(region__isnull=False)
        assert regioned.filter(customer_visible_q(user=supervisor)).count() == regioned.count() > 0
        agent = User.objects.get(username="agent")
        assert Customer.objects.filter(customer_visible_q(user=agent)).count() < customers

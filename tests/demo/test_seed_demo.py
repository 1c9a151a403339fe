"""`seed_demo` itself: the demo organization with one user per role, idempotent, and work for every role to see.
(Moved from tests/scrm/test_commands.py to share the seeded demo of tests/demo/conftest.py.)"""

import pytest
from django.core.management import call_command

from scrm.models import AgentProfile, Customer, Organization, Region, Role, Team, User
from scrm.platform.tenancy import tenant_scope

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_creates_one_user_per_role(demo_seeded):
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


def test_every_demo_role_sees_sensible_work(demo_seeded):
    """The demo divides its work by region: each agent sees the customers of the regions they serve and the tickets
    of their queues, the supervisor (managing the three areas) every customer with a region, ops everything."""
    from scrm.selectors import customer_visible_q
    from tickets.models import Ticket
    from tickets.selectors import ticket_visible_q

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


def test_demo_customers_were_created_over_time_and_shop_buyers_have_names(demo_seeded):
    """The customer list opens on the newest customers: it opened on sixty "买家005" rows made by the seed a minute
    ago, with no region or tag, while the demo's two years of customers sat on the last pages. Each demo customer
    is created when they first came (their first contact, their first order); a shop buyer carries the nickname
    the shop sends, as a real shop's do."""
    import re
    from datetime import timedelta

    from django.db.models import Min
    from django.utils import timezone

    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        days = {c.created_at.date() for c in Customer.objects.only("created_at")}
        assert len(days) >= 100
        first_orders = dict(Customer.objects.filter(orders__isnull=False).annotate(first=Min("orders__placed_at"))
                            .values_list("pk", "first"))
        assert first_orders
        created = dict(Customer.objects.filter(pk__in=first_orders).values_list("pk", "created_at"))
        assert all(created[pk] <= first for pk, first in first_orders.items())
        # Their last contact is their latest order's news, not the minute the demo was seeded.
        lasts = list(Customer.objects.filter(pk__in=first_orders).values_list("last_contact_at", flat=True))
        recent = timezone.now() - timedelta(hours=1)
        assert sum(1 for last in lasts if last is not None and last < recent) > len(lasts) // 2
        names = list(Customer.objects.values_list("display_name", flat=True))
        assert not [name for name in names if re.fullmatch(r"(有赞)?买家\d+", name)]


def test_demo_customers_and_their_channel_identities_date_from_their_first_contact(demo_seeded):
    """A ticket page's 近期动态 read "通过自有商城联系我们" on the seed day for a mall buyer whose orders were weeks
    old, and WeChat customers showed the seeding minute: each channel identity (and its customer) dates from the
    customer's first contact, their first order, ticket or submission at the latest."""
    from datetime import timedelta

    from django.db.models import Min
    from django.utils import timezone

    from scrm.models import ChannelIdentity
    from scrm.platform.timeline import customer_timeline

    organization = Organization.objects.get(slug="demo")
    recent = timezone.now() - timedelta(hours=2)
    with tenant_scope(organization):
        identities = list(ChannelIdentity.objects.select_related("customer"))
        assert len(identities) > 200
        # Only the few followers whose callbacks the demo replays arrived this hour; the others came before.
        assert sum(1 for identity in identities if identity.created_at > recent) <= 6
        firsts = {}
        for field in ("orders__placed_at", "tickets__created_at"):
            for pk, at in (Customer.objects.annotate(first=Min(field)).exclude(first=None)
                           .values_list("pk", "first")):
                firsts[pk] = min(at, firsts.get(pk, at))
        orders = dict(Customer.objects.filter(orders__store__channel="shop").annotate(first=Min("orders__placed_at"))
                      .values_list("pk", "first"))
        assert orders
        for identity in identities:
            customer = identity.customer
            first = min(filter(None, [firsts.get(customer.pk), customer.first_contact_at]))
            assert customer.created_at <= first and customer.first_contact_at <= first, customer
            if identity.channel == customer.source_channel:
                assert identity.created_at <= first, identity
            if identity.channel == "shop" and customer.pk in orders:
                assert identity.created_at <= orders[customer.pk], identity
        weeks_ago = recent - timedelta(days=7)
        buyer = next(i.customer for i in identities if i.channel == "shop" and i.created_at < weeks_ago)
        entries, _more = customer_timeline(customer=buyer, limit=50)
        reached = [e for e in entries if e.kind == "identity"]
        assert reached and all(e.at < recent for e in reached)

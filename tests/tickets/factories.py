"""factory_boy factories of the tickets tests, built on the core app's."""

import factory

from scrm.models import AgentProfile, Customer, Role
from tests.scrm.factories import AgentProfileFactory, OrganizationFactory, TeamFactory, UserFactory
from tickets.models import Queue, QueueMembership, RoutingRule, Ticket, TicketType


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"客户{n}")


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"队列{n}")
    code = factory.Sequence(lambda n: f"q{n}")
    team = factory.SubFactory(TeamFactory, organization=factory.SelfAttribute("..organization"))
    strategy = Queue.Strategy.ROUND_ROBIN


class TicketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketType

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"类型{n}")
    code = factory.Sequence(lambda n: f"type{n}")


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"规则{n}")
    position = factory.Sequence(lambda n: n)


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as the pool holds it (tests of opening go through ticket_open instead)."""

    class Meta:
        model = Ticket

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: f"T20260101-{n:06d}")
    subject = factory.Sequence(lambda n: f"工单{n}")
    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    channel = "wechat_oa"


def make_agent(organization, *, queues=(), status=AgentProfile.Status.ONLINE, max_open_tickets=20, regions=(),
               skills=(), username=None, team=None):
    """A user with the agent role and a profile, member of `queues`. Call inside a platform or tenant scope."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(organization=organization, roles=[Role.AGENT], **kwargs)
    profile_kwargs = {"team": team} if team is not None else {}
    profile = AgentProfileFactory(user=user, status=status, max_open_tickets=max_open_tickets, **profile_kwargs)
    profile.regions.set(regions)
    profile.skills.set(skills)
    for queue in queues:
        QueueMembership.objects.create(organization=organization, queue=queue, agent=profile)
    return user

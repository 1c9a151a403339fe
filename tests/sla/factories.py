"""Builders of the SLA tests: an office-hours calendar, a policy with targets per priority and a ladder, and a
queue whose agent has a supervisor. Call inside the organization's scope (or the platform scope)."""

from scrm.models import Role
from sla.models import PRESET_OFFICE, EscalationStep, SLAPolicy, SLATarget
from sla.services import calendar_create, sla_policy_save
from tests.scrm.factories import UserFactory
from tests.tickets.factories import QueueFactory, TicketTypeFactory, make_agent

# (priority, first response, next response, resolution) in business minutes
TARGETS = [(1, 30, 30, 240), (2, 60, 60, 480), (3, 120, 120, 960), (4, 240, None, 1920)]


def office_calendar(organization, *, name="工作日 9-18", china=True):
    return calendar_create(organization=organization, name=name, weekly_hours=PRESET_OFFICE,
                           follows_china_holidays=china)


def sla_policy(organization, calendar, *, name="标准", steps=(), targets=TARGETS, **conditions):
    policy = SLAPolicy(organization=organization, name=name, calendar=calendar, **conditions)
    return sla_policy_save(
        policy=policy,
        targets=[SLATarget(priority=p, first_response_minutes=fr, next_response_minutes=nr, resolution_minutes=res)
                 for p, fr, nr, res in targets],
        steps=[EscalationStep(**step) for step in steps],
    )


LADDER = [
    {"metric": "first_response", "trigger": "percent", "trigger_value": 50, "notify_assignee": True},
    {"metric": "first_response", "trigger": "breach", "notify_supervisor": True},
    {"metric": "resolution", "trigger": "after_breach", "trigger_value": 30, "reassign_to_supervisor": True,
     "raise_priority": True},
]


def staffed_queue(organization, *, username="sla-agent", supervisor_name="sla-boss"):
    """A queue with one online agent whose supervisor is a supervisor user; a ticket type routed to it."""
    queue = QueueFactory(organization=organization)
    supervisor = UserFactory(organization=organization, roles=[Role.SUPERVISOR], username=supervisor_name)
    agent = make_agent(organization, queues=[queue], username=username)
    agent.agent_profile.supervisor = supervisor
    agent.agent_profile.save(update_fields=["supervisor"])
    ticket_type = TicketTypeFactory(organization=organization, default_queue=queue)
    return queue, ticket_type, agent, supervisor

"""The demo tickets: seeded through the services by `seed_demo`, in every state, and only once."""

import pytest
from django.core.management import call_command

from scrm.models import Organization, User
from scrm.platform.tenancy import tenant_scope
from tickets.models import CannedResponse, Comment, Queue, QueueMembership, RoutingRule, Ticket, TicketEvent, TicketType
from tickets.selectors import canned_responses_for
from tickets.services.workspace import canned_response_render


def _counts():
    return tuple(model.objects.count() for model in (Ticket, TicketEvent, Comment, TicketType, Queue,
                                                      QueueMembership, RoutingRule, CannedResponse))


@pytest.mark.django_db
def test_seed_demo_creates_tickets_in_every_state_once(demo_seeded):
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
        assert 330 <= Ticket.objects.count() <= 400  # with the repair form's (demo/forms.py)
        assert set(TicketType.objects.values_list("name", flat=True)) == {"咨询", "投诉", "报修", "退换货", "安装"}
        assert dict(Queue.objects.values_list("name", "strategy")) == {
            "售后一线": "round_robin", "技术支持": "least_loaded", "投诉专席": "round_robin"}
        assert set(QueueMembership.objects.filter(queue__name="售后一线")
                   .values_list("agent__user__username", flat=True)) == {"agent", "agent2"}
        assert RoutingRule.objects.get(name="投诉升级到投诉专席").set_priority == Ticket.Priority.P1
        assert not Ticket.objects.exclude(events__kind=TicketEvent.Kind.CREATED).exists()
        for kind in ("assigned", "transferred", "merged", "comment", "status"):
            assert TicketEvent.objects.filter(kind=kind).exists(), kind
        assert Comment.objects.filter(is_public=False).exists()
        # Backdated over the last 30 days, each ticket numbered by its own day.
        days = {t.created_at.date() for t in Ticket.objects.only("created_at")}
        assert len(days) >= 20
        first = Ticket.objects.order_by("created_at", "pk").first()
        assert first.number.endswith("-000001")
        # The reply box offers a tech ticket the general replies and the tech queue's, filled in for the ticket.
        ticket = Ticket.objects.filter(queue__code="tech").select_related("customer").first()
        offered = {c.title: c for c in canned_responses_for(ticket=ticket)}
        assert {"问候", "故障排查"} <= set(offered) and "退款进度" not in offered
        text = canned_response_render(canned=CannedResponse.objects.get(pk=offered["问候"].pk), ticket=ticket,
                                      agent=User.objects.get(username="agent3"))
        assert ticket.customer.display_name in text and ticket.number in text and "{" not in text
        counts = _counts()

    call_command("seed_demo")

    with tenant_scope(organization):
        assert _counts() == counts


@pytest.mark.django_db
def test_demo_timelines_and_notifications_name_the_tickets_by_their_numbers(demo_seeded):
    """The demo renumbers its tickets by the day they were opened, after the services wrote the numbers of the
    moment into the timelines ("合并了 T20261205-000263") and the notifications ("工单 T20261205-000262 已分配给你"):
    333 notifications and the merge events named tickets that do not exist under that number."""
    import json
    import re

    from notifications.models import Notification

    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        numbers = set(Ticket.objects.values_list("number", flat=True))
        named = set()
        for before, after in TicketEvent.objects.values_list("before", "after"):
            named |= set(re.findall(r"T\d{8}-\d{6}", json.dumps([before, after], ensure_ascii=False)))
        for title, body in Notification.objects.values_list("title", "body"):
            named |= set(re.findall(r"T\d{8}-\d{6}", title + body))
        assert named
        assert named <= numbers, sorted(named - numbers)[:5]


@pytest.mark.django_db
def test_demo_tickets_were_last_changed_at_their_last_event(demo_seeded):
    """Every demo ticket read "last changed" at the minute of seeding (applying the demo's SLA policies stamps the
    ticket): the lists sorted by last change showed a month of work as all changed just now. Each ticket's last
    change is now its last event's time."""
    from datetime import timedelta

    from django.db.models import Max

    with tenant_scope(demo_seeded):
        tickets = list(Ticket.objects.annotate(last_event=Max("events__created_at")))
        assert len(tickets) >= 290
        late = [t.number for t in tickets if t.updated_at > t.last_event + timedelta(seconds=1)]
        assert late == []

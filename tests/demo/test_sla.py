"""The demo organization's SLA: two calendars, two policies with ladders, tickets in every SLA state, once."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import timezone, translation

from scrm.models import Organization, User
from scrm.platform.tenancy import tenant_scope
from sla.models import BusinessCalendar, CalendarDay, SLAPolicy
from sla.report import sla_compliance
from sla.state import sla_state_annotate
from tickets.models import Ticket, TicketEvent


@pytest.mark.django_db
def test_seed_demo_gives_calendars_policies_and_every_sla_state_once(demo_seeded):
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        assert BusinessCalendar.objects.count() == 2
        assert CalendarDay.objects.filter(kind="workday").exists()  # the 调休 days of the 7×12 calendar
        assert SLAPolicy.objects.count() == 2
        states = set(sla_state_annotate(Ticket.objects.all()).values_list("sla_state", flat=True))
        assert {"on_track", "at_risk", "breached", "paused", "met"} <= states
        counts = (Ticket.objects.count(), SLAPolicy.objects.count(), CalendarDay.objects.count())

    call_command("seed_demo")

    with tenant_scope(organization):
        assert (Ticket.objects.count(), SLAPolicy.objects.count(), CalendarDay.objects.count()) == counts


@pytest.mark.django_db
def test_seed_demo_pending_tickets_read_paused_since_they_went_pending(demo_seeded):
    """The demo's tickets waiting on the customer have their clock paused from the moment they went pending, as
    the status service pauses it: a due time passing after that is no breach, so they read 已暂停 (only one that
    missed a target before it went pending reads 已超时, as in the product)."""
    organization = Organization.objects.get(slug="demo")
    badge = Template("{% load sla %}{% sla_badge ticket %}")
    with tenant_scope(organization), translation.override("zh-hans"):
        pending = list(sla_state_annotate(Ticket.objects.filter(status=Ticket.Status.PENDING, sla_policy__isnull=False)
                                          .exclude(subject__startswith="【SLA 演示】")))
        assert len(pending) >= 5
        paused = 0
        for ticket in pending:
            went = (TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS, after__status="pending")
                    .latest("created_at", "pk").created_at)
            assert ticket.paused_since == went, ticket.number
            assert TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.SLA_PAUSED).created_at == went
            assert ticket.next_escalation_at is None
            dues = [ticket.next_response_due_at, ticket.resolution_due_at]
            if ticket.first_response_at is None:
                dues.append(ticket.first_response_due_at)
            missed_before = ticket.sla_breached or any(due is not None and due <= went for due in dues)
            shown = re.sub(r"<[^>]+>", " ", badge.render(Context({"ticket": ticket})))  # what the badge reads
            if missed_before:
                assert ticket.sla_state == "breached" and "已超时" in shown, ticket.number
            else:
                assert ticket.sla_state == "paused", ticket.number
                assert "已暂停" in shown and "已超时" not in shown, (ticket.number, shown)
                paused += 1
        assert paused  # most missed their first response before they went pending: those stay 已超时


@pytest.mark.django_db
def test_seed_demo_fresh_sla_tickets_read_as_opened_when_they_were(demo_seeded):
    """The 【SLA 演示】 tickets are opened and moved back in time: their timelines said they were opened, assigned and
    given their SLA hours after their creation time, and read "已应用 SLA" twice (the second time for the demo's
    own recalculation)."""
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        late = Ticket.objects.get(subject="【SLA 演示】已超时：空调安装师傅未上门")
        opening = TicketEvent.objects.filter(ticket=late, kind__in=("created", "assigned", "sla_applied"))
        assert {event.created_at for event in opening} == {late.created_at}
        applied = TicketEvent.objects.get(ticket=late, kind=TicketEvent.Kind.SLA_APPLIED)
        assert (applied.before["policy"], applied.after["reason"]) == (None, "opened")
        assert applied.after["first_response_due"] == late.first_response_due_at.isoformat()


@pytest.mark.django_db
def test_seed_demo_sla_report_reads_like_a_working_service_team(demo_seeded):
    """The SLA report is the first thing a prospect asks to see: the demo's 30 days read 16 % of first responses in
    time (every reply came hours after the message, spread as evenly as the rest of the ticket's work). A team at
    work answers most messages within minutes and resolves most tickets within their target, with a few misses so
    that breaches still show."""
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        ops = User.objects.get(username="ops")
        today = timezone.localdate()
        _rows, total = sla_compliance(user=ops, start=today - timedelta(days=30), end=today)
        assert total.tickets >= 250
        assert 75 <= total.fr_rate <= 97, total.fr_rate
        assert 65 <= total.res_rate <= 95, total.res_rate
        assert total.breaches >= 5


@pytest.mark.django_db
def test_seed_demo_backlog_reads_its_sla_applied_when_it_was_opened(demo_seeded):
    """The demo's month of tickets got their SLA when the seed created the policies, after the tickets: each
    timeline ended on "已应用 SLA" at the minute of seeding, days after the ticket's last reply. The first application
    is moved to the ticket's opening, where the product writes it."""
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        first = (TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA_APPLIED, after__reason="demo")
                 .exclude(ticket__subject__startswith="【SLA 演示】").select_related("ticket"))
        assert first.count() >= 250
        assert all(event.created_at == event.ticket.created_at for event in first)

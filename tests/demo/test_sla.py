"""The demo organization's SLA: two calendars, two policies with ladders, tickets in every SLA state, once."""

import pytest
from django.core.management import call_command

from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from sla.models import BusinessCalendar, CalendarDay, SLAPolicy
from sla.state import sla_state_annotate
from tickets.models import Ticket


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

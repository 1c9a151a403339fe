"""`ticket_external_change`: what another app tells a ticket about its case on a platform, as plain codes (tickets
knows neither the ledger nor its statuses): a system event worded at read time, the assignee told of an end or a
reopening only, another organization's ticket never touched."""

import pytest
from django.utils import translation

from notifications.models import Notification
from scrm.models import Customer, Role
from scrm.platform.coded import coded_messages_register
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import tenant_pair
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_external_change, ticket_open
from tickets.services.external import Outcome
from tickets.views import event_summary

pytestmark = pytest.mark.django_db

WORDS = "tests.parcel"
coded_messages_register({"parcel": "parcel", "parcel.sent": "sent", "parcel.lost": "lost"}, namespace=WORDS)


def _seed(tenant):
    customer = Customer.objects.create(organization=tenant.organization, display_name=f"{tenant.marker} 买家")
    ticket = ticket_open(organization=tenant.organization, customer=customer, subject="包裹", description="包裹",
                         channel="manual")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=tenant.users[Role.AGENT])
    tenant.objects["ticket"] = ticket


def _tell(tenant, ticket, outcome, before="sent", after="lost", words=WORDS):
    return ticket_external_change(organization=tenant.organization, ticket=ticket, case="parcel", number="P-1",
                                  before=before, after=after, outcome=outcome, words=words)


def _told(tenant):
    with tenant_scope(tenant.organization):
        return Notification.objects.filter(recipient=tenant.users[Role.AGENT],
                                           kind=Notification.Kind.PLATFORM_UPDATE).count()


def test_a_step_is_an_event_and_an_end_also_tells_the_assignee():
    a, _b = tenant_pair(_seed)
    ticket = a.objects["ticket"]
    progress = _tell(a, ticket, Outcome.PROGRESS)
    assert (progress.kind, progress.actor, progress.before, progress.after["status"]) == (
        TicketEvent.Kind.PLATFORM, None, {"status": "sent"}, "lost")
    assert _told(a) == 0
    _tell(a, ticket.pk, Outcome.FINISHED)
    assert _told(a) == 1


def test_nothing_changed_writes_nothing():
    a, _b = tenant_pair(_seed)
    assert _tell(a, a.objects["ticket"], Outcome.FINISHED, before="lost", after="lost") is None
    with tenant_scope(a.organization):
        assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.PLATFORM).exists()


def test_a_word_the_reporter_never_registered_shows_as_its_code():
    a, _b = tenant_pair(_seed)
    event = _tell(a, a.objects["ticket"], Outcome.PROGRESS, words="tests.unknown")
    with translation.override("en"):
        assert event_summary(event) == "Platform update on parcel P-1: parcel.sent → parcel.lost"


def test_another_organizations_ticket_is_not_found_and_not_touched():
    a, b = tenant_pair(_seed)
    assert _tell(a, b.objects["ticket"], Outcome.REOPENED) is None
    with tenant_scope(b.organization):
        assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.PLATFORM).exists()
    assert _told(b) == 0

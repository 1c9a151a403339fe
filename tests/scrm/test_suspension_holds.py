"""Suspension holds everywhere and at once: a suspended organization's signed-in users are refused on their very
next request, and its background work waits (notifications, exports, inbound events are neither claimed nor
swept; the SLA sweep leaves its tickets; its exports' files do not expire). Nothing is deleted, and after the
resumption everything that waited goes out."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification, NotificationDelivery
from scrm.customers import exports
from scrm.customers.jobs import EXPORT_KEPT_FOR, customer_exports_expire
from scrm.models import Customer, CustomerExport, Role, User
from scrm.platform import outbox
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import organization_resume, organization_suspend
from sla.models import PRESET_24X7, BusinessCalendar
from sla.services import calendar_create, sla_sweep
from tests.scrm.factories import OrganizationFactory
from tests.sla.factories import sla_policy, staffed_queue
from tests.tenancy import api_token
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_open


@pytest.fixture
def operator(db):
    with platform_scope():
        return User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106


@pytest.fixture
def other(db):
    with platform_scope():
        return OrganizationFactory(slug="globex", name="环球")


# --- users: cut off on their very next request -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_user_is_refused_on_the_very_next_page_admin_and_api_request(organization, ops_admin, operator):
    browser = Client()
    browser.force_login(ops_admin)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {api_token(ops_admin)}")
    assert browser.get("/customers/").status_code == 200
    assert token.get("/api/v1/customers/").status_code == 200

    organization_suspend(organization=organization, by=operator)

    # No cache stands between the suspension and the next request: each one reads the organization's status.
    assert browser.get("/customers/").status_code == 403
    assert browser.get("/admin/").status_code == 403
    assert token.get("/api/v1/customers/").status_code == 403
    assert browser.get("/api/v1/customers/").status_code == 403

    organization_resume(organization=organization, by=operator)
    assert browser.get("/customers/").status_code == 200
    assert token.get("/api/v1/customers/").status_code == 200


# --- notifications through a real worker and beat -----------------------------------------------------------------


def _assign(organization, make_user, suffix):
    supervisor = make_user(organization, Role.SUPERVISOR, username=f"boss-{suffix}")
    agent = make_user(organization, Role.AGENT, username=f"agent-{suffix}", email=f"{suffix}@example.com")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")
    ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
    return agent


def _delivery_of(organization):
    with tenant_scope(organization):
        return NotificationDelivery.objects.get()


def _wait(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {timeout}s (are the worker and beat running?)")


def test_a_suspended_organizations_notifications_wait_and_go_out_after_resume(celery_worker, celery_beat,
                                                                            organization, other, make_user,
                                                                            operator, mailoutbox):
    organization_suspend(organization=organization, by=operator)
    _assign(organization, make_user, "acme")  # published to the worker on commit, like any delivery
    _assign(other, make_user, "globex")

    # The other organization's email leaves: the worker and the sweeps run; the suspended one's waits untouched.
    _wait(lambda: _delivery_of(other).status == "sent")
    time.sleep(2)  # two more sweeps of beat
    waiting = _delivery_of(organization)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert [message.to for message in mailoutbox] == [["globex@example.com"]]

    organization_resume(organization=organization, by=operator)

    sent = _wait(lambda: (d := _delivery_of(organization)).status == "sent" and d)
    assert sent.attempts == 1
    assert sorted(message.to[0] for message in mailoutbox) == ["acme@example.com", "globex@example.com"]


# --- the SLA sweep -------------------------------------------------------------------------------------------------


def _breaching_ticket(organization, *, suffix):
    with tenant_scope(organization):
        calendar = calendar_create(organization=organization, name="7×24", weekly_hours=PRESET_24X7,
                                   preset=BusinessCalendar.Preset.H24X7, follows_china_holidays=False)
        _queue, ticket_type, _agent, supervisor = staffed_queue(
            organization, username=f"agent-{suffix}", supervisor_name=f"boss-{suffix}")
        sla_policy(organization, calendar, steps=[
            {"metric": "first_response", "trigger": "breach", "notify_supervisor": True}])
        customer = CustomerFactory(organization=organization)
        with time_machine.travel(timezone.now() - timedelta(hours=2, minutes=1), tick=False):
            ticket = ticket_open(organization=organization, customer=customer, subject="燃气灶打不着火",
                                 description="", channel="wechat_oa", type=ticket_type)
    return ticket, supervisor


def _escalations(organization, ticket):
    with tenant_scope(organization):
        return (TicketEvent.objects.filter(ticket=ticket, kind="escalated").count(),
                Notification.objects.filter(ticket=ticket, kind="sla_breach").count())


@pytest.mark.django_db
def test_the_sla_sweep_leaves_a_suspended_organizations_tickets_until_it_resumes(organization, other, operator):
    ticket, _supervisor = _breaching_ticket(organization, suffix="acme")
    elsewhere, _ = _breaching_ticket(other, suffix="globex")
    organization_suspend(organization=organization, by=operator)

    assert sla_sweep() == 1  # the other organization's ticket only
    escalated = _escalations(other, elsewhere)
    assert escalated[1] == 1  # its supervisor was told
    assert _escalations(organization, ticket) == (0, 0)
    with tenant_scope(organization):
        assert Ticket.objects.get(pk=ticket.pk).next_escalation_at <= timezone.now()  # still due, kept

    organization_resume(organization=organization, by=operator)
    assert sla_sweep() == 1
    assert _escalations(organization, ticket) == escalated


# --- exports (and imports: the same outbox kinds' rule) ------------------------------------------------------------


def _export_lost(user, django_capture_on_commit_callbacks):
    """An export asked for (its publish dropped, as with a broker that was down: the sweeper must take it)."""
    with django_capture_on_commit_callbacks(execute=False), tenant_scope(user.organization_id):
        return exports.customer_export_start(user=user, file_format="csv",
                                             customers=exports.customer_export_queryset(user=user))


@pytest.mark.django_db
def test_an_export_of_a_suspended_organization_does_not_run_until_it_resumes(
        organization, ops_admin, operator, eager_tasks, django_capture_on_commit_callbacks):
    with tenant_scope(organization):
        Customer.objects.create(organization=organization, display_name="张三", mobile="+8613812345678")
    job = _export_lost(ops_admin, django_capture_on_commit_callbacks)
    organization_suspend(organization=organization, by=operator)

    later = timezone.now() + timedelta(minutes=3)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep()["customer_export"] == 0  # not swept
        assert outbox.run("customer_export", [job.pk]) == {}  # nor claimed when its id reaches a worker
    with tenant_scope(organization):
        job.refresh_from_db()
    assert (job.status, job.job_state, job.attempts) == (CustomerExport.Status.QUEUED, "queued", 0)

    with time_machine.travel(later):
        organization_resume(organization=organization, by=operator)
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.sweep()["customer_export"] == 1
    with tenant_scope(organization):
        job.refresh_from_db()
    assert (job.status, job.row_count) == (CustomerExport.Status.DONE, 1)


@pytest.mark.django_db
def test_a_pending_row_of_a_resumed_organization_is_swept_at_once(organization, ops_admin, operator,
                                                                 django_capture_on_commit_callbacks):
    job = _export_lost(ops_admin, django_capture_on_commit_callbacks)
    organization_suspend(organization=organization, by=operator)
    organization_resume(organization=organization, by=operator)
    # Not a minute after it was asked for: the resumption made what waited due now.
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.sweep()["customer_export"] == 1
    with tenant_scope(organization):
        job.refresh_from_db()
    assert job.job_state == "queued"  # swept (enqueued), not yet run: this test's broker is not consumed


@pytest.mark.django_db
def test_a_suspended_organizations_export_files_do_not_expire(organization, ops_admin, operator, eager_tasks,
                                                             django_capture_on_commit_callbacks):
    job = _export_lost(ops_admin, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.run("customer_export", [job.pk])
    with tenant_scope(organization):
        job.refresh_from_db()
    assert job.status == CustomerExport.Status.DONE and job.file
    organization_suspend(organization=organization, by=operator)

    a_month_later = timezone.now() + EXPORT_KEPT_FOR + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_exports_expire(now=a_month_later) == 0
    assert job.file.storage.exists(job.file.name)

    organization_resume(organization=organization, by=operator)
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_exports_expire(now=a_month_later) == 1
    assert not job.file.storage.exists(job.file.name)

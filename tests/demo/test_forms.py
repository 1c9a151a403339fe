"""The demo organization's forms: a 报修 intake form with logic whose month of submissions opened tickets, a survey
with a month of ratings, and the custom fields of the 安装 and 报修 types; once."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.forms import DEMO_REPAIRS, DEMO_SURVEYS
from forms_builder.models import Form, FormSubmission
from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from settlement.models import ServiceJob
from tickets.models import Ticket, TicketTypeForm
from tickets.services._core import NUMBER_TZ


@pytest.mark.django_db
def test_seed_demo_gives_the_forms_once(demo_seeded):
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        assert set(Form.objects.values_list("slug", flat=True)) == {"repair", "survey", "install-fields",
                                                                      "repair-fields"}
        assert all(form.is_open for form in Form.objects.select_related("current_version"))
        # A month of public submissions, each with the ticket it opened, routed by its 问题类型 and dated with it.
        submissions = list(FormSubmission.objects.filter(form__slug="repair"))
        assert len(submissions) == DEMO_REPAIRS
        tickets = Ticket.objects.in_bulk([s.outcome["ticket_id"] for s in submissions])
        types = {(s.data["category"], tickets[s.outcome["ticket_id"]].type.code) for s in submissions}
        assert types == {("fault", "repair"), ("install", "install"), ("complaint", "complaint"), ("other", "repair")}
        for submission in submissions:
            ticket = tickets[submission.outcome["ticket_id"]]
            assert submission.outcome["number"] == ticket.number
            assert submission.created_at == ticket.created_at
            assert submission.customer_id == ticket.customer_id and submission.customer.mobile
            assert ticket.number.startswith(f"T{timezone.localtime(ticket.created_at, NUMBER_TZ):%Y%m%d}-")
        days = {timezone.localtime(s.created_at, NUMBER_TZ).date() for s in submissions}
        assert len(days) >= 15 and all(s.created_at <= timezone.now() for s in submissions)
        # Mostly worked through: closed and resolved ones, a few still open or new.
        statuses = {t.status for t in tickets.values()}
        assert {Ticket.Status.CLOSED, Ticket.Status.RESOLVED} <= statuses
        # A resolved repair or installation became a service job named by its ticket's number, renumbered with it.
        jobs = ServiceJob.objects.filter(ticket__in=tickets.values()).select_related("ticket")
        assert jobs.exists() and all(job.number == f"SJ{job.ticket.number}" for job in jobs)
        survey = FormSubmission.objects.filter(form__slug="survey")
        assert survey.count() == DEMO_SURVEYS
        assert {s.data["rating"] for s in survey} >= {3, 4, 5}
        assert len({timezone.localtime(s.created_at, NUMBER_TZ).date() for s in survey}) >= 10
        assert set(TicketTypeForm.objects.values_list("ticket_type__code", flat=True)) == {"install", "repair"}
        counts = (Form.objects.count(), FormSubmission.objects.count())

    call_command("seed_demo")

    with tenant_scope(organization):
        assert (Form.objects.count(), FormSubmission.objects.count()) == counts

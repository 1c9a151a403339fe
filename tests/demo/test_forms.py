"""The demo organization's forms: a 报修 intake form with logic whose samples opened tickets, a survey, and the
custom fields of the 安装 and 报修 types; once."""

import pytest
from django.core.management import call_command

from forms_builder.models import Form, FormSubmission
from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from tickets.models import Ticket, TicketTypeForm


@pytest.mark.django_db
def test_seed_demo_gives_the_forms_once(demo_seeded):
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        assert set(Form.objects.values_list("slug", flat=True)) == {"repair", "survey", "install-fields",
                                                                      "repair-fields"}
        assert all(form.is_open for form in Form.objects.select_related("current_version"))
        submissions = list(FormSubmission.objects.filter(form__slug="repair"))
        assert len(submissions) == 2
        types = {s.data["category"]: Ticket.objects.get(pk=s.outcome["ticket_id"]).type.code for s in submissions}
        assert types == {"fault": "repair", "install": "install"}
        assert set(TicketTypeForm.objects.values_list("ticket_type__code", flat=True)) == {"install", "repair"}
        counts = (Form.objects.count(), FormSubmission.objects.count())

    call_command("seed_demo")

    with tenant_scope(organization):
        assert (Form.objects.count(), FormSubmission.objects.count()) == counts

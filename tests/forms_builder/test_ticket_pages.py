"""The form builder on the ticket pages: intake answers, custom fields on the ticket page and in 新建工单, and the
settings choice of a type's fields form."""

import pytest
from django.urls import reverse

from forms_builder.models import Form
from forms_builder.services import form_submit
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.tickets.factories import QueueFactory, TicketTypeFactory, make_agent
from tickets.models import Ticket, TicketFieldAnswers, TicketTypeForm

FIELDS = {"sections": [{"key": "s", "fields": [
    {"key": "address", "type": "text", "label": "安装地址", "required": True},
    {"key": "lift", "type": "single_choice", "label": "有电梯", "options": [{"value": "y", "label": "有"},
                                                                       {"value": "n", "label": "无"}]},
    {"key": "floor", "type": "number", "label": "楼层", "min": 1, "max": 100,
     "visible_if": {"conditions": [{"field": "lift", "op": "equals", "value": "n"}]}},
]}]}


@pytest.fixture
def desk(organization):
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, code="install")
        install = TicketTypeFactory(organization=organization, code="install", name="安装", default_queue=queue)
        fields = published_form(organization, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS,
                                schema=FIELDS, name="安装单")
        agent = make_agent(organization, queues=[queue], username="installer")
    return {"queue": queue, "type": install, "fields": fields, "agent": agent}


def test_ops_give_a_ticket_type_its_fields_form(client, ops_admin, organization, desk):
    client.force_login(ops_admin)
    url = reverse("tickets:type-fields", args=[desk["type"].pk])
    assert "安装单" in client.get(url).content.decode()
    assert client.post(url, {"form": desk["fields"].pk}).status_code == 302
    with tenant_scope(organization):
        assert TicketTypeForm.objects.get(ticket_type=desk["type"]).form == desk["fields"]
        intake = published_form(organization, slug="intake")
    refused = client.post(url, {"form": intake.pk})  # only a "ticket-type fields" form
    assert refused.status_code == 400
    assert client.post(url, {"form": ""}).status_code == 302
    with tenant_scope(organization):
        assert not TicketTypeForm.objects.exists()


def test_an_agent_fills_the_custom_fields_on_the_ticket_page(client, organization, desk):
    from tests.tickets.factories import CustomerFactory
    from tickets.services.forms import ticket_type_set_form
    from tickets.services.lifecycle import ticket_open

    with tenant_scope(organization):
        ticket_type_set_form(ticket_type=desk["type"], form=desk["fields"])
        ticket = ticket_open(organization=organization, customer=CustomerFactory(organization=organization),
                             subject="装空调", description="", channel="phone", type=desk["type"])
    client.force_login(desk["agent"])
    url = reverse("tickets:ticket-forms", args=[ticket.pk])
    panel = client.get(url).content.decode()
    assert 'data-testid="custom-fields-form"' in panel and "安装地址" in panel
    refused = client.post(url, {"cf-lift": "n", "cf-floor": "500"})
    assert refused.status_code == 400 and "data-testid=\"error-address\"" in refused.content.decode()
    saved = client.post(url, {"cf-address": "人民路8号", "cf-lift": "y", "cf-floor": "7"})
    assert saved.status_code == 200
    with tenant_scope(organization):
        answers = TicketFieldAnswers.objects.get(ticket=ticket)
        assert answers.submission.data == {"address": "人民路8号", "lift": "y"}  # floor is hidden when there is a lift
        assert answers.by == desk["agent"]
    assert 'value="人民路8号"' in client.get(url).content.decode()


def test_new_ticket_offers_and_stores_the_types_fields(client, organization, desk, make_user):
    from tickets.services.forms import ticket_type_set_form

    with tenant_scope(organization):
        ticket_type_set_form(ticket_type=desk["type"], form=desk["fields"])
    supervisor = make_user(organization, Role.SUPERVISOR)
    client.force_login(supervisor)
    fragment = client.get(reverse("tickets:ticket-create-fields"), {"type": desk["type"].pk}).content.decode()
    assert 'name="cf-address"' in fragment
    assert 'name="cf-address"' not in client.get(reverse("tickets:ticket-create-fields")).content.decode()
    post = {"new_customer_name": "赵六", "new_customer_mobile": "13700001111", "channel": "phone",
            "subject": "装热水器", "description": "", "type": desk["type"].pk, "priority": 3}
    refused = client.post(reverse("tickets:ticket-create"), post)
    assert refused.status_code == 400 and "address" in refused.content.decode()
    with tenant_scope(organization):
        assert not Ticket.objects.exists()
    client.post(reverse("tickets:ticket-create"), {**post, "cf-address": "长江路1号"})
    with tenant_scope(organization):
        ticket = Ticket.objects.get()
        assert TicketFieldAnswers.objects.get(ticket=ticket).submission.data == {"address": "长江路1号"}


def test_the_ticket_page_shows_the_intake_answers(client, organization, desk):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(ticket_type="install"))
        submission = form_submit(form=form, data={"name": "钱七", "mobile": "13600002222", "problem": "fault",
                                                  "fault_code": "E33"})
        ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
        assert ticket.queue_id == desk["queue"].pk
    client.force_login(desk["agent"])
    panel = client.get(reverse("tickets:ticket-forms", args=[ticket.pk])).content.decode()
    assert 'data-testid="ticket-intake-answers"' in panel and "E33" in panel
    assert f'hx-get="/tickets/{ticket.pk}/forms/"' in client.get(
        reverse("tickets:ticket-detail", args=[ticket.pk])).content.decode()


def test_an_agent_reads_the_intake_mobile_masked_as_the_customer_panel_shows_it(client, organization, desk,
                                                                               ops_admin):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(ticket_type="install"))
        submission = form_submit(form=form, data={"name": "钱七", "mobile": "13600002222", "problem": "fault",
                                                  "fault_code": "E33"})
        ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
    url = reverse("tickets:ticket-forms", args=[ticket.pk])
    client.force_login(desk["agent"])  # an agent may not reveal a customer's mobile
    panel = client.get(url).content.decode()
    assert "136****2222" in panel and "13600002222" not in panel
    client.force_login(ops_admin)  # who may reveal it reads it
    assert "13600002222" in client.get(url).content.decode()


def test_an_intake_tickets_description_carries_the_mobile_masked(client, organization, desk, ops_admin):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(ticket_type="install"))
        submission = form_submit(form=form, data={"name": "钱七", "mobile": "13900000001", "problem": "fault",
                                                  "fault_code": "E33"})
        ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
    page = reverse("tickets:ticket-detail", args=[ticket.pk])
    client.force_login(desk["agent"])
    body = client.get(page).content.decode()
    description = body.split('data-testid="ticket-description"', 1)[1].split("</div></div>", 1)[0]
    assert "手机：139****0001" in description and "故障代码：E33" in description
    assert "13900000001" not in body
    # Who may reveal the number still reads it where it is kept: the intake answers and the customer.
    client.force_login(ops_admin)
    assert "13900000001" in client.get(reverse("tickets:ticket-forms", args=[ticket.pk])).content.decode()
    with tenant_scope(organization):
        assert submission.data["mobile"] == ticket.customer.mobile == "+8613900000001"


def test_an_intake_tickets_subject_taken_from_a_mobile_field_is_masked(organization):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(subject_field="mobile"))
        submission = form_submit(form=form, data={"name": "钱七", "mobile": "13900000001", "problem": "fault",
                                                  "fault_code": "E33"})
        assert Ticket.objects.get(pk=submission.outcome["ticket_id"]).subject == "报修：139****0001"


CONTACT_FIELDS = {"sections": [{"key": "s", "fields": [
    {"key": "address", "type": "text", "label": "安装地址", "required": True},
    {"key": "contact", "type": "mobile", "label": "现场联系电话"},
]}]}


@pytest.fixture
def contact_ticket(organization, desk):
    """A ticket whose type's custom fields hold a mobile, answered 13900000001."""
    from tests.tickets.factories import CustomerFactory
    from tickets.services.forms import ticket_fields_save, ticket_type_set_form
    from tickets.services.lifecycle import ticket_open

    with tenant_scope(organization):
        fields = published_form(organization, slug="site-contact", purpose=Form.Purpose.TICKET_FIELDS,
                                schema=CONTACT_FIELDS, name="现场联系")
        ticket_type_set_form(ticket_type=desk["type"], form=fields)
        ticket = ticket_open(organization=organization, customer=CustomerFactory(organization=organization),
                             subject="装空调", description="", channel="phone", type=desk["type"])
        ticket_fields_save(ticket=ticket, data={"address": "人民路8号", "contact": "13900000001"})
    return ticket


def _current_answers(organization, ticket):
    with tenant_scope(organization):
        return TicketFieldAnswers.objects.get(ticket=ticket, is_current=True).submission.data


def test_an_agent_edits_the_custom_fields_with_a_mobile_shown_masked_and_kept_when_unchanged(
        client, organization, desk, make_user, contact_ticket):
    from tests.tickets.factories import AgentProfileFactory
    from tickets.models import QueueMembership

    supervisor = make_user(organization, Role.SUPERVISOR, username="lead")
    with tenant_scope(organization):
        QueueMembership.objects.create(organization=organization, queue=desk["queue"],
                                       agent=AgentProfileFactory(user=supervisor))
    url = reverse("tickets:ticket-forms", args=[contact_ticket.pk])
    client.force_login(desk["agent"])
    panel = client.get(url).content.decode()
    assert 'name="cf-contact"' in panel and 'value="139****0001"' in panel
    assert "13900000001" not in panel

    saved = client.post(url, {"cf-address": "人民路9号", "cf-contact": "139****0001"})  # the number left as shown

    assert saved.status_code == 200 and "13900000001" not in saved.content.decode()
    assert _current_answers(organization, contact_ticket) == {"address": "人民路9号", "contact": "+8613900000001"}
    client.post(url, {"cf-address": "人民路9号", "cf-contact": "13700002222"})  # a new number typed replaces it
    assert _current_answers(organization, contact_ticket)["contact"] == "+8613700002222"
    client.force_login(supervisor)  # who may reveal it gets the form filled as before: the number in full
    assert 'value="+8613700002222"' in client.get(url).content.decode()


def test_a_refused_custom_fields_save_leaves_the_masked_mobile_as_shown_and_not_called_wrong(
        client, organization, desk, contact_ticket):
    client.force_login(desk["agent"])
    url = reverse("tickets:ticket-forms", args=[contact_ticket.pk])

    refused = client.post(url, {"cf-address": "", "cf-contact": "139****0001"})  # the address forgotten

    body = refused.content.decode()
    assert refused.status_code == 400 and 'data-testid="error-address"' in body
    assert 'data-testid="error-contact"' not in body  # the number left as shown is the stored one, not a wrong one
    assert 'value="139****0001"' in body and "13900000001" not in body
    assert _current_answers(organization, contact_ticket)["address"] == "人民路8号"


def test_saving_unchanged_a_masked_text_field_bound_to_the_customers_mobile_keeps_the_customers_number(
        client, organization, desk):
    from tests.tickets.factories import CustomerFactory
    from tickets.services.forms import ticket_fields_save, ticket_type_set_form
    from tickets.services.lifecycle import ticket_open

    bound = {"sections": [{"key": "s", "fields": [
        {"key": "address", "type": "text", "label": "安装地址", "required": True},
        {"key": "phone", "type": "text", "label": "联系电话", "bind": "customer.mobile"},
    ]}]}
    with tenant_scope(organization):
        fields = published_form(organization, slug="bound-phone", purpose=Form.Purpose.TICKET_FIELDS, schema=bound)
        ticket_type_set_form(ticket_type=desk["type"], form=fields)
        customer = CustomerFactory(organization=organization, mobile="+8613900000001")
        ticket = ticket_open(organization=organization, customer=customer, subject="装空调", description="",
                             channel="phone", type=desk["type"])
        ticket_fields_save(ticket=ticket, data={"address": "人民路8号", "phone": "13900000001"})
    url = reverse("tickets:ticket-forms", args=[ticket.pk])
    client.force_login(desk["agent"])
    assert 'value="139****0001"' in client.get(url).content.decode()

    assert client.post(url, {"cf-address": "人民路9号", "cf-phone": "139****0001"}).status_code == 200

    assert _current_answers(organization, ticket)["phone"] == "13900000001"  # never the stars
    with tenant_scope(organization):
        customer.refresh_from_db()
        assert customer.mobile == "+8613900000001"


def test_an_agent_reads_a_changed_intake_mobile_masked_in_the_tickets_and_the_customers_timelines(
        client, organization, desk, ops_admin):
    from forms_builder.services import submission_edit
    from scrm.platform.timeline import customer_timeline

    answers = {"name": "钱七", "mobile": "13600002222", "problem": "fault", "fault_code": "E33"}
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(ticket_type="install"))
        submission = form_submit(form=form, data=answers)
        submission_edit(submission=submission, data={**answers, "mobile": "13900000001"}, actor=ops_admin)
        ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
    client.force_login(desk["agent"])
    body = client.get(reverse("tickets:ticket-detail", args=[ticket.pk])).content.decode()
    assert body.count("手机: 136****2222 → 139****0001") == 2  # the ticket's event and the customer's history
    assert "13600002222" not in body and "13900000001" not in body
    with tenant_scope(organization):  # who may reveal reads the customer's history in full, as before
        entries, _next = customer_timeline(customer=ticket.customer, user=ops_admin)
    assert "手机: +8613600002222 → +8613900000001" in next(e for e in entries if e.kind == "form-change").detail

"""A text field bound to the customer's mobile takes a mobile number only: a person typing "call me" or "12345"
there (a customer on the public page, an agent on the ticket page, staff editing a submission) is told so beside the
field, which the message names, and nothing is written (no submission, no change, the customer's profile as it
was); before, the answer reached the customer's record and the page answered with a server error."""

import re

import pytest
from django.urls import reverse

from forms_builder.models import Form, FormSubmission, FormSubmissionChange
from forms_builder.services import form_submit
from forms_builder.tokens import identity_token
from scrm.models import Customer
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.models import TicketFieldAnswers

LABEL = "联系电话"
NOT_NUMBERS = ["call me", "12345"]


def bound_schema():
    return {"sections": [{"key": "s1", "fields": [
        {"key": "name", "type": "text", "label": "姓名", "bind": "customer.name"},
        {"key": "phone", "type": "text", "label": LABEL, "bind": "customer.mobile"},
        {"key": "problem", "type": "textarea", "label": "问题"},
    ]}]}


def _field_error(response, key="phone"):
    """The message shown beside the field `key`, or None."""
    match = re.search(rf'data-testid="error-{key}">([^<]*)<', response.content.decode())
    return match.group(1) if match else None


@pytest.fixture
def customer(organization):
    with tenant_scope(organization):
        return CustomerFactory(organization=organization, display_name="王小明", mobile="+8613800001111")


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_a_customer_typing_no_number_on_their_signed_link_is_told_and_nothing_is_written(client, organization,
                                                                                          customer, typed):
    with tenant_scope(organization):
        form = published_form(organization, slug="service", schema=bound_schema(), name="服务登记")
        token = identity_token(form=form, customer=customer)
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "service"})

    refused = client.post(url, {"_wx": token, "name": "王小明", "phone": typed, "problem": "漏水"})

    assert refused.status_code == 400
    assert LABEL in _field_error(refused)
    assert f'value="{typed}"' in refused.content.decode()  # what they typed is still there to correct
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists()
        customer.refresh_from_db()
        assert customer.mobile == "+8613800001111"
    assert client.post(url, {"_wx": token, "name": "王小明", "phone": "139 0000 9999",
                             "problem": "漏水"}).status_code == 302
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data["phone"] == "139 0000 9999"  # the answer as typed
        customer.refresh_from_db()
        assert customer.mobile == "+8613900009999"  # the profile's normalised


def test_a_visitor_typing_no_number_on_a_public_intake_form_is_told_and_no_customer_is_made(client, organization):
    with tenant_scope(organization):
        published_form(organization, slug="service", schema=bound_schema(), name="服务登记")
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "service"})

    refused = client.post(url, {"name": "路人", "phone": "12345", "problem": "漏水"})

    assert refused.status_code == 400 and LABEL in _field_error(refused)
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists() and not Customer.objects.exists()


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_an_agent_typing_no_number_in_a_bound_custom_field_is_told_and_nothing_is_written(client, organization,
                                                                                          customer, typed):
    from tickets.services.forms import ticket_type_set_form
    from tickets.services.lifecycle import ticket_open

    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, code="install")
        install = TicketTypeFactory(organization=organization, code="install", name="安装", default_queue=queue)
        fields = published_form(organization, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS,
                                schema=bound_schema(), name="安装单")
        ticket_type_set_form(ticket_type=install, form=fields)
        ticket = ticket_open(organization=organization, customer=customer, subject="装空调", description="",
                             channel="phone", type=install)
        agent = make_agent(organization, queues=[queue], username="installer")
    client.force_login(agent)
    url = reverse("tickets:ticket-forms", args=[ticket.pk])

    refused = client.post(url, {"cf-phone": typed, "cf-problem": "漏水"})

    assert refused.status_code == 400 and LABEL in _field_error(refused)
    with tenant_scope(organization):
        assert not TicketFieldAnswers.objects.exists() and not FormSubmission.objects.exists()
        customer.refresh_from_db()
        assert customer.mobile == "+8613800001111"


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_staff_typing_no_number_in_a_bound_answer_are_told_and_nothing_is_written(client, organization, ops_admin,
                                                                                  customer, typed):
    with tenant_scope(organization):
        form = published_form(organization, slug="service", schema=bound_schema(), name="服务登记")
        submission = form_submit(form=form, data={"name": "王小明", "phone": "13800001111", "problem": "漏水"},
                                 customer=customer)
    client.force_login(ops_admin)
    url = reverse("forms_builder:submission-edit", args=[form.pk, submission.pk])

    refused = client.post(url, {"name": "王小明", "phone": typed, "problem": "漏水"})

    assert refused.status_code == 400 and LABEL in _field_error(refused)
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["phone"] == "13800001111"
        assert not FormSubmissionChange.objects.exists()
        customer.refresh_from_db()
        assert customer.mobile == "+8613800001111"


def test_a_public_intake_answer_in_a_bound_text_field_finds_the_customer_who_has_that_number(client, organization,
                                                                                             customer):
    with tenant_scope(organization):
        published_form(organization, slug="service", schema=bound_schema(), name="服务登记")
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "service"})

    assert client.post(url, {"name": "王小明", "phone": "138 0000 1111", "problem": "漏水"}).status_code == 302

    with tenant_scope(organization):
        assert FormSubmission.objects.get().customer == customer  # not a second 王小明 with the same number
        assert Customer.objects.count() == 1


def test_a_public_intake_answer_in_a_bound_text_field_names_a_new_customer_by_its_last_digits(client, organization):
    schema = bound_schema()
    schema["sections"][0]["fields"].pop(0)  # no name field: the visitor is named after the number
    with tenant_scope(organization):
        published_form(organization, slug="service", schema=schema, name="服务登记")
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "service"})

    assert client.post(url, {"phone": "13900009999", "problem": "漏水"}).status_code == 302

    with tenant_scope(organization):
        made = Customer.objects.get()
        assert made.mobile == "+8613900009999" and made.display_name.endswith("9999")

"""A ticket type's custom fields in the workspace: the queue filters on their current values (never on an earlier
save), with a bounded number of queries; and 新建工单 keeps the values typed when the page is refused."""

import re

import pytest
from django.urls import reverse

from forms_builder.models import Form
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.models import Ticket, TicketFieldAnswers
from tickets.services.forms import ticket_fields_save, ticket_type_set_form
from tickets.services.lifecycle import ticket_open

FIELDS = {"sections": [{"key": "s", "fields": [
    {"key": "address", "type": "text", "label": "安装地址", "required": True},
    {"key": "lift", "type": "single_choice", "label": "有电梯",
     "options": [{"value": "y", "label": "有"}, {"value": "n", "label": "无"}]},
    {"key": "floor", "type": "number", "label": "楼层", "min": 1, "max": 100},
    {"key": "when", "type": "date", "label": "预约日期"},
]}]}


@pytest.fixture
def desk(organization):
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, code="install", auto_assign=False)
        install = TicketTypeFactory(organization=organization, code="install", name="安装", default_queue=queue)
        other = TicketTypeFactory(organization=organization, code="repair", name="维修", default_queue=queue)
        fields = published_form(organization, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS,
                                schema=FIELDS, name="安装单")
        ticket_type_set_form(ticket_type=install, form=fields)
        agent = make_agent(organization, queues=[queue], username="installer")
    return {"org": organization, "queue": queue, "type": install, "other": other, "agent": agent}


def _ticket(desk, subject, answers=(), type_=None):
    org = desk["org"]
    with tenant_scope(org):
        ticket = ticket_open(organization=org, customer=CustomerFactory(organization=org), subject=subject,
                             description="", channel="phone", type=type_ or desk["type"], queue=desk["queue"])
        for data in answers:
            ticket_fields_save(ticket=ticket, data=data)
    return ticket


@pytest.fixture
def tickets(desk):
    return [
        _ticket(desk, "一号单", [{"address": "人民路1号", "lift": "y", "floor": "12", "when": "2026-05-01"}]),
        # Had a lift at first; the current answers say none: only the current ones count.
        _ticket(desk, "二号单", [{"address": "长江路2号", "lift": "y", "floor": "3"},
                                {"address": "长江路2号", "lift": "n", "floor": "3", "when": "2026-05-20"}]),
        _ticket(desk, "三号单", [{"address": "人民路3号", "lift": "n", "floor": "30"}]),
        _ticket(desk, "四号单"),  # no answers yet
        _ticket(desk, "维修单", type_=desk["other"]),
    ]


def _subjects(client, query):
    html = client.get(reverse("tickets:ticket-queues"), query).content.decode()
    return [s for s in ("一号单", "二号单", "三号单", "四号单", "维修单") if s in html]


@pytest.mark.parametrize(("query", "expected"), [
    ({}, ["一号单", "二号单", "三号单", "四号单"]),
    ({"a_lift": ["y"]}, ["一号单"]),
    ({"a_lift": ["n"]}, ["二号单", "三号单"]),
    ({"a_address": "人民路"}, ["一号单", "三号单"]),
    ({"a_floor_min": "5", "a_floor_max": "20"}, ["一号单"]),
    ({"a_when_after": "2026-05-10"}, ["二号单"]),
    ({"a_lift": ["n"], "a_floor_min": "10"}, ["三号单"]),
])
def test_the_queue_filters_on_the_current_custom_field_values(client, desk, tickets, query, expected):
    client.force_login(desk["agent"])

    assert _subjects(client, {"type": desk["type"].pk, **query}) == expected


def test_the_custom_field_filters_appear_once_a_type_with_fields_is_chosen(client, desk, tickets):
    client.force_login(desk["agent"])
    url = reverse("tickets:ticket-queues")

    assert 'data-testid="custom-field-filters"' not in client.get(url).content.decode()
    assert 'data-testid="custom-field-filters"' not in client.get(url, {"type": desk["other"].pk}).content.decode()
    page = client.get(url, {"type": desk["type"].pk}).content.decode()
    assert 'data-testid="custom-field-filters"' in page and 'name="a_lift"' in page and "楼层" in page
    assert client.get(url, {"type": "9" * 30, "a_lift": "y"}).status_code == 200  # no such type, whatever its size
    # Without a type the custom filters are not read at all.
    assert _subjects(client, {"a_lift": ["y"]}) == ["一号单", "二号单", "三号单", "四号单", "维修单"]


def test_the_filtered_queue_runs_a_bounded_number_of_queries(client, desk, tickets, django_assert_max_num_queries):
    client.force_login(desk["agent"])
    query = {"type": desk["type"].pk, "a_lift": ["y", "n"], "a_floor_min": "1", "a_address": "路"}
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("tickets:ticket-queues"), query)
    for n in range(20):
        _ticket(desk, f"加单{n}", [{"address": f"新路{n}号", "lift": "y", "floor": "5"}])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("tickets:ticket-queues"), query)


def test_saving_the_fields_again_keeps_one_current_row_per_ticket(desk, tickets):
    with tenant_scope(desk["org"]):
        assert TicketFieldAnswers.objects.filter(ticket=tickets[1]).count() == 2
        current = TicketFieldAnswers.objects.get(ticket=tickets[1], is_current=True)
        assert current.submission.data["lift"] == "n"


# --- 新建工单 --------------------------------------------------------------------------------------------------------

def test_a_refused_new_ticket_keeps_the_custom_field_values_typed(client, desk, make_user):
    supervisor = make_user(desk["org"], Role.SUPERVISOR)
    client.force_login(supervisor)
    post = {"new_customer_name": "赵六", "new_customer_mobile": "13700001111", "channel": "phone",
            "subject": "", "description": "", "type": desk["type"].pk, "priority": 3,
            "cf-address": "长江路1号", "cf-lift": "n", "cf-floor": "7", "cf-when": "2026-06-01"}

    refused = client.post(reverse("tickets:ticket-create"), post)  # no subject: refused for another reason

    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'value="长江路1号"' in html and 'value="7"' in html and 'value="2026-06-01"' in html
    assert re.search(r'<input type="radio" name="cf-lift" value="n"[^>]* checked', html)
    # The fields are in the page, not fetched again empty: the slot loads only when the type changes.
    assert 'hx-trigger="change from:#id_type"' in html
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()


def test_a_new_ticket_refused_for_its_custom_fields_keeps_the_others_and_says_which(client, desk, make_user):
    supervisor = make_user(desk["org"], Role.SUPERVISOR)
    client.force_login(supervisor)
    post = {"new_customer_name": "赵六", "new_customer_mobile": "13700001111", "channel": "phone",
            "subject": "装热水器", "description": "", "type": desk["type"].pk, "priority": 3,
            "cf-lift": "y", "cf-floor": "500"}  # no address, a floor above 100

    html = client.post(reverse("tickets:ticket-create"), post).content.decode()

    assert 'value="500"' in html and 'value="装热水器"' in html
    assert 'data-testid="error-address"' in html and 'data-testid="error-floor"' in html
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()
    client.post(reverse("tickets:ticket-create"), {**post, "cf-address": "长江路1号", "cf-floor": "5"})
    with tenant_scope(desk["org"]):
        assert TicketFieldAnswers.objects.get(ticket=Ticket.objects.get()).submission.data == {
            "address": "长江路1号", "lift": "y", "floor": "5"}


def test_a_region_custom_field_cascades_in_new_ticket_and_on_the_ticket_page(client, desk, make_user):
    from scrm.services.people import region_create

    org = desk["org"]
    with tenant_scope(org):
        east = region_create(organization=org, name="华东", code="E", level="area")
        region_create(organization=org, name="江苏", code="JS", level="province", parent=east)
        schema = {"sections": [{"key": "s", "fields": [{"key": "where", "type": "region", "label": "安装地区"}]}]}
        fields = published_form(org, slug="where-fields", purpose=Form.Purpose.TICKET_FIELDS, schema=schema,
                                name="地区")
        ticket_type_set_form(ticket_type=desk["other"], form=fields)
    ticket = _ticket(desk, "维修单", type_=desk["other"])
    client.force_login(desk["agent"])
    supervisor = make_user(org, Role.SUPERVISOR)

    panel = client.get(reverse("tickets:ticket-forms", args=[ticket.pk])).content.decode()
    client.force_login(supervisor)
    fragment = client.get(reverse("tickets:ticket-create-fields"), {"type": desk["other"].pk}).content.decode()

    assert 'id="ticket-fields-form-regions"' in panel and "江苏" in panel
    assert 'id="new-ticket-fields-regions"' in fragment and 'data-region-cascade="1"' in fragment

"""Ops delete what they no longer need from the settings pages: a queue, ticket type, tag or routing rule still in
use is refused with the reason (what uses it) and nothing is deleted or recorded; an unused one goes, with its own
parts, and the deletion is in the settings audit trail. Agents may not delete."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from scrm.models import AgentProfile, Customer, CustomerTag, Role, SettingsChange, Tag, TagGroup
from scrm.platform.audit import MSG_IN_USE_SWITCH_OFF
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import tenant_pair
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import CannedResponse, Queue, QueueMembership, RoutingRule, Ticket, TicketTag, TicketType

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org = tenant.organization
    used = Queue.objects.create(organization=org, name="售后", code="after-sales")
    spare = Queue.objects.create(organization=org, name="闲置队列", code="spare")
    QueueMembership.objects.create(organization=org, queue=spare,
                                   agent=AgentProfile.objects.create(organization=org, user=tenant.users[Role.AGENT]))
    kind = TicketType.objects.create(organization=org, name="报修", code="repair")
    TicketType.objects.create(organization=org, name="旧类型", code="old")
    TicketFactory(organization=org, queue=used, type=kind, status="closed")
    group = TagGroup.objects.create(organization=org, name="来源")
    Tag.objects.create(organization=org, name="投诉", group=group)
    on_customer = Tag.objects.create(organization=org, name="大客户", group=group)
    customer = CustomerFactory(organization=org)
    CustomerTag.objects.create(organization=org, customer=customer, tag=on_customer)
    rule = RoutingRule.objects.create(organization=org, name="投诉升级", position=1, set_queue=spare)
    rule.add_tags.add(Tag.objects.get(name="投诉"))
    RoutingRule.objects.create(organization=org, name="兜底", position=2, set_priority=3)
    CannedResponse.objects.create(organization=org, title="问候", body="您好")


def _ops(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def _error(response, client):
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    return page


def _deleted(tenant):
    with tenant_scope(tenant.organization):
        return list(SettingsChange.objects.filter(action="deleted").values_list("subject", "subject_name"))


def test_a_queue_with_tickets_or_rules_is_refused_with_the_reason_and_an_unused_one_is_deleted():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        used, spare = Queue.objects.get(code="after-sales"), Queue.objects.get(code="spare")
    response = client.post(f"/tickets/settings/queues/{used.pk}/delete/")
    assert response["Location"] == f"/tickets/settings/queues/{used.pk}/"
    page = _error(response, client)
    with translation.override("zh-hans"):
        assert "“售后”" in page and f"{Ticket._meta.verbose_name_plural} 1" in page
    # The spare queue is what a routing rule sends to: deleting it would silently delete the rule.
    page = _error(client.post(f"/tickets/settings/queues/{spare.pk}/delete/"), client)
    assert "闲置队列" in page
    with tenant_scope(a.organization):
        assert Queue.objects.count() == 2 and RoutingRule.objects.count() == 2
        RoutingRule.objects.filter(name="投诉升级").update(set_queue=None, set_priority=1)
    response = client.post(f"/tickets/settings/queues/{spare.pk}/delete/")
    assert response["Location"] == "/tickets/settings/queues/"
    with tenant_scope(a.organization):
        assert not Queue.objects.filter(pk=spare.pk).exists() and not QueueMembership.objects.exists()
    assert _deleted(a) == [("tickets.queue", "闲置队列")]


def test_a_ticket_type_with_tickets_is_refused_and_switching_it_off_is_offered():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        used, old = TicketType.objects.get(code="repair"), TicketType.objects.get(code="old")
    page = _error(client.post(f"/tickets/settings/types/{used.pk}/delete/"), client)
    with translation.override("zh-hans"):
        assert escape(str(MSG_IN_USE_SWITCH_OFF % {"name": "报修", "uses": f"{Ticket._meta.verbose_name_plural} 1"})) \
            in page
    with tenant_scope(a.organization):
        assert TicketType.objects.filter(pk=used.pk).exists()
    assert client.post(f"/tickets/settings/types/{old.pk}/delete/")["Location"] == "/tickets/settings/types/"
    assert _deleted(a) == [("tickets.tickettype", "旧类型")]


def test_a_tag_comes_off_customers_but_a_tag_a_rule_adds_is_refused():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        by_rule, on_customer = Tag.objects.get(name="投诉"), Tag.objects.get(name="大客户")
    page = _error(client.post(f"/settings/tags/{by_rule.pk}/delete/"), client)
    assert "投诉" in page
    assert client.post(f"/settings/tags/{on_customer.pk}/delete/")["Location"] == "/settings/tags/"
    with tenant_scope(a.organization):
        assert Tag.objects.filter(pk=by_rule.pk).exists() and not CustomerTag.objects.exists()
        assert Customer.objects.count() == 2 and not TicketTag.objects.exists()
        change = SettingsChange.objects.get(action="deleted")
    assert change.detail == {"name": "大客户", "group": "来源", "customers": 1}


def test_a_rule_and_a_canned_response_are_deleted_and_the_rules_renumbered():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        first, canned = RoutingRule.objects.get(name="投诉升级"), CannedResponse.objects.get()
    page = client.get(f"/tickets/settings/rules/{first.pk}/").content.decode()
    assert 'data-testid="settings-delete"' in page
    assert client.post(f"/tickets/settings/rules/{first.pk}/delete/")["Location"] == "/tickets/settings/rules/"
    assert client.post(f"/tickets/settings/canned/{canned.pk}/delete/")["Location"] == "/tickets/settings/canned/"
    with tenant_scope(a.organization):
        assert list(RoutingRule.objects.values_list("name", "position")) == [("兜底", 1)]
        assert not CannedResponse.objects.exists()
    assert sorted(_deleted(a)) == [("tickets.cannedresponse", "问候"), ("tickets.routingrule", "投诉升级")]


def test_agents_may_not_delete_settings():
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.AGENT])
    with tenant_scope(a.organization):
        canned, rule = CannedResponse.objects.get(), RoutingRule.objects.first()
        tag, queue = Tag.objects.first(), Queue.objects.first()
    for url in (f"/tickets/settings/canned/{canned.pk}/delete/", f"/tickets/settings/rules/{rule.pk}/delete/",
                f"/settings/tags/{tag.pk}/delete/", f"/tickets/settings/queues/{queue.pk}/delete/"):
        assert client.post(url).status_code == 403
    assert _deleted(a) == []

"""Ops keep the routing rules in the product: create, change, reorder and switch off through the services (each
audited), a rule that sets nothing refused with nothing saved, and a new ticket routed by the rules as saved;
agents and supervisors may not."""

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import Channel, Role, SettingsChange, Tag, TagGroup
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, assert_not_reachable, tenant_pair
from tests.tickets.factories import CustomerFactory
from tickets.models import Queue, RoutingRule
from tickets.services import ticket_open
from tickets.services.config import MSG_RULE_NEEDS_ACTION

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org = tenant.organization
    complaints = Queue.objects.create(organization=org, name=f"{tenant.marker} 投诉专席", code="complaints")
    Queue.objects.create(organization=org, name=f"{tenant.marker} 售后", code="after-sales")
    group = TagGroup.objects.create(organization=org, name="来源")
    Tag.objects.create(organization=org, name="投诉", group=group)
    tenant.objects["rule"] = RoutingRule.objects.create(organization=org, name=f"{tenant.marker} 默认", position=1,
                                                        set_queue=complaints)


def _ops(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def _positions(tenant):
    with tenant_scope(tenant.organization):
        return list(RoutingRule.objects.order_by("position").values_list("name", "position", "is_active"))


def test_ops_create_a_rule_and_a_new_ticket_is_routed_by_it():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        queue, tag = Queue.objects.get(code="complaints"), Tag.objects.get(name="投诉")
    response = client.post("/tickets/settings/rules/new/", {
        "name": "差评升级", "is_active": "on", "channel": Channel.WECHAT_OA, "keywords": "差评，投诉",
        "set_queue": queue.pk, "set_priority": "1", "add_tags": [tag.pk]})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        rule = RoutingRule.objects.get(name="差评升级")
        change = SettingsChange.objects.get(subject="tickets.routingrule", subject_id=rule.pk)
    assert rule.position == 2 and change.action == "created" and change.detail["add_tags"] == [tag.pk]
    assert change.by_id == a.users[Role.OPS_ADMIN].pk
    # Moved to the top it decides before the catch-all rule.
    assert client.post(f"/tickets/settings/rules/{rule.pk}/move/", {"direction": "up"}).status_code == 302
    assert _positions(a) == [("差评升级", 1, True), (f"{a.marker} 默认", 2, True)]
    with tenant_scope(a.organization):
        customer = CustomerFactory(organization=a.organization)
        ticket = ticket_open(organization=a.organization, customer=customer, channel=Channel.WECHAT_OA,
                             subject="我要给差评", description="")
        assert (ticket.queue_id, ticket.priority) == (queue.pk, 1)
        assert list(ticket.tags.values_list("name", flat=True)) == ["投诉"]
    page = client.get("/tickets/settings/rules/", {"subject": "我要给差评", "channel": Channel.WECHAT_OA})
    assert 'data-rule="差评升级" data-testid="rule-hit"' in page.content.decode().replace('class="table-success" ', "")


def test_ops_change_reorder_and_switch_off_a_rule_each_audited():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    first = a.objects["rule"]
    with tenant_scope(a.organization):
        after_sales = Queue.objects.get(code="after-sales")
    assert client.post("/tickets/settings/rules/new/", {"name": "售后", "is_active": "on",
                                                          "set_queue": after_sales.pk}).status_code == 302
    page = client.get(f"/tickets/settings/rules/{first.pk}/").content.decode()
    assert 'data-testid="rule-form"' in page and "/admin/tickets/" not in page
    assert client.post(f"/tickets/settings/rules/{first.pk}/", {
        "name": "默认（改）", "is_active": "on", "customer_level": "vip", "set_priority": "2"}).status_code == 302
    assert client.post(f"/tickets/settings/rules/{first.pk}/move/", {"direction": "down"}).status_code == 302
    assert client.post(f"/tickets/settings/rules/{first.pk}/active/", {"active": "0"}).status_code == 302
    assert _positions(a) == [("售后", 1, True), ("默认（改）", 2, False)]
    with tenant_scope(a.organization):
        first.refresh_from_db()
        details = list(SettingsChange.objects.filter(subject="tickets.routingrule", subject_id=first.pk)
                       .order_by("at", "pk").values_list("detail", flat=True))
    assert (first.customer_level, first.set_priority, first.set_queue_id) == ("vip", 2, None)
    assert details[0]["name"] == "默认（改）" and details[1:] == [{"position": 2, "moved_from": 1},
                                                                  {"is_active": False}]
    # The top rule cannot move further up.
    with tenant_scope(a.organization):
        top = RoutingRule.objects.get(position=1)
    client.post(f"/tickets/settings/rules/{top.pk}/move/", {"direction": "up"})
    assert _positions(a)[0] == ("售后", 1, True)


def test_a_rule_that_sets_nothing_is_refused_and_nothing_saved():
    a, _b = tenant_pair(_seed)
    response = _ops(a).post("/tickets/settings/rules/new/", {"name": "空规则", "is_active": "on", "keywords": "你好"})
    assert response.status_code == 400
    assert escape(str(MSG_RULE_NEEDS_ACTION)) in response.content.decode()
    with tenant_scope(a.organization):
        assert RoutingRule.objects.count() == 1 and not SettingsChange.objects.exists()


def test_agents_and_supervisors_may_not_edit_rules_and_pages_stay_in_their_organization():
    a, b = tenant_pair(_seed)
    rule = a.objects["rule"]
    for role in (Role.AGENT, Role.SUPERVISOR):
        client = Client()
        client.force_login(a.users[role])
        assert client.get("/tickets/settings/rules/new/").status_code == 403
        assert client.post(f"/tickets/settings/rules/{rule.pk}/active/", {"active": "0"}).status_code == 403
    assert _positions(a)[0][2] is True
    page = assert_isolated(Client(), a, b, "/tickets/settings/rules/").content.decode()
    assert 'data-testid="rule-new"' in page and "/admin/tickets/routingrule" not in page
    assert_isolated(Client(), a, b, f"/tickets/settings/rules/{rule.pk}/")
    assert_not_reachable(Client(), a, f"/tickets/settings/rules/{b.objects['rule'].pk}/")
    client = _ops(a)
    assert client.post(f"/tickets/settings/rules/{b.objects['rule'].pk}/active/", {"active": "0"}).status_code == 404
    assert _positions(b)[0][2] is True

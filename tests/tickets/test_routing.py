"""Routing rules: ordered, first match wins; conditions on channel, type, keywords, customer level and region."""

import pytest

from scrm.models import Customer, Region, Tag, TagGroup
from tests.scrm.factories import RegionFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, RoutingRuleFactory, TicketTypeFactory
from tickets.models import Ticket, TicketEvent
from tickets.routing import RoutingSample, routing_evaluate, rule_keywords
from tickets.selectors import routing_rules_active
from tickets.services import ticket_open

P1, P2, P3, P4 = (Ticket.Priority.P1, Ticket.Priority.P2, Ticket.Priority.P3, Ticket.Priority.P4)
pytestmark = pytest.mark.django_db


@pytest.fixture
def regions(scoped):
    east = RegionFactory(organization=scoped, name="华东", code="EAST", path="/EAST/")
    js = RegionFactory(organization=scoped, name="江苏", code="JS", parent=east, level=Region.Level.PROVINCE,
                       path="/EAST/JS/")
    nj = RegionFactory(organization=scoped, name="南京", code="NJ", parent=js, level=Region.Level.CITY,
                       path="/EAST/JS/NJ/")
    north = RegionFactory(organization=scoped, name="华北", code="NORTH", path="/NORTH/")
    return {"east": east, "js": js, "nj": nj, "north": north}


@pytest.fixture
def urgent_rule(scoped, queue):
    group = TagGroup.objects.create(organization=scoped, name="工单")
    tag = Tag.objects.create(organization=scoped, group=group, name="加急")
    rule = RoutingRuleFactory(organization=scoped, name="紧急关键词", keywords="订单丢失\n投诉，退款",
                              set_priority=P1, set_queue=queue)
    rule.add_tags.set([tag])
    return rule


def _decide(**sample):
    return routing_evaluate(routing_rules_active(), RoutingSample(**sample))


@pytest.mark.parametrize("text", ["我的订单丢失了", "我要投诉你们的快递", "申请退款", "REFUND? 退款!"])
def test_urgent_keywords_make_the_ticket_p1_in_the_rule_queue_with_its_tags(scoped, urgent_rule, queue, text):
    customer = CustomerFactory(organization=scoped)
    ticket = ticket_open(organization=scoped, customer=customer, subject="咨询", description=text,
                         channel="wechat_oa")
    assert (ticket.priority, ticket.queue, ticket.team) == (P1, queue, queue.team)
    assert [t.name for t in ticket.tags.all()] == ["加急"]
    created = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert created.after["rule"] == {"id": urgent_rule.pk, "name": "紧急关键词"}
    assert created.after["keyword"] in text


def test_a_ticket_no_rule_matches_takes_its_types_defaults(scoped, urgent_rule, queue):
    other = QueueFactory(organization=scoped, name="安装组")
    install = TicketTypeFactory(organization=scoped, name="安装", default_queue=other, default_priority=P2)
    ticket = ticket_open(organization=scoped, customer=CustomerFactory(organization=scoped), subject="预约安装空调",
                         description="周六上午", channel="web_form", type=install)
    assert (ticket.priority, ticket.queue, ticket.type) == (P2, other, install)
    assert "rule" not in TicketEvent.objects.get(ticket=ticket, kind="created").after


def test_explicit_arguments_win_over_the_rule(scoped, urgent_rule):
    ticket = ticket_open(organization=scoped, customer=CustomerFactory(organization=scoped), subject="投诉",
                         description="", channel="phone", priority=P4)
    assert ticket.priority == P4


def test_the_first_matching_rule_wins(scoped, urgent_rule):
    urgent_rule.position = 5
    urgent_rule.save()
    RoutingRuleFactory(organization=scoped, name="退款专线", keywords="退款", set_priority=P2, position=1)
    RoutingRuleFactory(organization=scoped, name="兜底", keywords="", set_priority=P4, position=9)
    assert _decide(description="申请退款").rule.name == "退款专线"
    assert _decide(description="我要投诉").rule.name == "紧急关键词"
    assert _decide(description="你好").rule.name == "兜底"


def test_inactive_rules_are_skipped(scoped, urgent_rule):
    urgent_rule.is_active = False
    urgent_rule.save()
    assert _decide(description="投诉") is None


def test_channel_type_and_level_conditions_must_all_hold(scoped):
    complaint = TicketTypeFactory(organization=scoped, name="投诉")
    RoutingRuleFactory(organization=scoped, name="VIP 微信投诉", channel="wechat_oa", ticket_type=complaint,
                       customer_level=Customer.Level.VIP, set_priority=P1)
    hit = {"channel": "wechat_oa", "type_id": complaint.pk, "customer_level": "vip"}
    assert _decide(**hit).rule.name == "VIP 微信投诉"
    assert _decide(**{**hit, "channel": "jd"}) is None
    assert _decide(**{**hit, "type_id": None}) is None
    assert _decide(**{**hit, "customer_level": "normal"}) is None


def test_a_region_condition_matches_the_whole_subtree(scoped, regions):
    RoutingRuleFactory(organization=scoped, name="江苏", region=regions["js"], set_priority=P2)
    assert _decide(region_path=regions["nj"].path).rule.name == "江苏"
    assert _decide(region_path=regions["js"].path).rule.name == "江苏"
    assert _decide(region_path=regions["east"].path) is None
    assert _decide(region_path=regions["north"].path) is None
    assert _decide(region_path="") is None


def test_the_customers_region_routes_the_ticket(scoped, regions):
    rule = RoutingRuleFactory(organization=scoped, name="江苏", region=regions["js"], set_priority=P2)
    nanjing = CustomerFactory(organization=scoped, region=regions["nj"])
    ticket = ticket_open(organization=scoped, customer=nanjing, subject="问题", description="", channel="phone")
    assert (ticket.priority, ticket.region) == (P2, regions["nj"])
    assert TicketEvent.objects.get(ticket=ticket, kind="created").after["rule"]["id"] == rule.pk


def test_a_queue_serving_the_type_in_the_customers_region_beats_the_default_queue(scoped, regions):
    national = QueueFactory(organization=scoped, name="报修总部")
    east = QueueFactory(organization=scoped, name="报修华东")
    jiangsu = QueueFactory(organization=scoped, name="报修江苏")
    repair = TicketTypeFactory(organization=scoped, name="报修", default_queue=national)
    east.ticket_types.add(repair)
    east.regions.add(regions["east"])
    jiangsu.ticket_types.add(repair)
    jiangsu.regions.add(regions["js"])

    def queue_for(region):
        customer = CustomerFactory(organization=scoped, region=region)
        return ticket_open(organization=scoped, customer=customer, subject="冰箱不制冷", description="",
                           channel="phone", type=repair).queue

    assert queue_for(regions["nj"]) == jiangsu
    assert queue_for(regions["east"]) == east
    assert queue_for(regions["north"]) == national
    assert queue_for(None) == national


def test_keywords_are_split_on_lines_commas_and_enumeration_marks(scoped):
    rule = RoutingRuleFactory.build(organization=scoped, keywords="订单丢失\n投诉，退款、破损, 漏发;错发")
    assert rule_keywords(rule) == ["订单丢失", "投诉", "退款", "破损", "漏发", "错发"]


def test_the_rule_tester_names_the_rule_and_keyword_a_sample_hits_without_a_query(
        scoped, urgent_rule, django_assert_num_queries):
    rules = routing_rules_active()
    with django_assert_num_queries(0):
        decision = routing_evaluate(rules, RoutingSample(subject="快递说订单丢失了"))
        assert (decision.rule, decision.keyword, decision.priority) == (urgent_rule, "订单丢失", P1)
        assert [t.name for t in decision.tags] == ["加急"]

"""An after-sales ticket follows its refund, return or exchange: every status change the platform reports (and the
ledger applies) is an event on the ticket's timeline, worded in the reader's language; the assignee hears when the
case is finished or reopened; a case reopened on the platform reopens a resolved ticket, never a closed one
(docs/shop-feed.md, "The ticket follows its case")."""

from decimal import Decimal

import pytest
from django.utils import translation

from notifications.models import Notification
from scrm.customers.services import customer_resolve
from scrm.platform.coded import coded_render
from scrm.platform.tenancy import tenant_scope
from settlement.models import AfterSale, Refund
from settlement.services import aftersale_upsert, order_upsert, refund_upsert, store_ensure
from settlement.snapshots import AfterSaleSnapshot
from tests.settlement.ledger import at, order, refund
from tests.tenancy import tenant_pair
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_change_status, ticket_external_change, ticket_merge, ticket_open
from tickets.services.external import Outcome
from tickets.views import event_summary

pytestmark = pytest.mark.django_db

Kind = TicketEvent.Kind


@pytest.fixture
def placed(organization, store, buyer):
    order_upsert(organization=organization, store=store, customer=buyer, snapshot=order(number="YZ1001"))


def _report(organization, store, status, version, number="RF1"):
    return refund_upsert(organization=organization, store=store,
                         snapshot=refund(number=number, status=status, version=version))


def _case(organization, store, kind, status, version, number="AS1"):
    snapshot = AfterSaleSnapshot(kind=kind, number=number, order_number="YZ1001", status=status, version=version,
                                 requested_at=at(20), reason="尺码不合适")
    return aftersale_upsert(organization=organization, store=store, snapshot=snapshot)


def _ticket(organization, model=Refund, **filters):
    with tenant_scope(organization):
        return Ticket.objects.select_related("assignee").get(pk=model.objects.get(**filters).ticket_id)


def _platform_events(ticket):
    with tenant_scope(ticket.organization_id):
        return list(TicketEvent.objects.filter(ticket=ticket, kind=Kind.PLATFORM).order_by("pk"))


def _assign(ticket, user):
    with tenant_scope(ticket.organization_id):
        Ticket.objects.filter(pk=ticket.pk).update(assignee=user)
        ticket.refresh_from_db()
    return ticket


def _notices(user):
    with tenant_scope(user.organization_id):
        return list(Notification.objects.filter(recipient=user, kind=Notification.Kind.PLATFORM_UPDATE)
                    .order_by("pk"))


def _words(event, language):
    with translation.override(language):
        return str(event_summary(event))


def test_the_first_report_opens_the_ticket_and_says_nothing_more(organization, store, placed):
    _report(organization, store, "requested", 10)
    ticket = _ticket(organization)
    assert _platform_events(ticket) == []
    with tenant_scope(organization):
        assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [Kind.CREATED]


def test_a_refund_approved_then_refunded_is_on_the_timeline_in_words_and_the_ticket_stays_open(
        organization, store, placed, agent):
    _report(organization, store, "requested", 10)
    ticket = _assign(_ticket(organization), agent)
    opened_at = ticket.updated_at

    _report(organization, store, "approved", 11)
    [approved] = _platform_events(ticket)
    assert approved.actor is None
    assert (approved.before, approved.after["status"], approved.after["case"], approved.after["number"]) == (
        {"status": "requested"}, "approved", "refund", "RF1")
    assert _words(approved, "zh-hans") == "平台退款 RF1 状态：已申请 → 已同意"
    assert _words(approved, "en") == "Platform update on refund RF1: requested → approved"
    assert _notices(agent) == []  # a step in between: the timeline only
    with tenant_scope(organization):
        ticket.refresh_from_db()
    assert ticket.updated_at > opened_at

    _report(organization, store, "refunded", 12)
    refunded = _platform_events(ticket)[-1]
    assert _words(refunded, "zh-hans") == "平台退款 RF1 状态：已同意 → 已退款（工单未自动解决：告知客户后再解决）"
    assert _words(refunded, "en") == ("Platform update on refund RF1: approved → refunded "
                                      "(the ticket stays open: tell the customer, then resolve it)")
    with tenant_scope(organization):
        ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW  # never resolved for the agent
    [notice] = _notices(agent)
    assert notice.ticket_id == ticket.pk
    with translation.override("zh-hans"):
        assert coded_render(notice.title) == f"工单 {ticket.number}：平台退款 RF1 已退款"
    with translation.override("en"):
        assert coded_render(notice.title) == f"Ticket {ticket.number}: refund RF1 is refunded on the platform"


def test_the_ticket_page_shows_the_platform_update_in_the_readers_language(client, ops_admin, organization, store,
                                                                          placed):
    _report(organization, store, "requested", 10)
    _report(organization, store, "refused", 11)
    ticket = _ticket(organization)
    client.force_login(ops_admin)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-kind="platform"' in body
    assert "平台退款 RF1 状态：已申请 → 已拒绝" in body
    client.cookies["django_language"] = "en"
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Platform update on refund RF1: requested → refused" in body


def test_a_replayed_or_older_report_adds_nothing(organization, store, placed, agent):
    _report(organization, store, "requested", 10)
    _report(organization, store, "refunded", 12)
    ticket = _assign(_ticket(organization), agent)
    before = (len(_platform_events(ticket)), ticket.updated_at)
    _refund, applied = _report(organization, store, "refunded", 12)  # the shop retries
    assert applied is False
    _refund, applied = _report(organization, store, "approved", 11)  # a late, older report
    assert applied is False
    with tenant_scope(organization):
        ticket.refresh_from_db()
    assert (len(_platform_events(ticket)), ticket.updated_at) == before
    assert _notices(agent) == []


def test_an_applied_report_that_keeps_the_status_adds_nothing(organization, store, placed):
    _report(organization, store, "requested", 10)
    refund_upsert(organization=organization, store=store,
                  snapshot=refund(status="requested", version=11, amount=Decimal("100.00")))
    assert _platform_events(_ticket(organization)) == []


def test_a_refund_reopened_on_the_platform_reopens_the_resolved_ticket_and_tells_the_assignee(
        organization, store, placed, agent):
    _report(organization, store, "requested", 10)
    _report(organization, store, "refunded", 12)
    ticket = _assign(_ticket(organization), agent)
    for status in (Ticket.Status.OPEN, Ticket.Status.RESOLVED):
        ticket = ticket_change_status(ticket=ticket, status=status, actor=agent)

    _report(organization, store, "requested", 20)  # the buyer asked again
    with tenant_scope(organization):
        ticket.refresh_from_db()
        kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", "actor"))
    assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None
    assert kinds[-2:] == [(Kind.STATUS, None), (Kind.PLATFORM, None)]
    reopened = _platform_events(ticket)[-1]
    assert reopened.after["outcome"] == "reopened"
    assert _words(reopened, "zh-hans") == "平台退款 RF1 状态：已退款 → 已申请（工单已重新打开）"
    assert _words(reopened, "en") == "Platform update on refund RF1: refunded → requested (the ticket was reopened)"
    notice = _notices(agent)[-1]
    with translation.override("zh-hans"):
        assert coded_render(notice.title) == f"工单 {ticket.number}：平台退款 RF1 被重新发起（已申请）"
    with translation.override("en"):
        assert coded_render(notice.title) == (
            f"Ticket {ticket.number}: refund RF1 was reopened on the platform (requested)")


def test_a_closed_ticket_stays_closed_but_hears_of_the_reopened_refund(organization, store, placed, agent):
    _report(organization, store, "requested", 10)
    _report(organization, store, "cancelled", 12)
    ticket = _assign(_ticket(organization), agent)
    for status in (Ticket.Status.OPEN, Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket = ticket_change_status(ticket=ticket, status=status, actor=agent)

    _report(organization, store, "requested", 20)
    with tenant_scope(organization):
        ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    event = _platform_events(ticket)[-1]
    assert _words(event, "zh-hans") == ("平台退款 RF1 状态：已撤销 → 已申请（工单已关闭：如客户仍需帮助，请新建工单）")
    assert len(_notices(agent)) == 1  # assigned after the withdrawal: told it was asked again


def test_a_return_and_an_exchange_each_tell_their_ticket(organization, store, placed, agent):
    _case(organization, store, "return", "requested", 20, number="AS-R1")
    _case(organization, store, "exchange", "requested", 20, number="AS-E1")
    returned = _assign(_ticket(organization, AfterSale, external_number="AS-R1"), agent)
    exchanged = _ticket(organization, AfterSale, external_number="AS-E1")
    _case(organization, store, "return", "approved", 21, number="AS-R1")
    _case(organization, store, "return", "completed", 22, number="AS-R1")
    _case(organization, store, "exchange", "refused", 21, number="AS-E1")

    assert [_words(e, "zh-hans") for e in _platform_events(returned)] == [
        "平台退货 AS-R1 状态：已申请 → 已同意",
        "平台退货 AS-R1 状态：已同意 → 已完成（工单未自动解决：告知客户后再解决）",
    ]
    assert [_words(e, "en") for e in _platform_events(exchanged)] == [
        "Platform update on exchange AS-E1: requested → refused "
        "(the ticket stays open: tell the customer, then resolve it)",
    ]
    assert len(_notices(agent)) == 1  # the return completed; the exchange's ticket has no assignee


def test_a_return_and_its_refund_share_one_ticket_and_both_report_on_it(organization, store, placed):
    _case(organization, store, "return", "requested", 20, number="RF1")
    _report(organization, store, "requested", 20)
    ticket = _ticket(organization)
    _case(organization, store, "return", "completed", 21, number="RF1")
    _report(organization, store, "refunded", 22)
    assert [_words(e, "en").split(" (")[0] for e in _platform_events(ticket)] == [
        "Platform update on return RF1: requested → completed",
        "Platform update on refund RF1: requested → refunded",
    ]


def test_a_merged_ticket_passes_the_update_to_the_ticket_it_was_merged_into(organization, store, buyer, placed,
                                                                             agent):
    _report(organization, store, "requested", 10)
    duplicate = _ticket(organization)
    with tenant_scope(organization):
        survivor = ticket_open(organization=organization, customer=buyer, subject="退款咨询", description="钱呢",
                               channel="youzan")
    ticket_merge(primary=survivor, duplicate=duplicate, actor=agent)
    _report(organization, store, "refunded", 12)
    assert _platform_events(duplicate) == []
    assert [e.after["status"] for e in _platform_events(survivor)] == ["refunded"]


def test_another_organizations_ticket_is_never_touched():
    def seed(tenant):
        org = tenant.organization
        store = store_ensure(organization=org, channel="youzan", ref="kdt-same", name=f"{tenant.marker} 店")
        buyer = customer_resolve(organization=org, channel="youzan", app_id="kdt-same", external_id="b1")
        order_upsert(organization=org, store=store, customer=buyer, snapshot=order(number="YZ1001"))
        refund_upsert(organization=org, store=store, snapshot=refund(number="RF1", status="requested", version=10))
        tenant.objects.update(store=store)

    a, b = tenant_pair(seed)
    b_ticket = _ticket(b.organization)
    b_updated = b_ticket.updated_at

    # The same store reference and refund number in A: only A's ticket hears of it.
    refund_upsert(organization=a.organization, store=a.objects["store"],
                  snapshot=refund(number="RF1", status="refunded", version=12))
    assert len(_platform_events(_ticket(a.organization))) == 1
    # Told directly with B's ticket under A's organization: nothing is found, nothing written.
    assert ticket_external_change(organization=a.organization, ticket=b_ticket.pk, case="refund", number="RF1",
                                  before="requested", after="refunded", outcome=Outcome.FINISHED,
                                  words="settlement.case") is None
    with tenant_scope(b.organization):
        assert Ticket.objects.get(pk=b_ticket.pk).updated_at == b_updated
    assert _platform_events(b_ticket) == []

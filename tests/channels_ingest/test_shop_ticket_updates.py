"""A shop's refund through the whole pipeline (signed callback → stored event → real Celery worker → ledger → ticket):
its ticket opens on the first report, then hears of every later status change, once, however often the shop
retries (docs/shop-feed.md, "The ticket follows its case")."""

from django.test import Client
from django.utils import translation

from channels_ingest.models import InboundEvent
from notifications.models import Notification
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Refund
from tests.channels_ingest.shops import GENERIC_SECRET, ShopSender, generic_headers, generic_order, generic_refund
from tests.channels_ingest.test_shop_hooks import make_shop
from tests.channels_ingest.test_shop_pipeline import _wait
from tickets.models import Ticket, TicketEvent
from tickets.views import event_summary


def _processed(count):
    return _wait(lambda: InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == count)


def test_the_refund_ticket_hears_of_the_refund_paid_out_once(celery_worker, organization, make_user):
    agent = make_user(organization, Role.AGENT, username="agent-feed")
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    shop = ShopSender(Client(), "/hooks/shop/acme-shop/", generic_headers)
    assert shop.post(generic_order("evt-o1", number="SO1")).status_code == 200
    assert shop.post(generic_refund("evt-r1", number="RF1", order_number="SO1")).status_code == 200
    assert _processed(2)
    with tenant_scope(organization):
        ticket = Ticket.objects.get(pk=Refund.objects.get(external_number="RF1").ticket_id)
        assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.PLATFORM).exists()
        Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)

    paid_out = generic_refund("evt-r2", number="RF1", order_number="SO1", status="refunded",
                              updated_at="2026-11-13T09:00:00+08:00")
    for _attempt in range(3):  # the shop retries: one stored event
        assert shop.post(paid_out).status_code == 200
    # A late report older than the ledger's: stored, applied to nothing.
    assert shop.post(generic_refund("evt-r0", number="RF1", order_number="SO1", status="approved",
                                    updated_at="2026-11-12T10:00:00+08:00")).status_code == 200
    assert _processed(4)
    with platform_scope():
        assert InboundEvent.objects.count() == 4
    with tenant_scope(organization):
        [event] = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.PLATFORM)
        ticket.refresh_from_db()
        [notice] = Notification.objects.filter(recipient=agent, kind=Notification.Kind.PLATFORM_UPDATE)
    assert event.actor is None and ticket.status == Ticket.Status.NEW  # never resolved for the agent
    with translation.override("zh-hans"):
        assert event_summary(event) == "平台退款 RF1 状态：已申请 → 已退款（工单未自动解决：告知客户后再解决）"
    assert notice.ticket_id == ticket.pk

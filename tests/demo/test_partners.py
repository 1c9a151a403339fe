"""The demo partner settlement: three currencies, rules with tiers, partners, a catalogue, and three months of
statements in every status, seeded once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demo.management.commands.seed_demo import REGIONS
from demo.partners import seed_partners
from scrm import services as core
from scrm.models import Role, User
from settlement.models import (
    ExchangeRate,
    Order,
    Partner,
    PaymentChannel,
    ServiceJob,
    SettlementRule,
    SettlementStatement,
)
from settlement.statements.channels import payment_channel_save

pytestmark = pytest.mark.django_db


def test_the_demo_partners_and_their_statements_are_seeded_once(scoped, make_user):
    regions = {}
    for code, name, level, parent in REGIONS:
        regions[code] = core.region_create(organization=scoped, name=name, code=code, level=level,
                                           parent=regions.get(parent))
    make_user(scoped, Role.FINANCE, username="finance")
    make_user(scoped, Role.FINANCE, username="finance2")
    seed_partners(organization=scoped)
    counts = (Partner.objects.count(), SettlementStatement.objects.count())
    seed_partners(organization=scoped)
    assert (Partner.objects.count(), SettlementStatement.objects.count()) == counts == (6, 18)
    assert set(SettlementRule.objects.values_list("currency", flat=True)) == {"CNY", "HKD", "USD"}
    assert set(SettlementStatement.objects.values_list("status", flat=True)) == {"draft", "reviewed", "approved",
                                                                                 "paid"}
    assert ExchangeRate.objects.exists() and ServiceJob.objects.filter(status="confirmed").exists()
    # Its payment channel saves through its settings page's service as seeded (a mapped channel with no mapping
    # was refused: "按列映射读取的渠道需要为“金额”指定一列").
    channel = PaymentChannel.objects.get(code="demo-partner-pay")
    saved = payment_channel_save(organization=scoped, by=User.objects.get(username="finance"), channel=channel,
                                 write_off_limit=Decimal("200"))
    assert (saved.layout, saved.write_off_limit) == ("mapped", Decimal("200"))
    hk = SettlementStatement.objects.filter(partner__code="DEMO-HK", lines__source_currency="CNY")
    assert hk.exists()  # CNY sales converted into the Hong Kong store's HKD statement
    assert SettlementStatement.objects.filter(partner__code="DEMO-INSTALL", service_income__gt=0).count() == 3
    # The finance dashboard's revenue by region opened on "未指定区域" (the partners' 500 orders had no region): a
    # dealer's orders are spread over the cities of its territory, the Hong Kong store's are Hong Kong's.
    orders = Order.objects.filter(store__partners__isnull=False)
    assert orders.exists() and not orders.filter(region__isnull=True).exists()
    east = set(orders.filter(store__partners__code="DEMO-EAST").values_list("region__code", flat=True))
    assert east == {"JS-NJ", "JS-SZ", "SH-SH", "ZJ-HZ"}
    assert set(orders.filter(store__partners__code="DEMO-HK").values_list("region__code", flat=True)) == {"HK"}


def test_the_demo_partner_bill_is_a_real_file_imported_through_the_channels_mapping(client, demo_seeded):
    """It showed on the statements list as imported with 0 bytes and 0 lines: a row written without its file."""
    import hashlib

    from scrm.platform.tenancy import tenant_scope
    from settlement.models import StatementImport, StatementLine, StatementLineMatch

    with tenant_scope(demo_seeded):
        bill = StatementImport.objects.get(file_name="demo-partner-bill.csv")
        with bill.file.open("rb") as stream:
            content = stream.read()
        lines = StatementLine.objects.filter(statement=bill)
        assert bill.status == "imported" and bill.layout == "mapped-csv" and bill.channel.code == "demo-partner-pay"
        assert bill.file_size == len(content) > 0 and bill.file_sha256 == hashlib.sha256(content).hexdigest()
        assert bill.line_count == lines.count() == bill.payment_count > 100
        assert bill.period_start < bill.period_end and bill.gross_total > 0
        # Taken in by finance the morning after its last day (it read "uploaded" at the minute of seeding by "—").
        assert bill.created_by.username == "finance"
        assert timezone.localtime(bill.created_at).date() == bill.period_end + timedelta(days=1)
        # Each store's currency as its line says it; every line matched to its order, as a run leaves it.
        assert set(lines.values_list("currency", flat=True)) == {"CNY", "HKD", "USD"}
        assert StatementLineMatch.objects.filter(line__statement=bill, match_class="matched",
                                                 order__isnull=False).count() == bill.line_count
        finance = User.objects.get(username="finance")
    client.force_login(finance)
    response = client.get(f"/settlement/statements/?channel={bill.channel_id}")
    assert response.status_code == 200
    [row] = response.context["table"].page.object_list
    assert row.record.pk == bill.pk and f'<td class="text-end">{bill.line_count}</td>' in response.content.decode()
    detail = client.get(f"/settlement/statements/{bill.pk}/").content.decode()
    assert "demo-partner-bill.csv" in detail and f"{bill.period_start:%Y-%m-%d}" in detail

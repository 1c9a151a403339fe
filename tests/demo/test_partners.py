"""The demo partner settlement: three currencies, rules with tiers, partners, a catalogue, and three months of
statements in every status, seeded once."""

from decimal import Decimal

import pytest

from demo.management.commands.seed_demo import REGIONS
from demo.partners import seed_partners
from scrm import services as core
from scrm.models import Role, User
from settlement.models import ExchangeRate, Partner, PaymentChannel, ServiceJob, SettlementRule, SettlementStatement
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

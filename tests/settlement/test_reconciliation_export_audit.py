"""Downloading a day's reconciliation report (its workbook) is recorded in the run's history, who, which day and
when, as a partner statement's exports are; the report page names the latest downloads."""

import pytest
from django.utils import timezone

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import ReconciliationRunEvent
from settlement.reconciliation.services import reconciliation_run
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, next_day, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme", display_name="刘财务")


@pytest.fixture
def finance2(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-2", display_name="郑财务")


@pytest.fixture
def channel(organization):
    channel = make_channel(organization)
    make_order(make_store(organization, channel), "W1", "1000.00")
    make_statement(channel, lines=[pay("W1", "800.00")])
    return channel


def exports(organization):
    with tenant_scope(organization):
        return list(ReconciliationRunEvent.objects.order_by("pk").values_list("run_id", "action", "by__username",
                                                                              "detail", "at"))


def test_each_download_of_a_days_workbook_records_who_which_day_and_when(client, organization, channel, finance,
                                                                         finance2):
    run = reconciliation_run(channel=channel, period_start=DAY)
    url = f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}"
    before = timezone.now()
    client.force_login(finance)
    assert client.get(url).status_code == 200
    client.force_login(finance2)
    assert client.get(url).status_code == 200

    rows = exports(organization)
    assert [row[:4] for row in rows] == [
        (run.pk, "exported", "finance-acme", {"format": "xlsx", "day": "2026-11-11"}),
        (run.pk, "exported", "finance-2", {"format": "xlsx", "day": "2026-11-11"})]
    assert all(before <= row[4] <= timezone.now() for row in rows)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}").content.decode()
    assert "下载记录" in page
    downloaded = page.split('data-testid="exports">', 1)[1].split("</dd>", 1)[0]
    assert downloaded.index("郑财务") < downloaded.index("刘财务")  # newest first


def test_no_download_no_record(client, organization, channel, finance):
    """A day not reconciled, or a day that is no date, gives no workbook: nothing is recorded."""
    reconciliation_run(channel=channel, period_start=DAY)
    client.force_login(finance)
    assert client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={next_day()}").status_code \
        == 302
    assert client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day=2026-13-45").status_code \
        == 302
    assert exports(organization) == []
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}").content.decode()
    assert 'data-testid="exports"' not in page

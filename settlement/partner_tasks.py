"""Beat's entry of partner settlement: at each cycle's end, a generation run per organization (a job of the outbox,
on the jobs queue); at each month's end, the region alerts of the month; every minute, the finance dashboard's
rollup brought up to date (a read does it too: this keeps reads from meeting many days to recompute). Imported by
SettlementConfig.ready()."""

from celery import shared_task
from django.utils import timezone

from scrm.models import Organization
from settlement.partner_dashboard import region_alerts_raise
from settlement.partner_rollup import finance_days_refresh
from settlement.partner_services import settlement_cycles_start


@shared_task(acks_late=True, ignore_result=True, name="settlement.partner_tasks.settlement_cycles_start")
def settlement_cycles_start_all():
    """Hourly (idempotent: one run per period): the periods that ended yesterday, for every active organization."""
    today = timezone.localdate()
    for organization in Organization.objects.filter(is_active=True).order_by("pk"):
        runs = settlement_cycles_start(organization=organization, today=today)
        if today.day == 1 and any(run.cycle == "monthly" for run in runs):
            region_alerts_raise(organization=organization, month=runs[-1].period_start.isoformat()[:7])


@shared_task(acks_late=True, ignore_result=True, name="settlement.partner_tasks.finance_days_refresh")
def finance_days_refresh_all():
    """Every minute: the rollup of each active organization (one index probe each when nothing changed)."""
    for organization_id in Organization.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        finance_days_refresh(organization_id)

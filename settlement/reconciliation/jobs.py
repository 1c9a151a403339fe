"""The reconciliation of a big period as a job of the one outbox (scrm.platform.outbox), on the jobs queue, like the
customer imports: queued by `reconciliation_run_queue` in the transaction that decides it, published on commit,
claimed by one worker under a lease. Running a period twice is harmless (the run is updated in place)."""

from datetime import timedelta

from django.utils import timezone

from scrm.models.imports import JOB_STATES
from scrm.platform import outbox
from settlement.reconciliation.services import RUN_KIND, reconciliation_run
from settlement.reconciliation_models import ReconciliationRun

JOB_TIME_LIMIT = 1900  # seconds: a million lines take well under a minute; this is for a loaded machine
JOB_LEASE = timedelta(seconds=JOB_TIME_LIMIT + 300)


def _run(run):
    reconciliation_run(channel=run.channel, period_start=run.period_start, period_end=run.period_end,
                       by=run.created_by)


def _failed(run, *, detail, final, attempt, fields):
    if final:
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=ReconciliationRun.Status.FAILED, failure_detail=detail[:2000], finished_at=timezone.now())


outbox.register(RUN_KIND, model=ReconciliationRun, handler=_run, max_attempts=3, backoff=outbox.exponential(60),
                lease=JOB_LEASE, queue=outbox.JOBS_QUEUE, states=JOB_STATES, status_field="job_state",
                time_limit=JOB_TIME_LIMIT, on_failure=_failed, select_related=("channel", "created_by"))

"""Reading a statement is a job of the one outbox (scrm.platform.outbox), kind "statement_import", on the jobs queue
(docs/outbox.md), registered as the customer imports are: queued in the transaction that stores the file, published
on commit, claimed under a lease that outlasts the task's time limit, swept again if the broker lost it. The run is
idempotent (an import already read or refused is left alone), so a job run twice reads its file once."""

from datetime import timedelta

from scrm.models.imports import JOB_STATES
from scrm.platform import outbox
from settlement.models import StatementImport
from settlement.statements.services import STATEMENT_KIND, statement_import_run

# A million-line file takes about a minute; the limit leaves room for a busy machine.
JOB_TIME_LIMIT = 1900  # seconds
JOB_LEASE = timedelta(seconds=JOB_TIME_LIMIT + 300)
JOB_MAX_ATTEMPTS = 3


def _run(row):
    statement_import_run(import_id=row.pk)


outbox.register(STATEMENT_KIND, model=StatementImport, handler=_run, max_attempts=JOB_MAX_ATTEMPTS,
                backoff=outbox.exponential(60), lease=JOB_LEASE, queue=outbox.JOBS_QUEUE, states=JOB_STATES,
                status_field="job_state", time_limit=JOB_TIME_LIMIT)

"""The one outbox: every deferred side effect (inbound events, media downloads, replies to WeChat, notification
deliveries, imports and exports) is a row of its own table that adopts `OutboxModel`, and one kind registered here.

The rules, the same for every kind (docs/outbox.md says them for people):

- **Claim.** A row is taken by ONE atomic `UPDATE ... SET status=<in flight>, attempts=attempts+1,
  lease_until=now+lease WHERE id IN (ids) AND <due> RETURNING ...`: due is pending, failed with its
  `next_attempt_at` passed, or in flight with its lease expired. Two workers and the sweeper racing on one row:
  PostgreSQL re-checks the WHERE on the row the winner wrote, so exactly one of them gets it.
- **No lock over the network.** The handler runs after the claim's statement has committed, with no row lock and
  no transaction held (a kind that only writes our database may ask for `atomic`: its handler and the record of
  its success share one transaction). The outcome is recorded afterwards, fenced by the attempt number it
  claimed: a worker whose lease ran out and whose row was claimed again records nothing.
- **Lease.** A kind's lease outlasts its handler's network timeouts, so a slow send in flight is never claimed
  again. A worker killed mid-send leaves its row in flight; it is claimed again only once the lease has expired,
  and sent again: for that case delivery is at-least-once.
- **Back-off.** A failure records the redacted error and `next_attempt_at` = the kind's back-off (exponential,
  with jitter); after the last attempt (or a permanent failure) the row is dead, its error kept, until replayed.
- **Sweep.** One beat task (`outbox_sweep`) takes, for every kind, the rows whose `next_attempt_at` has passed
  (a claim sets it to the lease's end, a new row to a minute after its creation) through a partial index, in
  batches, and enqueues them. It never looks at `created_at`.
- **Suspension.** A row of an organization the platform suspended is neither claimed nor swept: it waits, its
  attempts untouched, and goes out after `organization_resume` (its `next_attempt_at` has passed: the next sweep
  takes it). The claim reads the organization's status in its own statement, so no cache can delay it.
- **Publish.** On commit, a row's id goes to this process's batcher, which publishes the ids of a kind as one
  `outbox_run(kind, ids)` message per LINGER (50 ms) on the kind's queue, from a background thread: a webhook
  never waits for the broker.
"""

import atexit
import logging
import os
import random
import threading
import traceback
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from importlib import import_module

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded, coded_messages_register, coded_render
from scrm.platform.redaction import error_text, redact
from scrm.platform.tenancy import tenant_scope, tenant_sql, typed_values

logger = logging.getLogger(__name__)

LINGER = 0.05  # seconds a batch waits for more ids after its first
MAX_BATCH = 200  # ids per message
SWEEP_BATCH = 1000  # rows per kind per sweep
PUBLISH_GRACE = timedelta(minutes=1)  # a new row not claimed by then is the sweeper's
JITTER = 0.2  # up to 20 % added to each back-off, so rows failed together do not come back together
DEFAULT_QUEUE = "celery"
JOBS_QUEUE = "jobs"  # long imports and exports: their own worker, so they never delay ingestion
RUN_TASK = "scrm.tasks.outbox_run"


# The outbox's own words on a row, recorded as a code (a sweep has no reader) and worded on the row's page.
MSG_WORKER_STOPPED = coded_messages_register({
    "outbox.worker_stopped": _("The last attempt's worker stopped before it finished."),
})["outbox.worker_stopped"]


def publish_deadline():
    """A new row's `next_attempt_at`: the sweeper takes it if its published id was lost (the broker was down)."""
    return timezone.now() + PUBLISH_GRACE


class OutboxModel(models.Model):
    """The columns of an outbox row. The adopting model keeps its own `status` (its pages show it) and declares the
    statuses that play each outbox part in its kind's `States`, and the sweeper's partial index (`due_index`)."""

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=publish_deadline,
        help_text=_("When the sweeper takes the row again: a retry's time, or the end of a lease."))
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True

    @property
    def last_error_display(self):
        """The last error in the reader's language where the product worded it (a coded message)."""
        return coded_render(self.last_error)


@dataclass(frozen=True)
class States:
    """The values of the model's `status` that mean: waiting, in flight, done, failed (will retry), dead."""

    pending: str = "pending"
    inflight: str = "sending"
    done: str = "sent"
    failed: str = "failed"
    dead: str = "dead"

    @property
    def waiting(self):
        return (self.pending, self.failed, self.inflight)


def due_index(name, states=States(), *, field="status"):
    """The sweeper's index of a table: the rows it may take, by when."""
    return models.Index(fields=["next_attempt_at"], name=name,
                        condition=models.Q(**{f"{field}__in": states.waiting}))


class Failure(Exception):  # noqa: N818 - a handler's outcome, not a programming error
    """Raised by a handler: `detail` is recorded (redacted); `permanent` makes the row dead at once (no retry can
    help); `fields` are more columns of the row to record (WeChat's errcode)."""

    def __init__(self, detail, *, permanent=False, fields=None):
        super().__init__(detail)
        self.detail, self.permanent, self.fields = str(detail), permanent, dict(fields or {})


def exponential(base, *, factor=2, cap=3600):
    """Back-off of `base * factor^(attempt-1)` seconds, capped; the outbox adds the jitter."""

    def backoff(attempt):
        return min(base * factor ** max(attempt - 1, 0), cap)

    return backoff


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    handler: object  # handler(row) -> None or {field: value} (may name a done "status"); raises to fail
    max_attempts: object  # int, or a callable returning one (a setting read when it is needed)
    backoff: object  # backoff(attempt) -> seconds before the next attempt
    lease: timedelta
    queue: str = DEFAULT_QUEUE
    states: States = States()
    atomic: bool = False
    on_failure: object = None  # on_failure(row, detail=, final=, attempt=, fields=), in the recording transaction
    select_related: tuple = ()
    time_limit: int | None = None  # seconds, for the task run of a long kind
    status_field: str = "status"  # the column holding the outbox state (a job keeps its own `status` for its page)
    # An atomic kind whose every outcome can be redone from its row: its success commits without waiting for the
    # disk (see _run_one).
    commit_wait: bool = True
    # An atomic kind may also handle several claimed rows of one organization at once: batch_handler(rows) ->
    # {row id: values} for the rows it did (as handler returns them), in one transaction with the record of their
    # success. A row it leaves out, or every row of a batch that raises, runs alone afterwards (see _run_batch).
    batch_handler: object = None

    def attempts_allowed(self):
        return self.max_attempts() if callable(self.max_attempts) else self.max_attempts


_KINDS = {}


def register(kind, *, model, handler, max_attempts, backoff, lease, queue=DEFAULT_QUEUE, states=States(),
             atomic=False, on_failure=None, select_related=(), time_limit=None, status_field="status",
             commit_wait=True, batch_handler=None):
    """Declare a kind of deferred work, once, from its app (AppConfig.ready() or the module of its handler). The
    lease must outlast everything the handler may wait for (its network timeouts), and the task's time limit."""
    _KINDS[kind] = Kind(name=kind, model=model, handler=handler, max_attempts=max_attempts, backoff=backoff,
                        lease=lease, queue=queue, states=states, atomic=atomic, on_failure=on_failure,
                        select_related=tuple(select_related), time_limit=time_limit, status_field=status_field,
                        commit_wait=commit_wait, batch_handler=batch_handler)
    if batch_handler is not None and not atomic:
        raise ValueError(f"outbox kind {kind}: only an atomic kind can handle a batch")
    return _KINDS[kind]


def kinds():
    return dict(_KINDS)


def kind_of(name):
    return _KINDS[name]


# --- publishing -----------------------------------------------------------------------------------------------------

class Batcher:
    """Items in, `publish(items)` calls out, one per batch, on a daemon thread started with the first item. A forked
    child (a gunicorn or Celery worker process) starts empty: the parent's items are the parent's to send, and its
    thread and lock did not come along. Nothing handed over can be lost by it: an id still in memory when its
    process dies, or in a batch that met a broker that was down, names a stored row the sweeper takes later."""

    def __init__(self, publish, *, linger=LINGER, max_batch=MAX_BATCH):
        self._publish, self.linger, self.max_batch = publish, linger, max_batch
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._cond = threading.Condition()
        self._items = []
        self._sending = 0  # batches taken from the buffer and not yet published
        self._thread = None

    def add(self, item):
        with self._cond:
            self._items.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="scrm-outbox-publish", daemon=True)
                self._thread.start()
            # Wake the thread only when what it waits for has happened (a first item, a full batch): a wake-up per
            # item cost every callback a thread switch for a batch that was still lingering.
            waiting = len(self._items)
            if waiting == 1 or waiting >= self.max_batch:
                self._cond.notify_all()

    def _take(self):
        items, self._items = self._items, []
        self._sending += 1
        return items

    def _sent(self):
        with self._cond:
            self._sending -= 1
            self._cond.notify_all()

    def _run(self):
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._items)
                # Let the items of the callbacks arriving meanwhile join this batch.
                self._cond.wait_for(lambda: len(self._items) >= self.max_batch, timeout=self.linger)
                items = self._take()
            try:
                self._send(items)
            finally:
                self._sent()

    def flush(self):
        """Publish what is waiting, on this thread, and return once every batch taken before has been published
        too (or has failed to be). At process exit, and in tests that must know where the ids are."""
        with self._cond:
            items = self._take()
        try:
            self._send(items)
        finally:
            self._sent()
        with self._cond:
            self._cond.wait_for(lambda: not self._sending, timeout=30)

    def _send(self, items):
        for start in range(0, len(items), self.max_batch):
            chunk = items[start:start + self.max_batch]
            try:
                self._publish(chunk)
            except Exception:  # noqa: BLE001 - any broker failure: the rows are stored and swept later
                logger.warning("%d stored outbox rows not enqueued; the sweeper will send them", len(chunk),
                               extra={"items": chunk[:20]}, exc_info=True)


def _send(kind_name, ids, **options):
    """One `outbox_run(kind, ids)` message on the kind's queue, by the task's name (a web process need not import
    the tasks); in eager mode, run at once."""
    from celery import current_app

    kind = _KINDS[kind_name]
    if kind.time_limit:
        options.update(time_limit=kind.time_limit, soft_time_limit=max(kind.time_limit - 60, 1))
    if current_app.conf.task_always_eager:
        import_module("scrm.tasks")  # registers the task pair with the app
        current_app.tasks[RUN_TASK].apply_async((kind_name, list(ids)), queue=kind.queue, **options)
        return
    current_app.send_task(RUN_TASK, (kind_name, list(ids)), queue=kind.queue, retry=False, **options)


def _publish_items(items):
    by_kind = {}
    for kind_name, row_id in items:
        by_kind.setdefault(kind_name, []).append(row_id)
    for kind_name, ids in by_kind.items():
        _send(kind_name, ids)


_batcher = Batcher(_publish_items)
atexit.register(_batcher.flush)


def _eager():
    from celery import current_app

    return current_app.conf.task_always_eager


def publish(kind_name, row_id):
    """Hand a stored row to the workers (call it on commit: `publish_on_commit`). Never raises for the broker's
    sake. In Celery's eager mode (tests, a worker-less setup) the row is run at once, on the caller's thread."""
    if _eager():
        try:
            _send(kind_name, [row_id])
        except Exception:  # noqa: BLE001 - as in a batch: logged, and the stored row is swept later
            logger.warning("outbox row stored but not enqueued", extra={"kind": kind_name, "row_id": row_id},
                           exc_info=True)
        return
    _batcher.add((kind_name, row_id))


def publish_on_commit(kind_name, row_id):
    transaction.on_commit(partial(publish, kind_name, row_id))


def flush():
    """Publish this process's waiting ids now (see Batcher.flush)."""
    _batcher.flush()


# --- claiming and running -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None  # seconds before the next attempt, after a failure that will be retried


class _LeaseLost(Exception):  # noqa: N818
    pass


def _table(kind):
    return connection.ops.quote_name(kind.model._meta.db_table)


def _status_column(kind):
    return connection.ops.quote_name(kind.model._meta.get_field(kind.status_field).column)


def _organization_active_sql(kind):
    """The condition that the row's organization is not suspended, read in the statement itself (no cache)."""
    organizations = connection.ops.quote_name(apps.get_model("scrm", "Organization")._meta.db_table)
    return (f"NOT EXISTS (SELECT 1 FROM {organizations} o WHERE o.id = {_table(kind)}.organization_id "  # noqa: S608
            "AND NOT o.is_active)")


def claim(kind, ids, *, now=None):
    """Claim the due rows among `ids` in one statement; returns [(id, organization_id, attempt)]. A row of a
    suspended organization is left as it is (deferred, its attempts untouched) until the organization resumes."""
    if not ids:
        return []
    now = now or timezone.now()
    states = kind.states
    lease_until = now + kind.lease
    status = _status_column(kind)
    sql = (
        f"UPDATE {_table(kind)} SET {status} = %s, attempts = attempts + 1, lease_until = %s, "  # noqa: S608 - ours
        f"next_attempt_at = %s WHERE id = ANY(%s) AND ({status} = %s "
        f"OR ({status} = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s)) "
        f"OR ({status} = %s AND next_attempt_at <= %s AND attempts < %s)) "
        f"AND {_organization_active_sql(kind)} RETURNING id, organization_id, attempts"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [states.inflight, lease_until, lease_until, list(ids), states.pending, states.failed,
                             now, states.inflight, now, kind.attempts_allowed()])
        return cursor.fetchall()


def run(kind_name, ids):
    """Claim and run the due rows of `ids`; returns {id: Outcome} of the rows this call ran. Each row runs in its own
    transaction (an atomic kind's) and fails alone."""
    kind = _KINDS[kind_name]
    # In id order, which is the order the rows were stored in (a conversation's messages keep theirs), whatever
    # order the claim's UPDATE returned them in.
    claimed = sorted(claim(kind, ids))
    # An atomic kind's handler runs at once and only writes our database: its claimed rows are read in one query
    # per organization, not one each. A network kind reads each row just before its send (a batch may take long).
    preloaded = _load_claimed(kind, claimed) if kind.atomic and len(claimed) > 1 else {}
    outcomes = {}
    if kind.batch_handler is not None and len(preloaded) > 1:
        outcomes.update(_run_batches(kind, claimed, preloaded))
    for row_id, organization_id, attempt in claimed:
        if row_id in outcomes:
            continue
        outcome = _run_one(kind, row_id, organization_id, attempt, row=preloaded.get(row_id))
        if outcome is not None:
            outcomes[row_id] = outcome
    return outcomes


def _run_batches(kind, claimed, preloaded):
    """{id: Outcome} of the rows the kind's batch handler did, one transaction per organization."""
    by_organization = {}
    for row_id, organization_id, attempt in claimed:
        if row_id in preloaded:
            by_organization.setdefault(organization_id, []).append((preloaded[row_id], attempt))
    outcomes = {}
    for organization_id, rows in by_organization.items():
        if len(rows) > 1:
            outcomes.update(_run_batch(kind, organization_id, rows))
    return outcomes


def _run_batch(kind, organization_id, rows):
    """Run the batch handler on the rows and record the successes of the rows it did, all in one transaction. If
    anything fails (the handler, a lease lost meanwhile) nothing of it stays and every row runs alone: a bad row
    still fails alone, with its own error. The rows it left out are not in the result either."""
    attempts = {row.pk: attempt for row, attempt in rows}
    relaxed = not kind.commit_wait and not connection.in_atomic_block  # as in _run_one
    try:
        with tenant_scope(organization_id), transaction.atomic():
            if relaxed:
                _commit_without_wait()
            done = kind.batch_handler([row for row, _attempt in rows]) or {}
            if not done:
                return {}
            outcomes = _record_successes(kind, organization_id, {row_id: (attempts[row_id], values)
                                                                 for row_id, values in done.items()})
    except Exception:  # noqa: BLE001 - undone as a whole; each row runs alone and records its own outcome
        logger.info("outbox batch of %s undone; its rows run one by one", kind.name, exc_info=True,
                    extra={"kind": kind.name, "rows": len(rows)})
        return {}
    return outcomes


class _BatchLeaseLost(Exception):  # noqa: N818
    pass


def _record_successes(kind, organization_id, done):
    """One UPDATE recording the success of each row in `done` ({id: (attempt, handler values)}), fenced by its
    attempt as `_succeed` is; raises if any row's claim was lost (the caller undoes the batch)."""
    prepared = {}
    for row_id, (attempt, values) in done.items():
        values = _with_updated_at(kind, {
            kind.status_field: kind.states.done, "lease_until": None, "next_attempt_at": None, "last_error": "",
            **dict(values or {})})
        prepared[row_id] = (attempt, values)
    names = sorted({name for _attempt, values in prepared.values() for name in values})
    if any(set(values) != set(names) for _attempt, values in prepared.values()):
        raise ValueError("a batch handler returns the same fields for every row")
    meta = kind.model._meta
    fields = [meta.get_field(name) for name in names]
    columns = [connection.ops.quote_name(field.column) for field in fields]
    template, rows = typed_values(
        [meta.pk, meta.get_field("attempts"), *fields],
        [[row_id, attempt, *(values[name] for name in names)] for row_id, (attempt, values) in prepared.items()])
    assignments = ", ".join(f"{column} = v.c{index}" for index, column in enumerate(columns))
    value_names = ", ".join(f"c{index}" for index in range(len(columns)))
    status = _status_column(kind)
    updated = tenant_sql(
        f"UPDATE {_table(kind)} AS t SET {assignments} FROM (VALUES %(values)s) AS v(id, attempt, {value_names}) "  # noqa: S608 - our names
        f"WHERE t.organization_id = %(organization)s AND t.id = v.id AND t.attempts = v.attempt "
        f"AND t.{status} = %(inflight)s RETURNING t.id",
        {"inflight": kind.states.inflight}, organization=organization_id, values=rows, template=template)
    if len(updated) != len(rows):
        raise _BatchLeaseLost(f"{len(rows) - len(updated)} rows of the batch were claimed again")
    return {row_id: Outcome(values[kind.status_field]) for row_id, (_attempt, values) in prepared.items()}


def _scoped(kind, organization_id):
    return kind.model.objects.filter(organization_id=organization_id)


def _rows(kind, organization_id):
    queryset = _scoped(kind, organization_id)
    if kind.select_related:
        queryset = queryset.select_related(*kind.select_related)
    return queryset


def _load(kind, row_id, organization_id):
    return _rows(kind, organization_id).get(pk=row_id)


def _load_claimed(kind, claimed):
    """{id: row} of the claimed rows, one query per organization."""
    by_organization = {}
    for row_id, organization_id, _attempt in claimed:
        by_organization.setdefault(organization_id, []).append(row_id)
    rows = {}
    for organization_id, row_ids in by_organization.items():
        with tenant_scope(organization_id):
            rows.update((row.pk, row) for row in _rows(kind, organization_id).filter(pk__in=row_ids))
    return rows


def _mine(kind, row_id, organization_id, attempt):
    """The row, as long as it is still this attempt's claim (the fence against a claim after an expired lease)."""
    return _scoped(kind, organization_id).filter(pk=row_id, attempts=attempt,
                                                 **{kind.status_field: kind.states.inflight})


def _with_updated_at(kind, values):
    if any(f.name == "updated_at" for f in kind.model._meta.concrete_fields):
        values.setdefault("updated_at", timezone.now())
    return values


def _run_one(kind, row_id, organization_id, attempt, *, row=None):
    with tenant_scope(organization_id):
        try:
            if kind.atomic:
                # Only a transaction of its own: never relax the commit of a caller's transaction.
                relaxed = not kind.commit_wait and not connection.in_atomic_block
                with transaction.atomic():
                    if relaxed:
                        _commit_without_wait()
                    return _succeed(kind, row or _load(kind, row_id, organization_id), organization_id, attempt)
            return _succeed(kind, row or _load(kind, row_id, organization_id), organization_id, attempt)
        except _LeaseLost:
            logger.warning("outbox row claimed again before its outcome was recorded",
                           extra={"kind": kind.name, "row_id": row_id, "attempt": attempt})
            return None
        except Failure as failure:
            return _fail(kind, row_id, organization_id, attempt, failure.detail, permanent=failure.permanent,
                         fields=failure.fields)
        except Exception as error:  # noqa: BLE001 - recorded on the row (redacted) and retried, never swallowed
            # The traceback is logged redacted too: a requests error quotes the URL, and the URL the secret.
            logger.warning("outbox row %s/%s failed: %s", kind.name, row_id,
                           redact(traceback.format_exc(), organization_id=organization_id, limit=None),
                           extra={"kind": kind.name, "row_id": row_id, "attempt": attempt})
            return _fail(kind, row_id, organization_id, attempt, error_text(error, organization_id=organization_id),
                         permanent=False, fields={})


def _commit_without_wait():
    """This transaction's COMMIT returns before its WAL reaches the disk (PostgreSQL's asynchronous commit). Only
    a crash of PostgreSQL itself can lose it, and then whole: the row's claim was committed durably before, so the
    row is still in flight and is run again once its lease expires. Done once either way; a worker no longer waits
    for a disk flush per row (10-20 ms each on a busy disk)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _succeed(kind, row, organization_id, attempt):
    values = dict(kind.handler(row) or {})
    status = values.pop(kind.status_field, kind.states.done)
    updated = _mine(kind, row.pk, organization_id, attempt).update(**_with_updated_at(kind, {
        kind.status_field: status, "lease_until": None, "next_attempt_at": None, "last_error": "", **values}))
    if not updated:
        raise _LeaseLost
    return Outcome(status)


@transaction.atomic
def _fail(kind, row_id, organization_id, attempt, detail, *, permanent, fields):
    detail = redact(detail, organization_id=organization_id)
    final = permanent or attempt >= kind.attempts_allowed()
    retry_in = None if final else kind.backoff(attempt) * (1 + random.uniform(0, JITTER))  # noqa: S311 - jitter
    status = kind.states.dead if final else kind.states.failed
    updated = _mine(kind, row_id, organization_id, attempt).update(**_with_updated_at(kind, {
        kind.status_field: status, "lease_until": None, "last_error": detail,
        "next_attempt_at": None if final else timezone.now() + timedelta(seconds=retry_in), **fields}))
    if not updated:
        return None
    logger.info("outbox row failed", extra={"kind": kind.name, "row_id": row_id, "attempt": attempt,
                                            "status": status})
    if kind.on_failure is not None:
        kind.on_failure(_load(kind, row_id, organization_id), detail=detail, final=final, attempt=attempt,
                        fields=fields)
    if not final and not _eager():
        # Come back when the back-off is over; the sweeper is the safety net if this message is lost.
        transaction.on_commit(partial(_send_quietly, kind.name, row_id, retry_in))
    return Outcome(status, retry_in)


def _send_quietly(kind_name, row_id, countdown):
    try:
        _send(kind_name, [row_id], countdown=countdown)
    except Exception:  # noqa: BLE001 - the sweeper takes the row when its time comes
        logger.warning("outbox retry not enqueued; the sweeper will send it", exc_info=True,
                       extra={"kind": kind_name, "row_id": row_id})


# --- the sweeper ----------------------------------------------------------------------------------------------------

def sweep(*, now=None, batch=SWEEP_BATCH):
    """Beat: enqueue, for every kind, the rows whose `next_attempt_at` has passed (pending and never published,
    failed and due again, in flight with an expired lease), through each table's due index. A row in flight whose
    lease expired after its last attempt is dead. Rows of a suspended organization wait for its resumption.
    Returns {kind: rows enqueued}. Cross-tenant system machinery (raw SQL, no tenant scope)."""
    now = now or timezone.now()
    counts = {}
    for kind in list(_KINDS.values()):
        _bury_expired(kind, now)
        states = kind.states
        with connection.cursor() as cursor:
            cursor.execute(due_sql(kind), [*states.waiting, now, batch])
            ids = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(ids), MAX_BATCH):
            _send(kind.name, ids[start:start + MAX_BATCH])
        counts[kind.name] = len(ids)
    return counts


def due_sql(kind):
    """The sweeper's query of a kind (parameters: the three waiting states, now, the batch size): it matches the
    table's `due_index`, so its cost grows with the rows due (a suspended organization's waiting rows among them,
    skipped), not with the table."""
    return (f"SELECT id FROM {_table(kind)} WHERE {_status_column(kind)} IN (%s, %s, %s) "  # noqa: S608 - ours
            f"AND next_attempt_at <= %s AND {_organization_active_sql(kind)} ORDER BY next_attempt_at LIMIT %s")


def _bury_expired(kind, now):
    states = kind.states
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, organization_id, attempts FROM {_table(kind)} WHERE {_status_column(kind)} = %s "  # noqa: S608
            "AND next_attempt_at <= %s AND attempts >= %s", [states.inflight, now, kind.attempts_allowed()])
        rows = cursor.fetchall()
    for row_id, organization_id, attempt in rows:
        with tenant_scope(organization_id):
            _fail(kind, row_id, organization_id, attempt, coded("outbox.worker_stopped"), permanent=True, fields={})


def organization_resumed(organization_id, *, now=None):
    """The platform resumed an organization: its rows that waited for it while it was suspended (pending ones
    whose published id was refused) become due now, so the next sweep (within 10 s) sends them; failed rows keep
    their back-off. Returns how many rows were made due."""
    now = now or timezone.now()
    made_due = 0
    for kind in list(_KINDS.values()):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(kind)} SET next_attempt_at = %s WHERE organization_id = %s "  # noqa: S608 - ours
                f"AND {_status_column(kind)} = %s AND next_attempt_at > %s",
                [now, organization_id, kind.states.pending, now])
            made_due += cursor.rowcount
    return made_due


# --- replay ---------------------------------------------------------------------------------------------------------

@transaction.atomic
def outbox_replay(kind_name, row):
    """Ops send a failed or dead row through again, with a fresh attempt budget; its last error stays until it
    succeeds. Returns the row, or None when it is not failed or dead (nothing changed)."""
    kind = _KINDS[kind_name]
    with tenant_scope(row.organization_id):
        updated = _scoped(kind, row.organization_id).filter(
            pk=row.pk, **{f"{kind.status_field}__in": [kind.states.failed, kind.states.dead]},
        ).update(**_waiting(kind))
        if not updated:
            return None
        publish_on_commit(kind_name, row.pk)
        return _load(kind, row.pk, row.organization_id)


def enqueue(kind_name, row):
    """Queue an existing row for a new piece of work (a job's next phase): pending with a fresh attempt budget,
    published on commit. Call it in the transaction that decides the work."""
    kind = _KINDS[kind_name]
    with tenant_scope(row.organization_id):
        _scoped(kind, row.organization_id).filter(pk=row.pk).update(**_waiting(kind))
    publish_on_commit(kind_name, row.pk)


def _waiting(kind):
    return _with_updated_at(kind, {kind.status_field: kind.states.pending, "attempts": 0, "lease_until": None,
                                   "next_attempt_at": publish_deadline()})


__all__ = [
    "JOBS_QUEUE", "Batcher", "Failure", "Kind", "OutboxModel", "Outcome", "States", "claim", "due_index", "enqueue",
    "exponential", "flush", "kinds", "organization_resumed", "outbox_replay", "publish", "publish_on_commit",
    "register", "run", "sweep",
]

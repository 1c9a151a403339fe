"""The outbox's registry and sweeper, whatever the kind: every app's kind is registered, and each kind's sweep reads
its table through the partial due index (its cost grows with the rows due, not with the table)."""

import pytest
from django.db import connection
from django.utils import timezone

from scrm.platform import outbox

pytestmark = pytest.mark.django_db


def test_every_deferred_side_effect_is_a_registered_kind():
    assert set(outbox.kinds()) == {"inbound_event", "wechat_media", "wechat_reply", "notification", "customer_import",
                                   "customer_export", "shop_order_fetch", "statement_import", "reconciliation_run",
                                   "settlement_run", "form_webhook"}
    # Long work (files, matching, statements) runs on the jobs queue, never delaying ingestion.
    jobs = {name for name, kind in outbox.kinds().items() if kind.queue == outbox.JOBS_QUEUE}
    assert jobs == {"customer_import", "customer_export", "statement_import", "reconciliation_run", "settlement_run"}


@pytest.mark.parametrize("name", sorted(outbox.kinds()))
def test_the_sweep_of_each_kind_reads_its_due_index(name):
    kind = outbox.kind_of(name)
    [index] = [i for i in kind.model._meta.indexes if i.fields == ["next_attempt_at"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny: ask what the plan can use
        cursor.execute(f"EXPLAIN {outbox.due_sql(kind)}", [*kind.states.waiting, timezone.now(), 1000])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index.name in plan


def test_a_kinds_lease_outlasts_its_handlers_timeouts():
    from channels_ingest.services.wechat_api import _TIMEOUT
    from scrm.customers.jobs import JOB_TIME_LIMIT

    for name in ("wechat_reply", "wechat_media", "notification"):
        assert outbox.kind_of(name).lease.total_seconds() >= 3 * _TIMEOUT + 30, name
    for name in ("customer_import", "customer_export"):
        assert outbox.kind_of(name).lease.total_seconds() > JOB_TIME_LIMIT, name
    from channels_ingest.services.douyin_api import TIMEOUT as DOUYIN_TIMEOUT

    # A Douyin order fetch: the token and the details, then the ledger write.
    assert outbox.kind_of("shop_order_fetch").lease.total_seconds() >= 2 * DOUYIN_TIMEOUT + 60

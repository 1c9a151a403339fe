"""The web side of a callback: store it once, hand it to the workers after commit, never call WeChat."""

import json
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from channels_ingest import wire
from channels_ingest.models import InboundEvent
from channels_ingest.services.enqueue import event_enqueue
from scrm.tenancy import tenant_scope, tenant_sql

_INSERT = None


def _insert_sql():
    """INSERT ... ON CONFLICT (organization, account, dedupe key) DO NOTHING RETURNING id: one round trip that
    stores a new event or does nothing for a retry, whoever wins a race."""
    global _INSERT
    if _INSERT is None:
        table = connection.ops.quote_name(InboundEvent._meta.db_table)
        _INSERT = (
            f"INSERT INTO {table} (organization_id, account_id, kind, dedupe_key, from_user, raw, fields, status, "  # noqa: S608 - our table
            "attempts, last_error, received_at, updated_at) VALUES (%(organization)s, %(account)s, %(kind)s, "
            "%(dedupe_key)s, %(from_user)s, %(raw)s, %(fields)s, %(status)s, 0, '', %(now)s, %(now)s) "
            "ON CONFLICT (organization_id, account_id, dedupe_key) DO NOTHING RETURNING id"
        )
    return _INSERT


def event_receive(*, account, raw, fields):
    """Store a verified callback as an InboundEvent and enqueue its processing after commit; a retry of one already
    stored writes nothing. Returns the new event's id, or None for a retry.

    The unique (organization, account, dedupe_key) decides between concurrent deliveries. It is one statement
    (`ON CONFLICT DO NOTHING`), atomic by itself, so no transaction is opened around it: callbacks are the hottest
    write of the product, and BEGIN/COMMIT would double its round trips. Called inside a transaction, the enqueue
    still waits for that transaction's commit.
    """
    if connection.vendor != "postgresql":
        return _event_receive_portable(account=account, raw=raw, fields=fields)
    now = timezone.now()
    rows = tenant_sql(_insert_sql(), {
        "account": account.pk, "kind": wire.event_kind(fields), "dedupe_key": wire.dedupe_key(fields),
        "from_user": (fields.get("FromUserName") or "")[:128], "raw": raw,
        "fields": json.dumps(fields, ensure_ascii=False), "status": InboundEvent.Status.RECEIVED, "now": now,
    }, organization=account.organization_id)
    if not rows:
        return None
    transaction.on_commit(partial(event_enqueue, rows[0][0]))
    return rows[0][0]


@transaction.atomic
def _event_receive_portable(*, account, raw, fields):
    """The same on SQLite (make run without PostgreSQL): get_or_create, guarded by the same constraint."""
    with tenant_scope(account.organization_id):
        event, created = InboundEvent.objects.get_or_create(
            organization_id=account.organization_id, account=account, dedupe_key=wire.dedupe_key(fields),
            defaults={"kind": wire.event_kind(fields), "from_user": (fields.get("FromUserName") or "")[:128],
                      "raw": raw, "fields": fields},
        )
        if not created:
            return None
        transaction.on_commit(partial(event_enqueue, event.pk))
        return event.pk

"""The web side of a callback: store it once, hand it to the workers after commit, never call WeChat."""

import json
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from channels_ingest import wire
from channels_ingest.models import InboundEvent
from scrm.models import Organization
from scrm.platform import outbox
from scrm.platform.tenancy import tenant_sql

KIND = "inbound_event"  # processing.KIND: the outbox kind that processes an event
_INSERT = None


class OrganizationSuspended(Exception):  # noqa: N818 - an outcome the hook answers with 403
    """The account's organization was suspended: the callback was not stored."""


def _insert_sql():
    """INSERT ... SELECT ... ON CONFLICT (organization, account, dedupe key) DO NOTHING RETURNING id: one round trip
    that stores a new event, or does nothing for a retry (whoever wins a race) or for a suspended organization. The
    organization's status is read by the statement itself: a suspension holds at once in every web process, even
    one whose cached account (10 s) still says active. Prepared once per database session (planning it cost as much
    as running it): every parameter carries its type."""
    global _INSERT
    if _INSERT is None:
        table = connection.ops.quote_name(InboundEvent._meta.db_table)
        organizations = connection.ops.quote_name(Organization._meta.db_table)
        _INSERT = (
            f"INSERT INTO {table} (organization_id, account_id, kind, dedupe_key, from_user, raw, fields, status, "  # noqa: S608 - our table
            "attempts, last_error, next_attempt_at, received_at, updated_at) SELECT %(organization)s::bigint, "
            "%(account)s::bigint, %(kind)s::text, %(dedupe_key)s::text, %(from_user)s::text, %(raw)s::text, "
            "%(fields)s::jsonb, %(status)s::text, 0, '', %(next_attempt_at)s::timestamptz, %(now)s::timestamptz, "
            f"%(now)s::timestamptz FROM {organizations} o WHERE o.id = %(organization)s::bigint "
            "AND o.is_active ON CONFLICT (organization_id, account_id, dedupe_key) DO NOTHING RETURNING id"
        )
    return _INSERT


def event_receive(*, account, raw, fields):
    """Store a verified callback as an InboundEvent and publish it to the outbox after commit; a retry of one
    already stored writes nothing. Returns the new event's id, or None for a retry; raises OrganizationSuspended
    (nothing stored) when the account's organization is suspended.

    The unique (organization, account, dedupe_key) decides between concurrent deliveries. It is one statement
    (`ON CONFLICT DO NOTHING`), atomic by itself, so no transaction is opened around it: callbacks are the hottest
    write of the product, and BEGIN/COMMIT would double its round trips. Called inside a transaction, the publish
    still waits for that transaction's commit. The event's `next_attempt_at` is when the outbox's sweeper takes it
    if its published id is lost (a broker down, a process killed).
    """
    return event_store(account=account, raw=raw, fields=fields, kind=wire.event_kind(fields),
                       dedupe_key=wire.dedupe_key(fields), from_user=fields.get("FromUserName") or "")


def event_store(*, account, raw, fields, kind, dedupe_key, from_user=""):
    """`event_receive` for a payload whose kind and dedupe key its adapter already read (the shops')."""
    now = timezone.now()
    rows = tenant_sql(_insert_sql(), {
        "account": account.pk, "kind": kind[:64], "dedupe_key": dedupe_key[:200],
        "from_user": (from_user or "")[:128], "raw": raw,
        "fields": json.dumps(fields, ensure_ascii=False), "status": InboundEvent.Status.RECEIVED,
        "next_attempt_at": now + outbox.PUBLISH_GRACE, "now": now,
    }, organization=account.organization_id, prepared_as="inbound_event_insert")
    if not rows:
        # A retry of a stored event, or an organization suspended since this process cached its account: a second
        # query, on this rare path only, tells which.
        if not Organization.objects.filter(pk=account.organization_id, is_active=True).exists():
            raise OrganizationSuspended
        return None
    transaction.on_commit(partial(outbox.publish, KIND, rows[0][0]))
    return rows[0][0]

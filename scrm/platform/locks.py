"""Advisory locks: serialise work on one key (a person, a conversation) across processes until the transaction ends.

PostgreSQL's `pg_advisory_xact_lock` takes a 64-bit key; ours is a hash of the parts, so any string key works and
two different keys collide only by chance (a collision just makes two unrelated callers wait for each other).
"""

import hashlib

from django.db import connection


def advisory_xact_lock(*parts):
    """Block until no other transaction holds the lock of `parts`; it is released when this transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(parts)])


def _key(parts):
    digest = hashlib.blake2b(":".join(str(part) for part in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_xact_locks(keys):
    """The locks of several keys (each a tuple of parts, as `advisory_xact_lock` takes them), in one statement and
    in ascending order of their 64-bit keys: two callers locking overlapping sets wait for each other and cannot
    deadlock on these locks (nor with a caller taking one lock alone)."""
    ordered = sorted({_key(parts) for parts in keys})
    if not ordered:
        return
    with connection.cursor() as cursor:
        # OFFSET 0 keeps the sorted subquery as it is: the locks are taken row by row, in its order.
        cursor.execute("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest(%s::bigint[]) AS k "
                       "ORDER BY k OFFSET 0) AS s", [ordered])

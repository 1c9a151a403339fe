"""Advisory locks: serialise work on one key (a person, a conversation) across processes until the transaction ends.

PostgreSQL's `pg_advisory_xact_lock` takes a 64-bit key; ours is a hash of the parts, so any string key works and
two different keys collide only by chance (a collision just makes two unrelated callers wait for each other).
"""

import hashlib

from django.db import connection


def advisory_xact_lock(*parts):
    """Block until no other transaction holds the lock of `parts`; it is released when this transaction ends."""
    digest = hashlib.blake2b(":".join(str(part) for part in parts).encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])

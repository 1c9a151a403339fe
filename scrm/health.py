"""Liveness of the parts the product needs: the database and the Celery broker."""

import logging
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "scrm:worker-heartbeat"


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down"; it is logged, not swallowed silently
        logger.warning("healthz: database check failed", exc_info=True)
        return False
    return True


# One connection per thread and broker URL: kombu connections are not shared across threads (gthread workers).
_local = threading.local()


def broker_ok(timeout=1.0):
    """Whether the broker answers. The connection is kept per process and the check is one round trip (a PING on
    Redis): opening a new connection on every probe cost more than everything else /healthz does."""
    url = settings.CELERY_BROKER_URL
    _connections = _local.__dict__.setdefault("connections", {})
    try:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Connection(
                url, connect_timeout=timeout, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
            )
        conn.ensure_connection(max_retries=1, timeout=timeout)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()
    except Exception:  # noqa: BLE001 - any failure means "down"; logged below
        stale = _connections.pop(url, None)
        if stale is not None:
            stale.release()
        logger.warning("healthz: broker check failed", extra={"broker": conn_label()})
        return False
    return True


def conn_label():
    """The broker's transport and host, never its password."""
    url = settings.CELERY_BROKER_URL
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def worker_last_seen():
    """When a worker last ran the heartbeat task (ISO time), or None: informative, not part of the 503 rule."""
    return cache.get(HEARTBEAT_CACHE_KEY)

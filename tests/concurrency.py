"""Race helper for the tests that prove a service is safe under concurrency on PostgreSQL.

Each call runs in its own thread with its own database connection, opened before the start line so that every
call really begins at the same moment; then the calls are released together through a barrier.
"""

import threading
import time

from django.db import OperationalError, connection

CONNECT_PATIENCE = 45  # seconds: another process on a shared server may briefly hold many of its client slots


def _connect_patiently(deadline):
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run_at_once(calls, *, timeout=120):
    """Run every zero-argument callable at the same moment; return their results in order.

    Fails the test with every error raised: what is under test is the race, so no call may fail.
    """
    barrier = threading.Barrier(len(calls))
    deadline = time.monotonic() + CONNECT_PATIENCE
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            _connect_patiently(deadline)
            barrier.wait(timeout=CONNECT_PATIENCE + 15)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    return results

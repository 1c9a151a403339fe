"""Drive a bounded HTTP load from this machine over keep-alive connections, and summarise it.

Why processes x threads: a Python client pays the GIL for every request it builds and every response it parses. On a
2-core machine one client process saturates a core long before gunicorn does, and the benchmark would measure the
client. Several processes, each running a few threads that each hold one keep-alive ``http.client`` connection, spread
that cost. The client still shares the machine with the server, so figures compare runs of the same command on the
same machine; they are not the capacity of a production host.

Why both bounds: the request budget keeps a fast run short and reproducible; the time limit keeps a slow or broken
server from holding the machine. Whichever comes first ends the run.

Reuse: a scenario passes a request factory, ``factory(seq) -> Request``. ``seq`` is unique across the whole run (0, 1,
2, ... over every process and thread), so a webhook scenario can derive a distinct message id and sign each body. The
factory travels to the client processes by pickling (the ``spawn`` start method, so no lock or connection of the parent
leaks into the children): make it a module-level function or an instance of a module-level class, like FixedRequest.
"""

import http.client
import multiprocessing
import queue
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

STARTUP_TIMEOUT = 60.0
RESULT_GRACE = 60.0


class Request(NamedTuple):
    method: str
    path: str
    headers: dict
    body: bytes | None = None


class FixedRequest:
    """The same request every time (a baseline GET); picklable, so it can be sent to the client processes."""

    def __init__(self, method, path, headers=None, body=None):
        self.request = Request(method, path, dict(headers or {}), body)

    def __call__(self, seq):
        return self.request


def percentile(sorted_values, pct):
    """The pct-th percentile (0-100) of already sorted values, interpolating linearly between the closest ranks.

    Linear interpolation (numpy's default) rather than nearest rank, so a p99 over a few thousand samples does not
    jump from one sample to the next when the count changes by one.
    """
    if not sorted_values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def split_evenly(total, parts):
    """``total`` items over ``parts`` buckets, sizes differing by at most one: 16 over 3 -> 6, 5, 5."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class LoadResult:
    """Everything a run observed. A request is one attempt that finished: a response of any status, or a failure."""

    latencies: list = field(default_factory=list)  # seconds, one per response received, sorted
    statuses: Counter = field(default_factory=Counter)  # HTTP status -> responses
    transport_errors: Counter = field(default_factory=Counter)  # exception class name -> attempts with no response
    seconds: float = 0.0
    client_processes: int = 0
    concurrency: int = 0

    @property
    def requests(self):
        return len(self.latencies) + sum(self.transport_errors.values())

    @property
    def errors(self):
        """Attempts with no response, plus responses a client would treat as failed (4xx, 5xx)."""
        failed_statuses = sum(n for status, n in self.statuses.items() if status >= 400)
        return sum(self.transport_errors.values()) + failed_statuses

    @classmethod
    def combined(cls, results):
        """Several runs of the same load as one: latencies pooled, seconds added (so rps is the runs' overall
        rate). For interleaved rounds, which keep a drift of the machine from favouring one side."""
        merged = cls(client_processes=results[0].client_processes, concurrency=results[0].concurrency)
        for result in results:
            merged.latencies.extend(result.latencies)
            merged.statuses.update(result.statuses)
            merged.transport_errors.update(result.transport_errors)
            merged.seconds += result.seconds
        merged.latencies.sort()
        return merged

    def summary(self):
        def ms(pct):
            return round(percentile(self.latencies, pct) * 1000, 3) if self.latencies else None

        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.requests / self.seconds, 1) if self.seconds else None,
            "p50_ms": ms(50),
            "p90_ms": ms(90),
            "p99_ms": ms(99),
            "max_ms": ms(100),
            "status": {str(status): n for status, n in sorted(self.statuses.items())},
            "transport_errors": dict(sorted(self.transport_errors.items())),
            "client_processes": self.client_processes,
            "concurrency": self.concurrency,
        }


def run_load(host, port, factory, *, concurrency=16, processes=2, max_requests=20000, duration=20.0, timeout=10.0):
    """Send at most ``max_requests`` requests within ``duration`` seconds from ``concurrency`` connections.

    The connections are spread over ``processes`` client processes. Every process waits for one common start signal
    before its threads start, so interpreter start-up is not counted in ``seconds``. The caller's main module must be
    importable (a script or ``-m``, not stdin), as for any ``spawn``-based multiprocessing.
    """
    processes = max(1, min(processes, concurrency))
    ctx = multiprocessing.get_context("spawn")
    counter = ctx.Value("q", 0)  # next sequence number, shared so the budget is global and seq unique
    ready, start = ctx.Semaphore(0), ctx.Event()
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_client_process,
            args=(host, port, factory, threads, counter, max_requests, duration, timeout, ready, start, results),
            name=f"bench-client-{i}",
            daemon=True,
        )
        for i, threads in enumerate(split_evenly(concurrency, processes))
    ]
    for worker in workers:
        worker.start()
    try:
        _wait_ready(workers, ready, deadline=time.monotonic() + STARTUP_TIMEOUT)
        start.set()
        reports = _collect(workers, results, deadline=time.monotonic() + duration + timeout + RESULT_GRACE)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()

    merged = LoadResult(client_processes=processes, concurrency=concurrency)
    for report in reports:
        merged.latencies.extend(report["latencies"])
        merged.statuses.update(report["statuses"])
        merged.transport_errors.update(report["transport_errors"])
    merged.latencies.sort()
    # CLOCK_MONOTONIC is system-wide, so the children's clocks can be compared: first start to last finish.
    merged.seconds = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    return merged


def _wait_ready(workers, ready, *, deadline):
    """Wait until every client process has started, failing at once (not at the deadline) if one died."""
    for _ in workers:
        while not ready.acquire(timeout=0.5):
            failed = [w.name for w in workers if w.exitcode is not None]
            if failed:
                raise RuntimeError(f"client process(es) exited during start-up: {', '.join(failed)}")
            if time.monotonic() > deadline:
                raise RuntimeError("client processes did not start in time")


def _collect(workers, results, *, deadline):
    reports = []
    while len(reports) < len(workers):
        try:
            reports.append(results.get(timeout=1.0))
        except queue.Empty:
            failed = [w.name for w in workers if w.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"client process(es) failed: {', '.join(failed)}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("client processes did not report in time") from None
    return reports


def _client_process(host, port, factory, threads, counter, max_requests, duration, timeout, ready, start, results):
    """One client process: ``threads`` keep-alive connections pulling sequence numbers until a bound is hit."""

    def claim():
        with counter.get_lock():
            seq = counter.value
            if seq >= max_requests:
                return None
            counter.value = seq + 1
            return seq

    lock = threading.Lock()
    latencies = array("d")
    statuses, transport_errors = Counter(), Counter()
    crashed = []  # a bug in a factory must fail the run, not silently shrink it

    def drive(deadline):
        mine, my_statuses, my_errors = array("d"), Counter(), Counter()
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            while time.monotonic() < deadline and (seq := claim()) is not None:
                request = factory(seq)
                started = time.perf_counter()
                try:
                    conn.request(request.method, request.path, body=request.body, headers=request.headers)
                    response = conn.getresponse()
                    response.read()  # the whole body, or the connection cannot be reused
                except (OSError, http.client.HTTPException) as exc:
                    my_errors[type(exc).__name__] += 1
                    conn.close()  # the next request() reopens it
                    continue
                mine.append(time.perf_counter() - started)
                my_statuses[response.status] += 1
        except BaseException as exc:
            crashed.append(exc)
        finally:
            conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(my_statuses)
            transport_errors.update(my_errors)

    ready.release()
    if not start.wait(timeout=STARTUP_TIMEOUT):
        return  # the parent gave up; it reports why
    started = time.monotonic()
    pool = [threading.Thread(target=drive, args=(started + duration,), daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if crashed:
        raise crashed[0]
    results.put(
        {
            "latencies": latencies.tolist(),
            "statuses": dict(statuses),
            "transport_errors": dict(transport_errors),
            "started": started,
            "finished": time.monotonic(),
        }
    )

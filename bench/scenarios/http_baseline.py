"""HTTP baseline: gunicorn + Django answering GET /healthz under a bounded load from this machine.

/healthz runs the whole middleware stack plus one database round trip and one broker connection, so it is the floor
every other page builds on: if this number drops, everything got slower.

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench http_baseline

The default driver is Python (bench.load): bounded by both --requests and --duration. ``--driver wrk`` uses wrk
(Debian package ``wrk``), a C client that costs the shared CPU less; it is bounded by --duration only.
"""

import os
import re
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

from bench.load import FixedRequest, run_load
from bench.server import add_server_arguments, gunicorn_server, server_options, server_report

WRK_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


# A run of seconds: what the tests run (python -m bench http_baseline --tiny).
TINY = ("--requests", "200", "--duration", "5", "--warmup", "20", "--concurrency", "4")


def add_arguments(parser):
    add_server_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent client connections (default 16)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the connections are spread over")
    parser.add_argument("--requests", type=int, default=20000, help="request budget (default 20000)")
    parser.add_argument("--duration", type=float, default=20.0, help="time limit in seconds (default 20)")
    parser.add_argument("--warmup", type=int, default=200, help="requests sent and discarded before measuring")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request socket timeout in seconds")
    parser.add_argument("--path", default="/healthz", help="path to request (default /healthz)")
    parser.add_argument("--driver", choices=["python", "wrk"], default="python", help="load client (default python)")


def run(args):
    if args.driver == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("--driver wrk needs wrk on PATH (apt-get install -y wrk)")
    database, broker = _scheme("DATABASE_URL"), _scheme("REDIS_URL")

    with gunicorn_server(**server_options(args)) as server:
        print(f"gunicorn pid {server.pid} on {server.base_url}; loading {args.path}", file=sys.stderr)
        factory = FixedRequest("GET", args.path)
        if args.warmup:
            # Each worker connects to the database and imports lazily on its first requests; keep that out.
            run_load(
                server.host,
                server.port,
                factory,
                concurrency=args.concurrency,
                processes=args.client_processes,
                max_requests=args.warmup,
                duration=args.duration,
            )
        if args.driver == "wrk":
            figures = _run_wrk(server.base_url + args.path, args)
        else:
            figures = run_load(
                server.host,
                server.port,
                factory,
                concurrency=args.concurrency,
                processes=args.client_processes,
                max_requests=args.requests,
                duration=args.duration,
                timeout=args.timeout,
            ).summary()

    return {
        "driver": args.driver,
        "path": args.path,
        **server_report(args),
        "database": database,
        "broker": broker,
        "requests_limit": args.requests if args.driver == "python" else None,
        "duration_limit": args.duration,
        **figures,
    }


def _scheme(variable):
    """Only the URL's scheme goes into the report: never a host's password."""
    value = os.environ.get(variable, "")
    return urlsplit(value).scheme if value else None


def _run_wrk(url, args):
    argv = [
        "wrk",
        "--latency",
        "-t",
        str(args.client_processes),
        "-c",
        str(args.concurrency),
        "-d",
        f"{max(1, round(args.duration))}s",
        "--timeout",
        f"{max(1, round(args.timeout))}s",
        url,
    ]
    completed = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=args.duration + 60)
    return parse_wrk(completed.stdout) | {
        "client_processes": 1,
        "client_threads": args.client_processes,
        "concurrency": args.concurrency,
    }


def parse_wrk(output):
    """The figures of ``wrk --latency`` text output, in this scenario's report shape."""

    def duration_ms(text):
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
        return round(float(number) * WRK_TIME_UNITS_MS[unit], 3)

    match = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    requests, seconds = int(match.group(1)), duration_ms(match.group(2)) / 1000
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$", output, re.MULTILINE))
    latency_max = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", output, re.MULTILINE).group(1)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    transport = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, socket_errors.groups()), strict=True))
        if socket_errors
        else {}
    )
    failed = int(non_2xx.group(1)) if non_2xx else 0
    return {
        "requests": requests,
        "errors": failed + sum(transport.values()),
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1),
        "p50_ms": duration_ms(percentiles["50"]),
        "p90_ms": duration_ms(percentiles["90"]),
        "p99_ms": duration_ms(percentiles["99"]),
        "max_ms": duration_ms(latency_max),
        # wrk only tells 2xx/3xx apart from the rest.
        "status": {"2xx_3xx": requests - failed, "other": failed},
        "transport_errors": {kind: n for kind, n in transport.items() if n},
    }

"""Serve ``scrm.wsgi:application`` with gunicorn on a free loopback port for as long as a scenario needs it.

The server is started the way production starts it (gunicorn, DEBUG off) but only ever bound to 127.0.0.1, and with
the settings that only make sense behind a TLS terminator turned off: the benchmark speaks plain HTTP, and an HTTPS
redirect would turn every request into a 301. Gunicorn is run as ``<this python> -m gunicorn`` so it is always the one
in the same virtualenv as the runner.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_TAIL_BYTES = 4000
DEFAULT_WORKERS = 4  # the image's WEB_CONCURRENCY

# Production-like Django, reachable over plain HTTP on loopback only.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "scrm.settings",
    "DEBUG": "False",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "False",
    # Production settings refuse to start without it; the links it builds are not followed in a run.
    "PUBLIC_BASE_URL": f"http://{HOST}",
}


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int
    workers: int
    worker_class: str

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"


def add_server_arguments(parser):
    """The serving model's options, the same in every scenario that starts gunicorn (defaults: the image's)."""
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"gunicorn worker processes (default {DEFAULT_WORKERS}, as WEB_CONCURRENCY in the image)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class, as in the image (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; >1 makes gunicorn use gthread")


def server_options(args):
    """What ``gunicorn_server`` takes from those options."""
    return {"workers": args.workers, "worker_class": args.worker_class, "threads": args.threads}


def server_report(args):
    """The serving model as a scenario's JSON reports it."""
    worker_class = "gthread" if args.threads > 1 and args.worker_class == "sync" else args.worker_class
    return {"workers": args.workers, "worker_class": worker_class, "threads": args.threads}


def free_port():
    """A port nobody listens on now. Another process could take it before gunicorn binds; start-up then fails loudly."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run_secrets():
    """SECRET_KEY and FIELD_ENCRYPTION_KEY for one run: the caller's if set, else random ones. A scenario that
    prepares data depending on them (sessions, encrypted channel secrets) passes the same dict to its servers."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or secrets.token_urlsafe(32),
    }


@contextmanager
def gunicorn_server(
    *,
    workers=DEFAULT_WORKERS,
    worker_class="sync",
    threads=1,
    env=None,
    ready_path="/healthz",
    startup_timeout=60.0,
    stop_timeout=30.0,
):
    """Start gunicorn, wait until ``ready_path`` answers 200, yield a Server, then stop it gracefully.

    The child keeps the caller's DATABASE_URL and REDIS_URL. SECRET_KEY is the caller's if set, else a random one for
    this run; pass ``env={"SECRET_KEY": ...}`` when a scenario prepares data that depends on it.
    """
    port = free_port()
    child_env = {**os.environ, **SERVER_ENV, "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)}
    child_env.update(env or {})
    child_env.pop("GUNICORN_CMD_ARGS", None)  # the options below are the whole configuration of the run
    argv = [
        sys.executable, "-m", "gunicorn", "scrm.wsgi:application",
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        "--chdir", str(PROJECT_ROOT),
        "--graceful-timeout", str(int(stop_timeout)),
        "--log-level", "warning",
        # Its default path is shared by every gunicorn of this user; a second one would take over the first's socket.
        "--no-control-socket",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        # A file, not a pipe: nobody reads gunicorn's output during the run, and a full pipe would block its workers.
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(proc, port, ready_path, startup_timeout, log)
            yield Server(HOST, port, proc.pid, workers, worker_class)
        finally:
            _stop(proc, stop_timeout)


def _wait_ready(proc, port, ready_path, timeout, log):
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {proc.returncode} during start-up:\n{_tail(log)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2.0)
        try:
            conn.request("GET", ready_path)
            response = conn.getresponse()
            body = response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {body[:300].decode(errors='replace')}"
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"GET {ready_path} did not answer 200 within {timeout:.0f}s (last: {last}):\n{_tail(log)}")


def _stop(proc, timeout):
    """SIGTERM is gunicorn's graceful shutdown: workers finish their request and exit; kill only if they hang."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _tail(log):
    log.flush()
    size = log.seek(0, os.SEEK_END)
    log.seek(max(0, size - LOG_TAIL_BYTES))
    return log.read().decode(errors="replace")


@contextmanager
def collected_static():
    """A STATIC_ROOT for a server that renders pages: with DEBUG off, `{% static %}` needs the manifest of
    `collectstatic` (whitenoise's storage), which a checkout does not have. Collected into a temporary folder for the
    run (seconds to tens of seconds: it compresses every file, as the image build does), yielded as the server's
    environment ({"STATIC_ROOT": ...}), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="scrm-bench-static-") as root:
        env = {**os.environ, **SERVER_ENV, "STATIC_ROOT": root}
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=PROJECT_ROOT,
                       env=env, check=True, timeout=600)
        yield {"STATIC_ROOT": root}

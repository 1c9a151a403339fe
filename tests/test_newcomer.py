"""`make run` on a newcomer's machine: no PostgreSQL, no Redis. The product must migrate and load its demo data on
SQLite with the filesystem broker, exactly as the README promises."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603 - our own manage.py
                          capture_output=True, text=True,
                          timeout=600, check=False)


def test_migrate_and_seed_demo_work_without_postgresql_or_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="true", SCRM_VAR_DIR=str(tmp_path))

    for step in (["migrate", "--noinput"], ["seed_demo"]):
        done = _manage(*step, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "scrm.sqlite3").exists()
    assert not (ROOT / "control").exists(), "the filesystem broker must keep its files under SCRM_VAR_DIR"

    counts = _manage("shell", "-c", (
        "from scrm.tenancy import tenant_scope; from scrm.models import Organization, Customer; "
        "from tickets.models import Ticket\n"
        "with tenant_scope(Organization.objects.get(slug='demo')):\n"
        "    print(Customer.objects.count(), Ticket.objects.count())"), env=env)
    assert counts.returncode == 0, counts.stderr[-3000:]
    customers, tickets = map(int, counts.stdout.strip().splitlines()[-1].split())
    assert customers >= 150 and tickets >= 250

"""Every benchmark scenario runs at its tiny size against the freshly migrated test database and prints its one JSON
line: a scenario whose generator or cleanup no longer matches the models fails here, the day the models change, not
months later on a full run. One test per scenario of the registry, so a new scenario is covered the day it lands.

The scenario runs as `python -m bench <name> --tiny`, a process of its own (some start gunicorn or a Celery worker),
so its rows must be visible to it and are removed afterwards: `transactional_db`. Only that the run completes and
reports is asserted; the figures of a tiny run mean nothing.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from bench.__main__ import available_scenarios
from scrm.platform.roles import sync_all_role_permissions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 180


def _database_url(settings_dict):
    """The URL of the test database this session runs on (pytest-django renamed it), for the scenario's process."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    name = quote(settings_dict["NAME"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # the private server of scripts/local_services.py: a unix socket folder
        return f"postgres://{credentials}/{host}/{name}"
    return f"postgres://{credentials}{host}:{settings_dict.get('PORT') or '5432'}/{name}"


def test_every_scenario_has_a_tiny_size():
    import importlib

    missing = [name for name in available_scenarios()
               if not hasattr(importlib.import_module(f"bench.scenarios.{name}"), "TINY")]

    assert missing == []


@pytest.mark.parametrize("scenario", available_scenarios())
def test_scenario_runs_at_its_tiny_size_and_reports_one_json_line(scenario, transactional_db):
    sync_all_role_permissions()  # an earlier transactional test may have emptied the role groups
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), "DEBUG": "true"}

    completed = subprocess.run(  # noqa: S603 - a name from the registry, our own interpreter
        [sys.executable, "-m", "bench", scenario, "--tiny"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
    )

    assert completed.returncode == 0, completed.stderr[-5000:]
    lines = completed.stdout.splitlines()
    assert len(lines) == 1, completed.stdout[-2000:]
    report = json.loads(lines[0])
    assert report["scenario"] == scenario
    assert report["tiny"] is True

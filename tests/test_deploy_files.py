"""docker-compose.yml and the Dockerfile say what we deploy; these checks keep them saying it.

No Docker engine is needed: the files are parsed. Each check names a property that, if lost, would break a deployment
or leak a secret: a missing service, web/worker/beat drifting apart, a process started before its dependencies are
healthy, a password typed into the file, an image running as root.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "worker-jobs", "beat")
# A value that only names an environment variable compose must be given: ${NAME:?message}.
REQUIRED_INTERPOLATION = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)


def command_of(service):
    command = SERVICES[service]["command"]
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_of(service):
    test = SERVICES[service]["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def dockerfile_stages():
    """The Dockerfile's instructions grouped by stage, continuation lines joined: [[(INSTRUCTION, args), ...], ...]."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), args.strip()))
    return stages


def test_compose_defines_the_six_services():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "worker-jobs", "beat"}


def test_database_and_broker_images_are_pinned_to_their_major_versions():
    assert re.fullmatch(r"postgres:16(\.\d+)*(-\S+)?", SERVICES["postgres"]["image"])
    assert re.fullmatch(r"redis:7(\.\d+)*(-\S+)?", SERVICES["redis"]["image"])


def test_web_worker_and_beat_share_one_definition_through_an_anchor():
    web = SERVICES["web"]
    assert web["build"]["context"] == "."
    for name in APP_SERVICES:
        assert SERVICES[name]["build"] == web["build"], name
        assert SERVICES[name]["image"] == web["image"], name
        assert SERVICES[name]["environment"] == web["environment"], name
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= set(web["environment"])
    # Shared by merging the x-app anchor, not by three copies that can drift apart.
    anchor = re.search(r"^x-app: &(\S+)", COMPOSE_TEXT, re.MULTILINE)
    assert anchor, "x-app must define a YAML anchor"
    for name in APP_SERVICES:
        assert re.search(rf"^  {name}:\n    <<: \*{re.escape(anchor.group(1))}$", COMPOSE_TEXT, re.MULTILINE), name


def test_app_services_reach_postgres_and_redis_by_service_name():
    environment = SERVICES["web"]["environment"]
    assert re.fullmatch(
        r"postgres://scrm:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/scrm", environment["DATABASE_URL"]
    )
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")


def test_each_app_service_runs_its_own_command():
    web = command_of("web")
    assert "manage.py migrate" in web
    assert "gunicorn scrm.wsgi:application" in web
    assert web.index("manage.py migrate") < web.index("gunicorn")
    assert "&&" in web  # gunicorn must not start when migrations fail
    # One worker per queue: a heavy import ("jobs") never delays ingestion ("celery").
    assert SERVICES["worker"]["command"] == ["celery", "-A", "scrm", "worker", "-l", "info", "-Q", "celery"]
    assert command_of("worker-jobs") == "celery -A scrm worker -l info -Q jobs --concurrency 1"
    assert command_of("beat") == "celery -A scrm beat -l info --schedule /tmp/celerybeat-schedule"


@pytest.mark.parametrize(
    ("service", "probe"),
    [
        ("postgres", "pg_isready"),
        ("redis", "redis-cli ping"),
        ("web", "/healthz"),
        ("worker", "celery -A scrm inspect ping"),
        ("worker-jobs", "celery -A scrm inspect ping"),
        ("beat", "scrm.celery"),
    ],
)
def test_every_service_has_a_healthcheck(service, probe):
    assert probe in healthcheck_of(service)


def test_web_healthcheck_needs_no_curl():
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "urllib" in test[3]
    compile(test[3], "<web healthcheck>", "exec")  # a syntax error would mark web unhealthy forever


def test_worker_healthcheck_pings_only_its_own_worker():
    assert "--destination celery@$$HOSTNAME" in healthcheck_of("worker")


def test_processes_start_only_when_what_they_need_is_healthy():
    for name in APP_SERVICES:
        depends_on = SERVICES[name]["depends_on"]
        assert {"postgres", "redis"} <= set(depends_on), name
        assert {dep["condition"] for dep in depends_on.values()} == {"service_healthy"}, name
    # Worker and beat wait for web, which migrates before it answers /healthz.
    assert "web" in SERVICES["worker"]["depends_on"]
    assert "web" in SERVICES["worker-jobs"]["depends_on"]
    assert "web" in SERVICES["beat"]["depends_on"]


def test_no_secret_is_written_in_the_compose_file():
    found = []
    for name, service in SERVICES.items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping, so it can be checked"
        for key, value in environment.items():
            if SECRET_NAME.search(key) and not REQUIRED_INTERPOLATION.fullmatch(str(value)):
                found.append(f"{name}.{key}")
    assert found == []
    assert SERVICES["web"]["environment"]["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
    # Channel secrets are encrypted at rest with a key that compose refuses to start without.
    for name in ("web", "worker", "beat"):
        key = SERVICES[name]["environment"]["FIELD_ENCRYPTION_KEY"]
        assert key == "${FIELD_ENCRYPTION_KEY:?set FIELD_ENCRYPTION_KEY}"
    # No credentials inside a URL but interpolated ones, anywhere in the file.
    assert not re.search(r"://[^:/\s$]+:(?!\$\{)[^@\s]+@", COMPOSE_TEXT)


def test_compose_refuses_to_start_without_the_public_address():
    """Links in emails and satisfaction messages are built from PUBLIC_BASE_URL; a default would point at 127.0.0.1."""
    for name in APP_SERVICES:
        value = SERVICES[name]["environment"]["PUBLIC_BASE_URL"]
        assert REQUIRED_INTERPOLATION.fullmatch(value) and value.startswith("${PUBLIC_BASE_URL:?"), name


def test_env_file_is_optional():
    for name in APP_SERVICES:
        assert SERVICES[name]["env_file"] == [{"path": ".env", "required": False}], name


def test_dockerfile_is_multi_stage_with_a_named_vendor_stage():
    stages = dockerfile_stages()
    froms = [stage[0][1] for stage in stages]
    assert len(stages) >= 3
    assert any(f.startswith("node:") and f.endswith(" AS vendor") for f in froms)
    assert froms[-1].startswith("python:3.11-slim")
    final = stages[-1]
    assert ("COPY", "--from=vendor /src/static/vendor ./static/vendor") in final
    assert any(i == "COPY" and a.startswith("--from=builder /opt/venv") for i, a in final)


def test_dockerfile_runs_as_a_non_root_user():
    users = [args for instruction, args in dockerfile_stages()[-1] if instruction == "USER"]
    assert users, "the runtime stage must switch user"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_collects_static_files_with_a_build_only_secret():
    final = dockerfile_stages()[-1]
    runs = [args for instruction, args in final if instruction == "RUN"]
    assert any("collectstatic --noinput" in run and "SECRET_KEY=" in run for run in runs)
    assert not any(i in {"ENV", "ARG"} and "SECRET_KEY" in a for i, a in final), "the dummy key must not persist"


def test_dockerfile_exposes_gunicorn_and_probes_healthz():
    final = dockerfile_stages()[-1]
    assert ("EXPOSE", "8000") in final
    healthcheck = next(args for instruction, args in final if instruction == "HEALTHCHECK")
    probe = json.loads(healthcheck.partition(" CMD ")[2])
    assert probe[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in probe[2]
    compile(probe[2], "<image healthcheck>", "exec")
    cmd = next(args for instruction, args in final if instruction == "CMD")
    assert cmd.startswith('["gunicorn", "scrm.wsgi:application", "--bind", "0.0.0.0:8000"')


def test_web_workers_are_what_the_benchmarks_measure():
    """The image, compose and bench/ agree on the number of gunicorn workers, so the figures in docs/benchmarks.md are
    those of the serving model we deploy."""
    from bench.server import DEFAULT_WORKERS

    env = next(args for instruction, args in dockerfile_stages()[-1] if instruction == "ENV")
    image = int(re.search(r"\bWEB_CONCURRENCY=(\d+)", env).group(1))
    compose_value = SERVICES["web"]["environment"]["WEB_CONCURRENCY"]
    compose = int(re.fullmatch(r"\$\{WEB_CONCURRENCY:-(\d+)\}", compose_value).group(1))
    assert image == compose == DEFAULT_WORKERS


def test_collectstatic_builds_the_hashed_static_files_production_serves(tmp_path):
    """The image runs collectstatic with DEBUG off: a vendor file pointing at a missing one must fail here first."""
    import os
    import subprocess
    import sys

    if not (ROOT / "static" / "vendor" / "bootstrap").exists():
        pytest.skip("static/vendor is filled by `make install` (npm ci + scripts/vendor.mjs)")
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DEBUG": "False", "SECRET_KEY": "collectstatic-test-only", "STATIC_ROOT": str(tmp_path),
                "PUBLIC_BASE_URL": "https://build.invalid"})
    result = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()

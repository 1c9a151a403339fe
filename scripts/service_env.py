"""Print `export` lines choosing the database and broker for `make test`.

DATABASE_URL / REDIS_URL from the environment win. Otherwise the local PostgreSQL (127.0.0.1:5432, user postgres)
and Redis (127.0.0.1:6379) are used when they answer; only when neither answers do the tests fall back to SQLite
and the in-process broker, with a warning on stderr.
"""

import os
import shlex
import socket
import sys

LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scrm"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def answers(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def main():
    chosen = {}
    if not os.environ.get("DATABASE_URL") and answers("127.0.0.1", 5432):
        chosen["DATABASE_URL"] = LOCAL_DATABASE_URL
    if not os.environ.get("REDIS_URL") and answers("127.0.0.1", 6379):
        chosen["REDIS_URL"] = LOCAL_REDIS_URL
    database = os.environ.get("DATABASE_URL") or chosen.get("DATABASE_URL")
    redis = os.environ.get("REDIS_URL") or chosen.get("REDIS_URL")
    if not database:
        print("WARNING: no PostgreSQL answers; tests run on SQLite and skip what needs PostgreSQL.", file=sys.stderr)
    if not redis:
        print("WARNING: no Redis answers; tests use the filesystem broker and skip what needs Redis.", file=sys.stderr)
    for key, value in chosen.items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()

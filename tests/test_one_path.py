"""One code path: the product runs on PostgreSQL and a Redis-protocol broker everywhere, so nothing in it may branch
on the database vendor or mention SQLite (what a newcomer runs is what production runs)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = re.compile(r"connection\.vendor|\bvendor\s*==\s*['\"]|sqlite|filesystem://", re.IGNORECASE)
CONFIG_FILES = {"Makefile", "Dockerfile", "docker-compose.yml", ".env.example", "pyproject.toml", "Procfile.dev",
                ".dockerignore", ".gitignore"}


def _product_files():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,  # noqa: S603, S607
                             check=True).stdout.splitlines()
    for name in tracked:
        path = Path(name)
        if path.parts[0] == "tests":
            continue
        if path.suffix in {".py", ".html", ".sh", ".mjs", ".js"} or name in CONFIG_FILES:
            yield path


def test_no_vendor_branch_and_no_sqlite_in_the_product():
    found = []
    for path in _product_files():
        for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path}:{number}: {line.strip()}")
    assert found == []

"""Statement import: a WeChat Pay trade bill of --lines lines (default 1,000,000) written, then imported through
the product's service and job (streamed to storage, parsed, COPY in one transaction), timed and its peak memory
reported. The import phase of the `reconcile` scenario (bench/statements.py), alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench statement_import

The organization is a fresh one per run and is deleted at the end (unless --keep).
"""

import os
import secrets
import tempfile
import time
from datetime import date
from pathlib import Path

TINY = ("--lines", "500")


def add_arguments(parser):
    parser.add_argument("--lines", type=int, default=1_000_000, help="payments in the bill")
    parser.add_argument("--keep", action="store_true", help="keep the organization and its data afterwards")


def run(args):
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    from bench.django_setup import organization_delete, setup_django

    setup_django()
    from bench.statements import statement_file_write, statement_import_phase
    from scrm.platform.tenancy import platform_scope
    from scrm.services import organization_create

    with platform_scope():
        organization = organization_create(slug=f"bench-statements-{time.time_ns()}", name="对账单基准")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "wechatpay.csv"
            written = statement_file_write(path, lines=args.lines, day=date(2026, 11, 30))
            figures = statement_import_phase(organization=organization, path=path)
        figures.pop("import_id")
        return {"lines_asked": args.lines, "file_mib": round(written["bytes"] / 2**20, 1),
                "write_s": written["write_s"], **figures,
                "lines_per_s": round(figures["lines"] / figures["read_s"]) if figures["read_s"] else None}
    finally:
        if not args.keep:
            with platform_scope():
                organization_delete(organization)

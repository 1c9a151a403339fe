"""The IMPORT phase of the reconciliation benchmarks, as functions a scenario calls (bench/scenarios/reconcile.py
calls them; bench/scenarios/statement_import.py times them alone):

    entry = bench_entry(n, day)                          # the n-th payment of a bill: the same for both sides
    written = statement_file_write(path, lines=1_000_000, day=day, entries=None)   # {"bytes", "write_s"}
    figures = statement_import_phase(organization=org, path=path, channel_code="wechatpay")

`bench_entry(n, day)` is what the ledger side builds its orders from (order number `BN<n:08d>`, transaction id,
amount and time), so the orders and the bill agree unless a scenario makes them differ; a scenario seeding
discrepancies passes its own `entries` (an iterable of demo.statement_files.Entry) instead.

`statement_import_phase` runs the import through the product's service (`statement_import`: streamed to storage,
sha256) and its job (`statement_import_run`: parse, COPY in one transaction) in this process, as a worker would,
and returns {"import_s", "upload_s", "read_s", "lines", "import_id", "status", "peak_rss_mib"}. Peak memory is the
process's (ru_maxrss): streaming keeps it flat whatever the file's size.
"""

import resource
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def bench_entry(n, day):
    """The n-th payment of the day's bill (spread over the day, amounts 1.00 to 9,999.99 yuan)."""
    from demo.statement_files import Entry

    start = datetime(day.year, day.month, day.day, tzinfo=CHINA)
    return Entry(order_number=f"BN{n:08d}", transaction_id=f"4200{day:%Y%m%d}{n:013d}",
                 amount=Decimal(100 + (n * 7919) % 999_900) / 100, at=start + timedelta(seconds=(n * 7) % 86_400),
                 product="星河商品")


def statement_file_write(path, *, lines, day, entries=None):
    """Write a WeChat Pay trade bill (current layout) of `lines` rows to `path`, streamed."""
    from demo.statement_files import wechatpay_bill_write

    started = time.perf_counter()
    rows = entries if entries is not None else (bench_entry(n, day) for n in range(lines))
    with open(path, "wb", buffering=1024 * 1024) as out:
        wechatpay_bill_write(out, rows)
        size = out.tell()
    return {"bytes": size, "write_s": round(time.perf_counter() - started, 2)}


def _peak_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def statement_import_phase(*, organization, path, channel_code="wechatpay", user=None):
    from scrm.platform.tenancy import tenant_scope
    from settlement.models import PaymentChannel, StatementImport
    from settlement.statements.services import payment_channels_ensure, statement_import, statement_import_run

    started = time.perf_counter()
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        channel = PaymentChannel.objects.get(code=channel_code)
        with open(path, "rb") as handle:
            row = statement_import(organization=organization, channel=channel, file=handle, user=user,
                                   source=StatementImport.Source.COMMAND)
        uploaded = time.perf_counter()
        row = statement_import_run(import_id=row.pk)
    finished = time.perf_counter()
    return {"import_s": round(finished - started, 2), "upload_s": round(uploaded - started, 2),
            "read_s": round(finished - uploaded, 2), "lines": row.line_count, "import_id": row.pk,
            "status": row.status, "errors": row.errors, "peak_rss_mib": _peak_mib()}

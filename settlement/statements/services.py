"""Statement import: store a channel's statement file once, read it in the background into `StatementLine`s.

    statement_import (request, command, API, folder) ──► statement_import_run (a job of the outbox, jobs queue)

- `statement_import` streams the file to storage while hashing it (constant memory whatever its size), and inserts
  the `StatementImport`; the unique (organization, sha256) constraint, not a look-up before, decides that the same
  file is imported once: a second upload is refused with a link to the first import (a failed import does not
  count: its file can be uploaded again once fixed). The reading is queued in the same transaction.
- `statement_import_run` parses the file with the channel's parser and writes its lines with PostgreSQL COPY, all
  in ONE transaction: a file refused at its last line (its summary does not add up) leaves no line behind. The
  progress (bytes read) goes to the shared cache while the transaction runs (nobody could read an uncommitted
  row), and to `bytes_read` when it is over.

Totals: `gross_total` is payments minus refunds and `fee_total` the fees charged minus the fees returned, as the
channels state them in their own summaries; the period is the first and last statement day of the lines.
"""

import hashlib
import logging
import os
import tempfile
import time
from decimal import Decimal

from django.core.cache import cache
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from scrm.platform import outbox
from scrm.platform.redaction import redact
from settlement.models import PaymentChannel, StatementImport, StatementLine
from settlement.statements.alipay import AlipayParser
from settlement.statements.copying import COLUMNS, Tally
from settlement.statements.mapped import UNIONPAY_MAPPING, MappedParser
from settlement.statements.messages import StatementRefused
from settlement.statements.wechatpay import WeChatPayParser

logger = logging.getLogger(__name__)

STATEMENT_KIND = "statement_import"  # the outbox kind (registered by settlement.statements.jobs)
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
PROGRESS_EVERY = 0.5  # seconds between two progress reports
PROGRESS_TIMEOUT = 6 * 3600
MAX_STORED_ERRORS = 20
CHUNK = 1024 * 1024
# A statement this large changes the lines table's statistics enough to matter to the reconciliation's plans that
# usually follow at once (autovacuum's own ANALYZE comes when it comes): the import analyzes the table itself. It
# samples a fixed number of rows, about a second whatever the table's size.
ANALYZE_FROM_LINES = 10_000

PARSERS = {
    PaymentChannel.Layout.WECHATPAY: WeChatPayParser,
    PaymentChannel.Layout.ALIPAY: AlipayParser,
    PaymentChannel.Layout.MAPPED: MappedParser,
}

# Every organization starts with these (codes as written); more are added on the channel settings page.
DEFAULT_CHANNELS = (
    {"code": "wechatpay", "name": "微信支付", "layout": PaymentChannel.Layout.WECHATPAY,
     "expected_fee_rate": Decimal("0.006")},
    {"code": "alipay", "name": "支付宝", "layout": PaymentChannel.Layout.ALIPAY,
     "expected_fee_rate": Decimal("0.006")},
    {"code": "unionpay", "name": "银联", "layout": PaymentChannel.Layout.MAPPED, "mapping": UNIONPAY_MAPPING,
     "expected_fee_rate": Decimal("0.0038")},
)


def payment_channels_ensure(*, organization):
    """Give the organization the default channels it lacks (idempotent; the unique code decides, so a channel
    renamed or reconfigured by finance is left as it is). Runs for every new organization (onboarding)."""
    PaymentChannel.objects.bulk_create(
        [PaymentChannel(organization=organization, **defaults) for defaults in DEFAULT_CHANNELS],
        ignore_conflicts=True)


def parser_for(channel, stream, *, size=0, mapping=None):
    if channel.layout == PaymentChannel.Layout.MAPPED:
        return MappedParser(stream, channel=channel, size=size, mapping=mapping)
    return PARSERS[channel.layout](stream, channel=channel, size=size)


def _chunks(file):
    if hasattr(file, "chunks"):
        yield from file.chunks(CHUNK)
        return
    while chunk := file.read(CHUNK):
        yield chunk


def statement_import(*, organization, channel, file, user=None, source=StatementImport.Source.UPLOAD,
                     file_name=None):
    """Store a statement file of `channel` and queue its reading; returns the `StatementImport`.

    Refused (StatementRefused, nothing stored) when the file is empty, too large, the channel is switched off or
    its mapping incomplete, or the same file was imported already (`first_import` on the error)."""
    if channel.organization_id != organization.pk:
        raise ValueError("the channel belongs to another organization")
    if not channel.active:
        raise StatementRefused("channel_inactive", channel=channel.name)
    name = os.path.basename(file_name or getattr(file, "name", "") or "statement.csv")[:255]
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        for chunk in _chunks(file):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise StatementRefused("too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
            digest.update(chunk)
            spool.write(chunk)
        if not size:
            raise StatementRefused("empty")
        spool.seek(0)
        row = StatementImport(organization=organization, channel=channel, file_name=name,
                              file_sha256=digest.hexdigest(), file_size=size, source=source, created_by=user)
        # In storage before its row exists (a worker must find it); deleted again if the row is never committed.
        row.file.save(name, File(spool), save=False)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            outbox.enqueue(STATEMENT_KIND, row)
    except IntegrityError:
        row.file.storage.delete(row.file.name)
        first = (StatementImport.objects.filter(organization=organization, file_sha256=row.file_sha256)
                 .exclude(status=StatementImport.Status.FAILED).order_by("pk").first())
        if first is None:  # the first one failed meanwhile: the constraint no longer holds it
            raise
        error = StatementRefused("duplicate", first=first.pk, first_name=first.file_name)
        error.first_import = first
        raise error from None
    except BaseException:
        row.file.storage.delete(row.file.name)
        raise
    logger.info("statement uploaded", extra={"statement": row.pk, "size": size, "channel": channel.code})
    return row


# --- the job ---------------------------------------------------------------------------------------------------------

def _progress_key(row):
    return f"settlement:statement-import:{row.organization_id}:{row.pk}:bytes"


def statement_import_progress(row):
    """Bytes read of the file, its size and the percentage, for the progress bar."""
    done = row.file_size if row.status == StatementImport.Status.IMPORTED else max(
        row.bytes_read, int(cache.get(_progress_key(row)) or 0))
    total = row.file_size or 0
    percent = min(100, done * 100 // total) if total else 0
    return {"done": done, "total": total, "percent": percent, "step": percent - percent % 5}


def _lock(import_id):
    return StatementImport.objects.select_for_update().select_related("channel").get(pk=import_id)


class _CopySource:
    """A file-like object COPY reads from: the parser's lines as COPY rows (`StatementParser.copy_rows`), produced
    as COPY asks for them (constant memory), counted by a `Tally` on the way."""

    def __init__(self, row, parser, report):
        self.parser, self.report = parser, report
        self.tally = Tally(f"{row.organization_id}\t{row.pk}\t{row.channel_id}\t")
        self.rows = parser.copy_rows(self.tally)
        self.error = None  # what the parser raised: COPY reports it as its own error, the caller re-raises it

    def read(self, size=65536):
        try:
            return self._read(size)
        except BaseException as error:
            self.error = error
            raise

    def _read(self, size):
        parts, length, rows = [], 0, self.rows
        while length < size:
            text = next(rows, None)
            if text is None:
                break
            parts.append(text)
            length += len(text)
        if parts:
            self.report(self.parser.bytes_read())
        return "".join(parts)

    readline = read


def _copy_lines(row, parser, report):
    source = _CopySource(row, parser, report)
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"  # noqa: S608 - our names only
    with connection.cursor() as cursor:
        # Django's wrapper holds psycopg's cursor: COPY reads the lines straight from the parser.
        try:
            cursor.cursor.copy_expert(sql, source, size=256 * 1024)
        except (DatabaseError, connection.Database.Error):
            if source.error is not None:
                raise source.error from None
            raise
    return source


def statement_import_run(*, import_id):
    """Read a queued statement into its lines, in one transaction (all or nothing), and record its figures; a file
    that cannot be imported whole is recorded `failed` with the reason and its line, and no line is kept.
    Idempotent: an import already read or refused is left as it is."""
    with transaction.atomic():
        row = _lock(import_id)
        if row.status not in {StatementImport.Status.QUEUED, StatementImport.Status.PARSING}:
            return row
        if row.status != StatementImport.Status.PARSING:
            row.status = StatementImport.Status.PARSING
            row.save(update_fields=["status"])
    key = _progress_key(row)
    last = [0.0]

    def report(done):
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            cache.set(key, done, PROGRESS_TIMEOUT)

    try:
        with transaction.atomic():
            row = _lock(import_id)
            if row.status != StatementImport.Status.PARSING:
                return row
            with row.file.open("rb") as stream:
                parser = parser_for(row.channel, stream, size=row.file_size)
                source = _copy_lines(row, parser, report)
            tally = source.tally
            if not tally.lines:
                raise StatementRefused("no_lines")
            row.status, row.layout = StatementImport.Status.IMPORTED, parser.layout
            row.line_count, row.payment_count, row.refund_count = tally.lines, tally.payments, tally.refunds
            row.gross_total, row.fee_total = tally.gross, tally.fee
            row.period_start, row.period_end = tally.first_day, tally.last_day
            row.bytes_read, row.errors, row.finished_at = row.file_size, [], timezone.now()
            row.save(update_fields=["status", "layout", "line_count", "payment_count", "refund_count", "gross_total",
                                    "fee_total", "period_start", "period_end", "bytes_read", "errors",
                                    "finished_at"])
    except StatementRefused as refused:
        return _fail(import_id, [refused.as_error()], layout=getattr(locals().get("parser"), "layout", ""))
    except Exception as error:
        # Not a bad file: a bug, the database gone, the time limit. Recorded (redacted) and re-raised for the log.
        _fail(import_id, [StatementRefused("failed").as_error()], detail=str(error).strip())
        raise
    finally:
        cache.delete(key)
    if row.line_count >= ANALYZE_FROM_LINES:
        _analyze_lines()
    logger.info("statement imported", extra={"statement": row.pk, "lines": row.line_count, "layout": row.layout})
    return row


def _analyze_lines():
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(StatementLine._meta.db_table)}")  # our name only


def _fail(import_id, errors, *, detail="", layout=""):
    with transaction.atomic():
        row = _lock(import_id)
        row.status, row.errors, row.finished_at = StatementImport.Status.FAILED, errors[:MAX_STORED_ERRORS], \
            timezone.now()
        row.layout = layout or row.layout
        row.failure_detail = redact(detail, organization_id=row.organization_id)
        row.line_count = row.payment_count = row.refund_count = 0
        row.save(update_fields=["status", "errors", "finished_at", "failure_detail", "layout", "line_count",
                                "payment_count", "refund_count"])
    logger.info("statement refused", extra={"statement": import_id, "errors": errors[:1]})
    return row


def statement_mapping_try(*, channel, mapping, file, limit=10):
    """The first lines a mapping reads from a sample file (nothing stored): (lines, refusal or None)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)
    size = 0
    for chunk in _chunks(file):
        size += len(chunk)
        if size > 64 * CHUNK:
            break
        spool.write(chunk)
    spool.seek(0)
    lines = []
    try:
        for line in parser_for(channel, spool, size=size, mapping=mapping):
            lines.append(line)
            if len(lines) >= limit:
                break
    except StatementRefused as refused:
        return lines, refused
    return lines, None

"""Payment channels, their statements and the reconciliation of those statements against the orders ledger.

A statement file is imported once (its sha256 decides) into `StatementLine`s; a `ReconciliationRun` matches a
channel's lines of a period against the ledger in set-based SQL and records every line's class, order or refund and
the keys that matched in a narrow row of its own (`StatementLineMatch`, the line's `match`); what does not match
becomes a `Discrepancy`, the row finance works. A discrepancy is
keyed by what it is about (`key`), so a re-run after new data updates it instead of adding another, and every human
decision on it (`DiscrepancyAction`, append-only) survives re-runs.

Imported by settlement.models (Django finds the models there); foreign keys to the ledger are by name.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from scrm.models.imports import JOB_STATES, job_state_field
from scrm.platform.outbox import OutboxModel, due_index
from scrm.platform.tenancy import TenantModel

MONEY = {"max_digits": 18, "decimal_places": 2}
# Fees on WeChat Pay bills carry five decimals; the rate is a fraction (0.006 for 0.60%).
FEE = {"max_digits": 20, "decimal_places": 5}
RATE = {"max_digits": 7, "decimal_places": 5}


class PaymentChannel(TenantModel):
    """A channel money arrives through (WeChat Pay, Alipay, UnionPay, a POS acquirer, a bank account...).

    `layout` names the parser of its statements; a `mapped` channel describes its own CSV/XLSX in `mapping`:
    {"columns": {"transaction_id": title, "order_number": title, "type": title, "amount": title, "fee": title,
    "time": title, "refund_number": title}, "refund_values": [...], "date_format": "%Y-%m-%d %H:%M:%S",
    "decimal_comma": false, "encoding": "utf-8", "header_row": 1}.
    The tolerances are what the matching accepts as equal; `expected_fee_rate` is what the contract says."""

    class Layout(models.TextChoices):
        WECHATPAY = "wechatpay", _("WeChat Pay trade bill")
        ALIPAY = "alipay", _("Alipay bill")
        MAPPED = "mapped", _("CSV/Excel with a column mapping")

    code = models.SlugField(_("code"), max_length=32, db_index=False)
    name = models.CharField(_("name"), max_length=100)
    layout = models.CharField(_("statement layout"), max_length=16, choices=Layout.choices, default=Layout.MAPPED)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    expected_fee_rate = models.DecimalField(_("expected fee rate"), null=True, blank=True, **RATE,
                                            help_text=_("As a fraction: 0.006 for 0.6%."))
    amount_tolerance = models.DecimalField(_("amount tolerance"), default=0, **MONEY)
    fee_tolerance = models.DecimalField(_("fee tolerance"), default="0.01", **MONEY)
    timing_window_minutes = models.PositiveIntegerField(
        _("timing window (minutes)"), default=30,
        help_text=_("A payment this close to midnight may be in the next day's statement."))
    write_off_limit = models.DecimalField(
        _("write-off limit"), default=100, **MONEY,
        help_text=_("Writing off a larger difference needs a second approver."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment channel")
        verbose_name_plural = _("payment channels")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="paymentchannel_org_code_uniq"),
        ]

    def __str__(self):
        return self.name


def statement_file_path(instance, filename):
    """statements/<organization>/<random>.<ext>: never the uploader's file name."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if ext not in {"csv", "xlsx", "zip", "txt"}:
        ext = "bin"
    return f"statements/{instance.organization_id}/{uuid.uuid4().hex}.{ext}"


class StatementImport(OutboxModel, TenantModel):
    """One statement file of a channel and what became of it. Parsing it is a job of the outbox (jobs queue); the
    file is kept in storage. The same file (sha256) is imported once per organization unless its import failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be read")
        PARSING = "parsing", _("Reading")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Refused")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded")
        FOLDER = "folder", _("Picked up from the folder")
        COMMAND = "command", _("Command line")
        API = "api", _("API")

    channel = models.ForeignKey(PaymentChannel, on_delete=models.PROTECT, related_name="imports",
                                verbose_name=_("channel"))
    file = models.FileField(_("file"), upload_to=statement_file_path, max_length=255, blank=True, editable=False)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.UPLOAD)
    layout = models.CharField(_("layout found"), max_length=32, blank=True,
                              help_text=_("e.g. the current or the legacy WeChat Pay layout."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    job_state = job_state_field()
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    # Progress while parsing: bytes read of `file_size`; the page shows it as a bar.
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    refund_count = models.PositiveIntegerField(_("refunds"), default=0)
    gross_total = models.DecimalField(_("gross total"), default=0, **MONEY)
    fee_total = models.DecimalField(_("fee total"), default=0, **FEE)
    # [{"line": 12, "code": "bad_amount", "params": {...}}, ...] (the first ones; rendered in the reader's language).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    failure_detail = models.TextField(_("failure detail"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("imported by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "file_sha256"], name="stmtimport_org_sha_uniq",
                                    condition=~models.Q(status="failed")),
        ]
        indexes = [
            models.Index(fields=["organization", "channel", "-created_at"], name="stmtimport_channel_idx"),
            due_index("stmtimport_due_idx", JOB_STATES, field="job_state"),
        ]

    def __str__(self):
        return self.file_name

    @property
    def in_progress(self):
        return self.status in {self.Status.QUEUED, self.Status.PARSING}


class MatchClass(models.TextChoices):
    """What a reconciliation found about one statement line or one ledger entry."""

    MATCHED = "matched", _("Matched")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount mismatch")
    FEE_MISMATCH = "fee_mismatch", _("Fee mismatch")
    MISSING_IN_LEDGER = "missing_in_ledger", _("Not in the ledger")
    MISSING_IN_CHANNEL = "missing_in_channel", _("Not paid through the channel")
    DUPLICATE = "duplicate", _("Duplicate in the channel")
    REFUND_MISMATCH = "refund_mismatch", _("Refund mismatch")
    TIMING = "timing", _("Timing (expected in another statement)")


class RefundDuplicateKey(models.Func):
    """The key under which two refund lines are the same refund twice: its merchant refund number, else the channel's
    refund id, else the line itself. Written as settlement.reconciliation.matching's `_REFUND_KEY` (an index
    expression is used only by a query that writes it the same way)."""

    output_field = models.TextField()

    def __init__(self):
        super().__init__(F("refund_number"), F("channel_refund_id"), F("id"))

    def as_sql(self, compiler, connection, **extra_context):
        (number, p1), (refund_id, p2), (pk, p3) = (compiler.compile(part) for part in self.get_source_expressions())
        return (f"COALESCE(NULLIF({number}, ''), 'rtxn:' || NULLIF({refund_id}, ''), 'line:' || ({pk})::text)",
                [*p1, *p2, *p3])


class StatementLine(TenantModel):
    """One payment or refund as the channel reported it. `raw` keeps the row as it was in the file. What the latest
    reconciliation run covering the line found is its `match` (`StatementLineMatch`), a row of its own: the import
    writes a line once and no run rewrites it.

    A bulk table: a statement brings up to millions of lines in one COPY. Its foreign keys are therefore relations
    for Django only (`db_constraint=False`), not checked by PostgreSQL row by row: the deferred checks cost more than
    the COPY itself (4.3 s for 100,000 lines against 0.4 s for the bare COPY, docs/benchmarks.md). Nothing else
    writes these columns, and what it writes exists: the import takes organization, statement and channel from its
    locked `StatementImport`. Deletes stay Django's (CASCADE, PROTECT are the collector's work either way). Indexes:
    only those a query reads (see Meta)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    organization = models.ForeignKey("scrm.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organization"), db_index=False, db_constraint=False)
    statement = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("statement"), db_index=False, db_constraint=False)
    channel = models.ForeignKey(PaymentChannel, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("channel"), db_index=False, db_constraint=False)
    line_number = models.PositiveIntegerField(_("line"))
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    transaction_id = models.CharField(_("channel transaction id"), max_length=64, blank=True)
    order_number = models.CharField(_("merchant order number"), max_length=64, blank=True)
    refund_number = models.CharField(_("merchant refund number"), max_length=64, blank=True)
    channel_refund_id = models.CharField(_("channel refund id"), max_length=64, blank=True)
    # Refunds are stored positive, the kind says the direction.
    gross_amount = models.DecimalField(_("amount"), **MONEY)
    fee = models.DecimalField(_("fee"), default=0, **FEE)
    net_amount = models.DecimalField(_("net"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    occurred_at = models.DateTimeField(_("time"))
    bill_date = models.DateField(_("statement day"))
    raw = models.TextField(_("row as in the file"), blank=True)
    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        indexes = [
            models.Index(fields=["organization", "channel", "bill_date"], name="stmtline_channel_day_idx"),
            models.Index(fields=["organization", "channel", "order_number"], name="stmtline_order_idx"),
            models.Index(fields=["organization", "channel", "transaction_id"], name="stmtline_txn_idx"),
            models.Index(fields=["organization", "statement", "line_number"], name="stmtline_statement_idx"),
            # A refund's duplicate key (the reconciliation's lookback looks keys up here, docs/reconciliation.md
            # "Duplicates"); refunds only: a few in a hundred lines, next to nothing on the import.
            models.Index(F("organization"), F("channel"), RefundDuplicateKey(), name="stmtline_refund_key_idx",
                         condition=models.Q(kind="refund")),
        ]

    def __str__(self):
        return self.transaction_id or self.order_number


class ReconciliationRun(OutboxModel, TenantModel):
    """The reconciliation of one channel over a period (usually a day). Re-running the period updates this run;
    `summary` holds its figures: {"matched": {"count": n, "amount": "0.00"}, ... , "statement_total": "0.00",
    "ledger_total": "0.00"}, the same object `manage.py reconcile` prints. `tolerances` are the ones it used."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Matching")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(PaymentChannel, on_delete=models.PROTECT, related_name="runs",
                                verbose_name=_("channel"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    job_state = job_state_field()
    tolerances = models.JSONField(_("tolerances used"), default=dict, blank=True)
    summary = models.JSONField(_("figures"), default=dict, blank=True)
    # What the summary object has no key for: timing (count, amount), fees charged and expected, line and ledger
    # counts, the match rate.
    figures = models.JSONField(_("more figures"), default=dict, blank=True)
    failure_detail = models.TextField(_("failure detail"), blank=True)
    run_count = models.PositiveIntegerField(_("times run"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-period_start", "channel", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "period_start", "period_end"],
                                    name="reconrun_channel_period_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "-period_start"], name="reconrun_period_idx"),
            due_index("reconrun_due_idx", JOB_STATES, field="job_state"),
        ]

    def __str__(self):
        return f"{self.channel} {self.period_start}"


class ReconciliationRunEvent(TenantModel):
    """Append-only: what people did with a run's results that its row does not say, with who and when; today the
    downloads of its day's report workbook (who took which day's figures out of the product), as a partner
    statement's history records its exports."""

    class Action(models.TextChoices):
        EXPORTED = "exported", _("Exported")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="events",
                            verbose_name=_("reconciliation run"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation run event")
        verbose_name_plural = _("reconciliation run events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["organization", "run", "at"], name="reconrunevent_idx")]


class StatementLineMatch(TenantModel):
    """What the latest reconciliation run covering a statement line found about it: its class, the order or refund
    it matched and by which keys. One row per line, written by the runs only (one `INSERT ... ON CONFLICT` per run
    that skips the rows it would not change), kept apart from the line so that a run never rewrites the wide lines
    table (each line ~700 bytes with its raw row and reason, seven indexes then: updating every line was 45 % of a
    1,000,000-line run; the results' insert takes ~5 s of it now, docs/benchmarks.md).

    Why it matched: `reason` is stored for a line that did not match (the same object its discrepancy carries: both
    amounts, the tolerance applied, the duplicate's first statement day...). A matched line's reason is not stored:
    `why` derives it from the keys that matched (`matched_by`), the line, the ledger entry and the run's tolerances,
    the same object the matching would have built (docs/reconciliation.md, "Reasons").

    Its foreign keys are Django relations without database constraints (`db_constraint=False`), as the lines': the
    run writes them from a join in its own transaction, and deletes are the Django collector's work. No index by
    run: a run is deleted only with its organization (its discrepancies protect it), and one more index of every
    line is what the narrow table is there to avoid."""

    line = models.OneToOneField(StatementLine, on_delete=models.CASCADE, primary_key=True, related_name="match",
                                verbose_name=_("statement line"), db_constraint=False)
    organization = models.ForeignKey("scrm.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organization"), db_index=False, db_constraint=False)
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                            verbose_name=_("reconciliation run"), db_index=False, db_constraint=False)
    match_class = models.CharField(_("result"), max_length=24, choices=MatchClass.choices)
    order = models.ForeignKey("settlement.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("order"), db_index=False, db_constraint=False)
    refund = models.ForeignKey("settlement.Refund", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("refund"), db_index=False, db_constraint=False)
    # The keys that found the ledger entry, joined by "+": order_number, transaction_id, refund_number,
    # order_number+amount; empty when nothing was found.
    matched_by = models.CharField(_("matched by"), max_length=32, blank=True)
    reason = models.JSONField(_("why"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement line result")
        verbose_name_plural = _("statement line results")
        indexes = [
            # Partial: the partner settlement (`reconciled_payment_lines()` by order) and Django's SET_NULL when an
            # order or refund is deleted read them.
            models.Index(fields=["organization", "order"], name="stmtmatch_order_idx",
                         condition=models.Q(order__isnull=False)),
            models.Index(fields=["organization", "refund"], name="stmtmatch_refund_idx",
                         condition=models.Q(refund__isnull=False)),
        ]

    def __str__(self):
        return f"{self.line_id} {self.match_class}"

    @property
    def keys(self):
        return self.matched_by.split("+") if self.matched_by else []

    @property
    def why(self):
        """The reason of this line's class: stored for a line that did not match, derived for one that did."""
        if self.reason is not None:
            return self.reason
        from settlement.reconciliation.matching import matched_reason

        return matched_reason(self)


class Discrepancy(TenantModel):
    """Something the statement and the ledger disagree on, with both sides and the difference. `key` says what it
    is about ("order:<number>", "refund:<number>", "txn:<channel transaction id>"), unique per channel, so re-runs
    update the row; a discrepancy that a later run finds matched (a timing difference that cleared, a ledger
    corrected) becomes `cleared` by the run, never deleted."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        WRITE_OFF_REQUESTED = "write_off_requested", _("Write-off awaiting approval")
        WRITTEN_OFF = "written_off", _("Written off")
        CLEARED = "cleared", _("Cleared by a later statement")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="discrepancies",
                            verbose_name=_("reconciliation run"))
    channel = models.ForeignKey(PaymentChannel, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("channel"))
    key = models.CharField(_("about"), max_length=100)
    kind = models.CharField(_("class"), max_length=24, choices=MatchClass.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.OPEN)
    bill_date = models.DateField(_("statement day"))
    store = models.ForeignKey("settlement.Store", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("store"))
    order = models.ForeignKey("settlement.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="discrepancies", verbose_name=_("order"))
    refund = models.ForeignKey("settlement.Refund", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("refund"))
    statement_line = models.ForeignKey(StatementLine, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("statement line"))
    order_number = models.CharField(_("merchant order number"), max_length=64, blank=True)
    transaction_id = models.CharField(_("channel transaction id"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    statement_amount = models.DecimalField(_("amount in the statement"), null=True, blank=True, **MONEY)
    ledger_amount = models.DecimalField(_("amount in the ledger"), null=True, blank=True, **MONEY)
    difference = models.DecimalField(_("difference"), default=0, **MONEY)
    statement_fee = models.DecimalField(_("fee charged"), null=True, blank=True, **FEE)
    expected_fee = models.DecimalField(_("fee expected"), null=True, blank=True, **FEE)
    reason = models.JSONField(_("why"), default=dict, blank=True)
    resolution_code = models.CharField(_("resolution"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    first_seen_at = models.DateTimeField(_("first found"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last found"), auto_now=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["-bill_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "key"], name="discrepancy_channel_key_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-bill_date"], name="discrepancy_status_idx"),
            models.Index(fields=["organization", "run", "kind"], name="discrepancy_run_kind_idx"),
            models.Index(fields=["organization", "order"], name="discrepancy_order_idx"),
        ]

    def __str__(self):
        return self.key


class DiscrepancyAction(TenantModel):
    """Append-only: every human (or run) decision on a discrepancy: annotate, resolve, request or approve a
    write-off, open a ticket, reopen, cleared by a run."""

    class Action(models.TextChoices):
        ANNOTATE = "annotate", _("Note added")
        RESOLVE = "resolve", _("Resolved")
        WRITE_OFF_REQUEST = "write_off_request", _("Write-off requested")
        WRITE_OFF_APPROVE = "write_off_approve", _("Write-off approved")
        WRITE_OFF_REJECT = "write_off_reject", _("Write-off rejected")
        OPEN_TICKET = "open_ticket", _("Ticket opened")
        REOPEN = "reopen", _("Reopened")
        CLEARED = "cleared", _("Cleared by a run")

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="actions",
                                    verbose_name=_("discrepancy"))
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    code = models.CharField(_("reason code"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("discrepancy action")
        verbose_name_plural = _("discrepancy actions")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["organization", "discrepancy", "at"], name="discrepancyaction_idx")]

"""Customer export: the customers of a list filter, a segment or a selection, as CSV (streamed) or Excel.

Up to SYNC_EXPORT_ROWS customers the file is made within the request (CSV streamed); beyond, a worker produces it
(`customer_export_start` → `customer_export_run`) and the user downloads it from the export's page: a request must
not hold a web worker for the half minute a hundred thousand rows of Excel take.

Personal data is masked (138****5678, 张**) unless the user may see it; when it is not masked, every exported
customer's reveal is recorded (PiiReveal, fields "mobile,real_name"), one row per customer, written chunk by chunk as
the file is produced. Text that a spreadsheet would run as a formula is neutralised. Times are in Asia/Shanghai.

An export imports back (scrm.customers.imports): its titles are the import's, with notes and every channel identity,
so export → edit → import updates the same customers. A masked export does not: the import refuses each row that
holds a masked mobile or name (138****5678, 张**), so masked values never overwrite or fill real data.

Only users holding EXPORT_PERMISSION export in bulk (page and API alike).
"""

import csv
import logging
import re
import tempfile
from collections import defaultdict
from functools import partial
from itertools import islice
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from scrm.customers.filters import CustomerFilter
from scrm.customers.phones import mask_mobile, mask_name, national_mobile
from scrm.errors import ScrmError
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerExport,
    CustomerTag,
    PiiReveal,
    Region,
    Tag,
    User,
)
from scrm.platform import outbox
from scrm.platform.access import user_revealable_fields
from scrm.platform.redaction import redact
from scrm.platform.tenancy import tenant_scope
from scrm.selectors import customer_visible_q
from scrm.text import xlsx_text

__all__ = [
    "EXPORT_PERMISSION", "SYNC_EXPORT_ROWS", "XLSX_MAX_ROWS", "customer_export_open", "customer_export_csv",
    "customer_export_filename",
    "customer_export_get", "customer_export_progress", "customer_export_queryset", "customer_export_reveals",
    "customer_export_run", "customer_export_start", "customer_export_xlsx", "export_mobile", "neutralise",
]

logger = logging.getLogger(__name__)

# Who may export customers in bulk, on the export page and through GET /api/v1/customers/export/: the preset ops
# admins and supervisors, and a custom role that grants it. Agents and viewers may not (they look customers up one
# by one).
EXPORT_PERMISSION = "scrm.export_customer"

XLSX_MAX_ROWS = 100_000
SYNC_EXPORT_ROWS = 20_000
CHUNK_ROWS = 2000
PROGRESS_TIMEOUT = 6 * 3600
SHANGHAI = ZoneInfo("Asia/Shanghai")
REVEALED_FIELDS = "mobile,real_name"

MSG_BAD_FILTER = _("The filter of this export is not valid. Go back to the customer list and filter again.")
MSG_XLSX_TOO_MANY = _("An Excel export holds at most %(limit)s customers and this one has %(count)s. Narrow the filter "
                      "or export CSV, which has no limit.")
MSG_NOTHING_SELECTED = _("Select at least one customer to export.")
MSG_NO_ORGANIZATION = _("Only users of an organization can export its customers.")
MSG_API_TOO_MANY = _("The API exports at most %(limit)s customers at once: narrow the filter, or export from the "
                     "customer list, which produces larger files in the background.")
MSG_EXPORT_FAILED = _("The export failed. Try again, or narrow the filter.")

COLUMNS = [
    ("display_name", pgettext_lazy("person", "Name")),
    ("mobile", _("Mobile")),
    ("real_name", _("Real name")),
    ("email", _("Email")),
    ("level", _("Level")),
    ("region", _("Region")),
    ("tags", _("Tags")),
    ("owner", _("Owner")),
    ("channels", _("Channels")),
    ("created_at", _("Created")),
    ("last_contact_at", _("Last contact")),
    # With these two an export imports back whole (the import reads both): notes, and every channel identity as
    # "channel:app id:external id" separated by semicolons.
    ("notes", _("Notes")),
    ("identities", _("Channel identities")),
]
_WIDTHS = [20, 16, 12, 26, 8, 14, 30, 14, 24, 18, 18, 30, 40]

# What makes a spreadsheet treat a cell as a formula (OWASP "CSV injection"), and the full-width forms a Chinese IME
# types, which some spreadsheet programs read the same way.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value):
    """Text a spreadsheet would run as a formula, made inert with a leading single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def customer_export_queryset(*, user, query="", segment=None, ids=None):
    """The customers an export holds, limited to what the user may see (region scope) and never merged tombstones.

    One of: `ids` (a selection on the list page; ids of other organizations simply match nothing), a `segment`
    (its saved filter) or `query`, the list page's query string, read by the same CustomerFilter as the list.
    """
    if not user.organization_id:
        raise ScrmError(MSG_NO_ORGANIZATION)
    customers = Customer.objects.filter(merged_into__isnull=True).filter(customer_visible_q(user=user))
    if ids is not None:
        if not ids:
            raise ScrmError(MSG_NOTHING_SELECTED)
        return customers.filter(pk__in=ids).order_by("-created_at", "-pk")
    if segment is not None:
        query = segment.query
    # The filter's choice fields look up the request's user (its owners are the user's colleagues); an export has a
    # user, not necessarily a request.
    filterset = CustomerFilter(data=QueryDict(query or ""), queryset=customers, request=SimpleNamespace(user=user))
    if not filterset.is_valid():
        raise ScrmError(MSG_BAD_FILTER)
    return filterset.qs.order_by("-created_at", "-pk")


def customer_export_reveals(user, masked=False):
    """The personal fields this export shows in full ("mobile", "real_name"): those the user may see in full
    (`user_masks`), none when they asked for a masked file."""
    return () if masked else user_revealable_fields(user)


def customer_export_filename(extension):
    return f"customers-{timezone.localtime(timezone.now(), SHANGHAI):%Y%m%d-%H%M}.{extension}"


def _rows(*, queryset, user, reveal, on_chunk=None):
    """The export's rows as Python values (datetimes naive in Shanghai time), chunk by chunk; when revealing,
    each chunk's reveals are recorded before its rows are handed out.

    Plain values and one lookup per chunk for tags and channels: prefetch_related would build a queryset per
    customer, and model instances cost more than the rest of the row (together they made an export 4x slower).
    """
    regions = dict(Region.objects.values_list("pk", "name"))
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    owners = {u.pk: str(u) for u in User.objects.all()}
    levels = {value: str(label) for value, label in Customer.Level.choices}
    channel_labels = {value: str(label) for value, label in Channel.choices}
    rows = queryset.values_list(
        "pk", "organization_id", "display_name", "mobile", "real_name", "email", "level", "region_id", "owner_id",
        "created_at", "last_contact_at", "notes",
    ).iterator(chunk_size=CHUNK_ROWS)
    done = 0
    for chunk in _chunks(rows, CHUNK_ROWS):
        yield from _chunk_rows(chunk, user, reveal, regions, tag_names, owners, levels, channel_labels)
        done += len(chunk)
        if on_chunk is not None:
            on_chunk(done)


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _chunk_rows(chunk, user, reveal, regions, tag_names, owners, levels, channel_labels):
    ids = [row[0] for row in chunk]
    tags = defaultdict(list)
    for customer_id, tag_id in CustomerTag.objects.filter(customer_id__in=ids).values_list("customer_id", "tag_id"):
        tags[customer_id].append(tag_names[tag_id])
    channels, identities = defaultdict(list), defaultdict(list)
    for customer_id, channel, app_id, external_id in (
            ChannelIdentity.objects.filter(customer_id__in=ids).order_by("pk")
            .values_list("customer_id", "channel", "app_id", "external_id")):
        label = channel_labels.get(channel, channel)
        if label not in channels[customer_id]:
            channels[customer_id].append(label)
        identities[customer_id].append(f"{channel}:{app_id}:{external_id}")
    reveal_mobile, reveal_name = "mobile" in reveal, "real_name" in reveal
    if reveal:
        PiiReveal.objects.bulk_create([
            PiiReveal(organization_id=organization_id, customer_id=pk, customer_name=name, user=user,
                      fields=",".join(reveal))
            for pk, organization_id, name, mobile, real_name, *_rest in chunk
            if (reveal_mobile and mobile) or (reveal_name and real_name)
        ])
    for pk, _org, name, mobile, real_name, email, level, region_id, owner_id, created_at, last_contact_at, notes \
            in chunk:
        yield [
            name,
            export_mobile(mobile, reveal=reveal_mobile),
            real_name if reveal_name else mask_name(real_name),
            email,
            levels.get(level, level),
            regions.get(region_id, ""),
            ", ".join(sorted(tags[pk])),
            owners.get(owner_id, ""),
            ", ".join(channels[pk]),
            _local(created_at),
            _local(last_contact_at),
            notes,
            "; ".join(identities[pk]),
        ]


_CN_MOBILE = re.compile(r"\+861\d{10}")


def export_mobile(e164, *, reveal):
    """The mobile as the export shows it: 13812345678 in full, 138****5678 masked.

    The same as scrm.customers.phones.national_mobile / mask_mobile (a test holds them equal), without parsing the
    number again for a Chinese mobile, which nearly every row holds: parsing was half the cost of an export.
    """
    if not e164:
        return ""
    if _CN_MOBILE.fullmatch(e164):
        national = e164[3:]
        return national if reveal else f"{national[:3]}****{national[-4:]}"
    return national_mobile(e164) if reveal else mask_mobile(e164)


def _local(value):
    return timezone.localtime(value, SHANGHAI).replace(tzinfo=None) if value else None


class Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def customer_export_csv(*, queryset, user, reveal, on_chunk=None):
    """The export as CSV bytes, streamed chunk by chunk: UTF-8 with a BOM (so Excel reads Chinese correctly)."""
    organization_id = user.organization_id
    writer = csv.writer(Echo())

    def cell(value):
        if value is None:
            return ""
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%d %H:%M")
        return neutralise(value)

    def stream():
        # A streamed response is consumed after the view (and the middleware's tenant scope) has returned.
        with tenant_scope(organization_id):
            yield ("\ufeff" + writer.writerow([str(title) for _name, title in COLUMNS])).encode()
            lines = []
            for row in _rows(queryset=queryset, user=user, reveal=reveal, on_chunk=on_chunk):
                lines.append(writer.writerow([cell(v) for v in row]))
                if len(lines) >= CHUNK_ROWS:
                    yield "".join(lines).encode()
                    lines = []
            if lines:
                yield "".join(lines).encode()

    return stream()


def customer_export_xlsx(*, queryset, user, reveal, on_chunk=None):
    """The export as an Excel workbook (written row by row, openpyxl write-only) in a temporary file, at most
    XLSX_MAX_ROWS customers; refused beyond, before anything is written or recorded."""
    count = queryset.count()
    if count > XLSX_MAX_ROWS:
        raise ScrmError(MSG_XLSX_TOO_MANY % {"limit": f"{XLSX_MAX_ROWS:,}", "count": f"{count:,}"})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Customers")))
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([str(title) for _name, title in COLUMNS])
    for row in _rows(queryset=queryset, user=user, reveal=reveal, on_chunk=on_chunk):
        # xlsx_text: a control character stored before input was cleaned must not fail the whole export.
        sheet.append([neutralise(xlsx_text(v)) for v in row])
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output


# --- Exports produced by a worker ------------------------------------------------------------------------------------
EXPORT_KIND = "customer_export"  # the outbox kind that produces an export (registered by scrm.customers.jobs)


def customer_export_start(*, user, file_format, customers, query="", ids=None, masked=False):
    """Queue an export too large for a request. `customers` is what customer_export_queryset gave for the same
    `query` / `ids` (a segment's query is passed as `query`, so later edits of the segment do not change the file);
    the worker reads it again as the user may see it then."""
    if file_format == CustomerExport.Format.XLSX:
        count = customers.count()
        if count > XLSX_MAX_ROWS:
            raise ScrmError(MSG_XLSX_TOO_MANY % {"limit": f"{XLSX_MAX_ROWS:,}", "count": f"{count:,}"})
    with transaction.atomic():
        job = CustomerExport.objects.create(
            organization_id=user.organization_id, requested_by=user, file_format=file_format, query=query,
            customer_ids=list(ids) if ids is not None else None, masked=masked,
            language=translation.get_language() or "",
        )
        # A job of the outbox (scrm.customers.jobs runs it), published once the row is committed.
        outbox.publish_on_commit(EXPORT_KIND, job.pk)
    return job


def customer_export_run(*, export_id):
    """Produce a queued export and keep its file for its requester. Idempotent once done; a redelivered task (the
    worker died) produces it again, recording its reveals again (an audit errs on the side of more)."""
    with transaction.atomic():
        job = CustomerExport.objects.select_for_update().select_related("requested_by").get(pk=export_id)
        if not job.in_progress:
            return job
        job.status = CustomerExport.Status.RUNNING
        job.save(update_fields=["status"])
    # A worker has no user language: the file (column titles, choices) and a refusal speak the requester's.
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _export_produce(job)


def _export_produce(job):
    user = job.requested_by
    try:
        customers = customer_export_queryset(user=user, query=job.query, ids=job.customer_ids)
        reveal = customer_export_reveals(user, masked=job.masked)
        total = customers.count()
        progress = partial(_export_progress_set, job, total=total)
        progress(0)
        if job.file_format == CustomerExport.Format.CSV:
            output = tempfile.TemporaryFile()
            for part in customer_export_csv(queryset=customers, user=user, reveal=reveal, on_chunk=progress):
                output.write(part)
            output.seek(0)
        else:
            output = customer_export_xlsx(queryset=customers, user=user, reveal=reveal, on_chunk=progress)
        with output:
            output.seek(0)
            job.file.save("export", File(output), save=False)
            job.file_size = output.seek(0, 2)  # its length: what the platform console counts as stored
    except ScrmError as exc:
        return _export_failed(job, str(exc))
    except Exception as exc:
        _export_failed(job, str(MSG_EXPORT_FAILED), detail=str(exc))
        raise
    job.status, job.row_count = CustomerExport.Status.DONE, total
    job.file_name, job.finished_at = customer_export_filename(job.file_format), timezone.now()
    job.save(update_fields=["status", "file", "file_size", "row_count", "file_name", "finished_at"])
    logger.info("customer export produced", extra={"export": job.pk, "rows": total, "format": job.file_format})
    return job


def _export_failed(job, message, *, detail=""):
    if detail:
        logger.warning("customer export failed: %s", redact(detail, organization_id=job.organization_id),
                       extra={"export": job.pk})
    job.status, job.failure, job.finished_at = CustomerExport.Status.FAILED, message, timezone.now()
    job.save(update_fields=["status", "failure", "finished_at"])
    return job


def _export_progress_key(job):
    return f"scrm:customer-export:{job.organization_id}:{job.pk}:progress"


def _export_progress_set(job, done, *, total):
    cache.set(_export_progress_key(job), {"done": done, "total": total}, PROGRESS_TIMEOUT)


def customer_export_progress(job):
    """Rows done and total of an export being produced, and the percentage (in 5 % steps for the bar)."""
    figures = cache.get(_export_progress_key(job)) or {}
    done, total = int(figures.get("done", 0)), int(figures.get("total", 0))
    if job.status == CustomerExport.Status.DONE:
        done = total = job.row_count
    percent = min(100, done * 100 // total) if total else (100 if job.status == CustomerExport.Status.DONE else 0)
    return {"done": done, "total": total, "percent": percent, "step": percent - percent % 5}


def customer_export_get(*, user, pk):
    """One of the user's own exports (raises CustomerExport.DoesNotExist for anyone else's)."""
    return CustomerExport.objects.get(organization_id=user.organization_id, requested_by=user, pk=pk)


def customer_export_open(job):
    """The produced file, opened from storage for streaming (the caller closes it)."""
    return job.file.storage.open(job.file.name, "rb")

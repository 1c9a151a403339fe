"""Customer import: upload a CSV or XLSX file, check every row in the background, apply it in one transaction, undo it.

The phases of a batch (scrm.models.CustomerImport):

    upload ──► check (validate) ──► confirm ──► apply ──► undo
    (request)   (worker)            (request)   (worker)  (request, then worker)

- `customer_import_upload` refuses at once what is not a usable file (too big, not a spreadsheet, no name column),
  and creates nothing then; otherwise it stores the file in a batch and queues the check.
- `customer_import_validate` reads every row and plans it: a new customer, an update of an existing one (matched by
  mobile or channel identity), or an error (the row is skipped). It writes only the plan's summary: counts, the first
  rows as they will be imported, and the row errors.
- `customer_import_apply` plans the file again, with the same code, inside the one transaction that writes it (so
  what it writes is what the database holds now, not what it held at the check) and logs, per customer, what undo
  needs. Any failure rolls the whole import back.
- `customer_import_undo` deletes the customers the batch created and restores what it changed on the others, once.

Progress (rows done / total) goes to Django's cache, which every process shares, so the batch page can poll it.
Reads for the pages are at the end of this module ("Reads").
"""

import codecs
import csv
import hashlib
import io
import logging
import os
import re
import unicodedata
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice

import openpyxl
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.exceptions import InvalidFileException

from scrm.errors import MSG_UNKNOWN_TAG, ScrmError
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerImport,
    CustomerImportChange,
    CustomerImportRowError,
    CustomerTag,
    Region,
    Tag,
    User,
)
from scrm.phones import MSG_BAD_MOBILE, InvalidMobile, mask_mobile, mask_name, normalize_mobile
from scrm.platform import outbox
from scrm.platform.redaction import redact
from scrm.tenancy import tenant_sql
from scrm.text import clean_text

__all__ = [
    "MAX_FILE_BYTES", "MAX_ROWS", "CustomerImportRefused", "customer_import_apply", "customer_import_cancel",
    "customer_import_confirm", "customer_import_errors", "customer_import_failure", "customer_import_get",
    "customer_import_list", "customer_import_progress", "customer_import_request_undo", "customer_import_same_file",
    "customer_import_undo", "customer_import_upload", "customer_import_validate",
]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
PREVIEW_ROWS = 20
CHUNK_ROWS = 2000
# A file where every cell is wrong is the wrong file; past this many, the list says so instead of growing.
MAX_STORED_ERRORS = 100_000
PROGRESS_TIMEOUT = 6 * 3600
HEADER_SEARCH_ROWS = 10
# Columns read per row: far more than any customer file has, and a bound on what a hostile workbook can make us read.
MAX_COLUMNS = 200
# A workbook is a zip of XML, and a small zip can unpack to gigabytes: a 478 KB file holding one row of 16.7 million
# cells took 143 s and 7.5 GB to open. So before any XML parser sees a workbook, its parts' unpacked sizes are added up
# and its cells and rows counted (a streamed byte scan, which stops at the first limit passed). openpyxl builds a whole
# row in memory before handing it over, so the cells of one row are bounded too. The sheet's declared <dimension> is
# not trusted either way (A1:XFD1048576 is common on small sheets, and a bomb can declare A1:A1): cells are counted.
MAX_XLSX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_XLSX_CELLS = 4_000_000  # 200,000 rows of 20 columns
MAX_XLSX_ROW_CELLS = 1_000
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit; MAX_ROWS bounds the rows with data
# A CSV cell longer than this (the csv module's own limit) is a broken file: unbalanced quotes, or not a list at all.
MAX_CSV_FIELD_CHARS = 131_072

# --- Messages (tests import them) -------------------------------------------------------------------------------------
MSG_FILE_EMPTY = _("The file is empty.")
MSG_FILE_TOO_LARGE = _("The file is larger than %(limit)s MB. Split it into smaller files and import them one by one.")
MSG_NOT_SPREADSHEET = _("This file is not a spreadsheet. Upload a CSV file or an Excel workbook (.xlsx).")
MSG_XLS_UNSUPPORTED = _("Old Excel workbooks (.xls) cannot be read. Save the file as .xlsx or CSV and upload it again.")
MSG_ENCRYPTED = _("This workbook is protected with a password. Remove the password in Excel, save it and upload it "
                  "again.")
MSG_DAMAGED = _("This workbook is damaged and cannot be read. Open it in Excel, save it again as .xlsx and upload it "
                "again.")
MSG_XLSX_UNPACKED = _("This workbook unpacks to more than %(limit)s MB, far more than a customer list. Keep only the "
                      "customer sheet, save it again and upload it again.")
MSG_XLSX_CELLS = _("This workbook holds more than %(limit)s cells. Split it into smaller files and import them one by "
                   "one.")
MSG_XLSX_ROW_CELLS = _("A row of this workbook holds more than %(limit)s cells. Delete the unused columns, save it "
                       "and upload it again.")
MSG_CSV_FIELD_TOO_LONG = _("A cell of this CSV file is longer than %(limit)s characters: check that its quotes are "
                           "balanced, save it again and upload it again.")
MSG_ENCODING = _("The text encoding of this CSV file was not recognised. Save it as UTF-8 or GBK and upload it again.")
MSG_NO_NAME_COLUMN = _("No name column was found. The first row must hold the column titles, including 姓名 "
                       "(display_name).")
MSG_DUPLICATE_COLUMN = _("The column “%(column)s” appears more than once.")
MSG_IDENTITY_COLUMNS = _("An 外部ID (external_id) column needs a 渠道 (channel) column beside it.")
MSG_NO_ROWS = _("The file has column titles but no rows.")
MSG_TOO_MANY_ROWS = _("The file has more than %(limit)s rows. Split it into smaller files and import them one by one.")
MSG_APPLY_FAILED = _("The import failed and nothing was imported. Check the file and upload it again.")
MSG_CHECK_FAILED = _("The file could not be checked.")
MSG_UNDO_FOREIGN_IDENTITIES = _("This import cannot be undone: customers it created have since been linked to other "
                                "channel accounts.")
MSG_UNDO_REFERENCED = _("This import cannot be undone: customers it created are now used elsewhere (tickets, orders or "
                        "merges).")
MSG_UNDO_FAILED = _("The undo failed and nothing was changed. Try again later.")

MSG_NOT_CHECKED = _("This import is not ready to be confirmed.")
MSG_NOTHING_TO_APPLY = _("No row of this file can be imported: fix the errors and upload it again.")
MSG_CANNOT_CANCEL = _("This import can no longer be cancelled.")
MSG_STILL_CHECKING = _("The file is still being checked; cancel it when the check has finished.")
MSG_UNDO_NOT_APPLIED = _("Only an import that has been applied can be undone.")
MSG_ALREADY_UNDONE = _("This import has already been undone.")

# Row errors: a code stored with each error, and its message.
ROW_MSG_NAME_REQUIRED = _("A name is required for a new customer.")
ROW_MSG_TOO_LONG = _("Longer than %(limit)s characters.")
ROW_MSG_BAD_MOBILE = MSG_BAD_MOBILE
ROW_MSG_BAD_EMAIL = _("“%(value)s” is not a valid email address.")
ROW_MSG_UNKNOWN_REGION = _("Unknown region: %(value)s. Use the code of a region, as in Settings.")
ROW_MSG_UNKNOWN_OWNER = _("Unknown owner: %(value)s. Use the user name of an active user.")
ROW_MSG_BAD_LEVEL = _("Unknown level “%(value)s”: use 普通, VIP or SVIP.")
ROW_MSG_UNKNOWN_TAG = MSG_UNKNOWN_TAG
ROW_MSG_UNKNOWN_CHANNEL = _("Unknown channel: %(value)s.")
ROW_MSG_IDENTITY_INCOMPLETE = _("A channel identity needs both the channel and the external ID.")
ROW_MSG_DUPLICATE_ROW = _("Same as row %(row)s.")
ROW_MSG_DUPLICATE_MOBILE = _("Same mobile as row %(row)s.")
ROW_MSG_DUPLICATE_IDENTITY = _("Same channel identity as row %(row)s.")
ROW_MSG_SAME_CUSTOMER = _("Matches the same existing customer as row %(row)s.")
ROW_MSG_CONFLICT = _("The mobile belongs to one existing customer and the channel identity to another.")

ROW_MESSAGES = {
    "name_required": ROW_MSG_NAME_REQUIRED,
    "too_long": ROW_MSG_TOO_LONG,
    "bad_mobile": ROW_MSG_BAD_MOBILE,
    "bad_email": ROW_MSG_BAD_EMAIL,
    "unknown_region": ROW_MSG_UNKNOWN_REGION,
    "unknown_owner": ROW_MSG_UNKNOWN_OWNER,
    "bad_level": ROW_MSG_BAD_LEVEL,
    "unknown_tag": ROW_MSG_UNKNOWN_TAG,
    "unknown_channel": ROW_MSG_UNKNOWN_CHANNEL,
    "identity_incomplete": ROW_MSG_IDENTITY_INCOMPLETE,
    "duplicate_row": ROW_MSG_DUPLICATE_ROW,
    "duplicate_mobile": ROW_MSG_DUPLICATE_MOBILE,
    "duplicate_identity": ROW_MSG_DUPLICATE_IDENTITY,
    "same_customer": ROW_MSG_SAME_CUSTOMER,
    "conflict": ROW_MSG_CONFLICT,
}

FILE_MESSAGES = {
    "empty": MSG_FILE_EMPTY,
    "too_large": MSG_FILE_TOO_LARGE,
    "not_spreadsheet": MSG_NOT_SPREADSHEET,
    "xls": MSG_XLS_UNSUPPORTED,
    "encrypted": MSG_ENCRYPTED,
    "damaged": MSG_DAMAGED,
    "xlsx_unpacked": MSG_XLSX_UNPACKED,
    "xlsx_cells": MSG_XLSX_CELLS,
    "xlsx_row_cells": MSG_XLSX_ROW_CELLS,
    "csv_field_too_long": MSG_CSV_FIELD_TOO_LONG,
    "encoding": MSG_ENCODING,
    "no_name_column": MSG_NO_NAME_COLUMN,
    "duplicate_column": MSG_DUPLICATE_COLUMN,
    "identity_columns": MSG_IDENTITY_COLUMNS,
    "no_rows": MSG_NO_ROWS,
    "too_many_rows": MSG_TOO_MANY_ROWS,
    "apply_failed": MSG_APPLY_FAILED,
    "check_failed": MSG_CHECK_FAILED,
    "undo_foreign_identities": MSG_UNDO_FOREIGN_IDENTITIES,
    "undo_referenced": MSG_UNDO_REFERENCED,
    "undo_failed": MSG_UNDO_FAILED,
}


class CustomerImportRefused(ScrmError):
    """A file (or a step of a batch) that cannot go on; `code` and `params` let a batch record it for later readers."""

    def __init__(self, code, **params):
        self.code, self.params = code, params
        super().__init__(describe(FILE_MESSAGES, code, params))


def describe(messages, code, params):
    """A stored message code with its parameters, in the active language."""
    message = messages.get(code)
    if message is None:
        return code
    return str(message) % params if params else str(message)


# --- Columns ---------------------------------------------------------------------------------------------------------
# Field -> the titles people write for it, in Chinese and English (compared after _header_key()).
HEADER_ALIASES = {
    "display_name": ("姓名", "客户名称", "客户姓名", "名称", "昵称", "display_name", "name", "customer"),
    "real_name": ("真实姓名", "real_name"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "phone", "mobile_phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "region_code": ("区域编码", "区域代码", "区域", "region_code", "region"),
    "level": ("等级", "客户等级", "会员等级", "level"),
    "tags": ("标签", "tags", "tag"),
    "owner": ("负责人", "归属人", "owner"),
    "notes": ("备注", "notes", "note", "remark"),
    "channel": ("渠道", "来源渠道", "channel"),
    "external_id": ("外部id", "外部编号", "external_id", "openid"),
    "app_id": ("应用id", "app_id", "appid"),
}
MAX_LENGTHS = {"display_name": 100, "real_name": 50, "email": 254, "external_id": 128, "app_id": 64}
LEVEL_ALIASES = {
    "普通": Customer.Level.NORMAL, "normal": Customer.Level.NORMAL, "普通会员": Customer.Level.NORMAL,
    "vip": Customer.Level.VIP, "svip": Customer.Level.SVIP,
}
LEVEL_RANK = {Customer.Level.NORMAL: 0, Customer.Level.VIP: 1, Customer.Level.SVIP: 2}
# Names people use for channels beyond our own labels (which are accepted in every language we speak).
CHANNEL_ALIASES = {
    "微信": Channel.WECHAT_OA, "公众号": Channel.WECHAT_OA, "微信公众号": Channel.WECHAT_OA, "企微": Channel.WECOM,
    "企业微信": Channel.WECOM, "有赞": Channel.YOUZAN, "抖音": Channel.DOUYIN, "抖店": Channel.DOUYIN,
    "京东": Channel.JD, "淘宝": Channel.TAOBAO, "天猫": Channel.TAOBAO, "拼多多": Channel.PINDUODUO,
    "电话": Channel.PHONE, "表单": Channel.WEB_FORM,
}
TAG_SEPARATORS = re.compile(r"[,，、;；]")
# What our own export puts in front of text a spreadsheet would run as a formula; taken off again on import.
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")
# Fields an import fills on an existing customer when they are empty there (attribute name -> row value name).
FILLABLE = {"real_name": "real_name", "mobile": "mobile", "email": "email", "region_id": "region_id",
            "owner_id": "owner_id", "notes": "notes"}


def _header_key(text):
    """'  *手机号（必填）' -> '手机号', 'External ID' -> 'externalid': what a title means, not how it is typed."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = re.sub(r"\(.*\)$", "", text).strip("* ")
    return re.sub(r"[\s_\-]+", "", text)


_HEADER_FIELDS = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def _cell_text(value):
    """A cell as text. Excel stores long digit strings (mobiles, ids) as numbers: 13812345678.0 -> '13812345678'."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Control characters (a NUL deep in a CSV, a stray \x0b from a pasted cell) would fail the whole apply or
        # the organization's later exports: they go here, with the one helper every input uses.
        return _NEUTRALISED.sub("", clean_text(value).strip())
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


# --- Reading a file --------------------------------------------------------------------------------------------------
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
_XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class _Sheet:
    """A file's first worksheet: where its titles are, which field each column holds, and its data rows."""

    kind: str
    content: bytes
    header_row: int = 1
    columns: dict = field(default_factory=dict)  # field -> column index
    headers: dict = field(default_factory=dict)  # field -> title as written
    ignored: list = field(default_factory=list)
    text: str = ""
    delimiter: str = ","

    def rows(self):
        """(row number as the spreadsheet shows it, cells as text) for each non-empty row below the titles."""
        number = 0
        for number, cells in enumerate(self._raw_rows(), start=1):
            if number <= self.header_row:
                continue
            values = [_cell_text(v) for v in cells]
            if any(values):
                yield number, values

    def count_rows(self, limit):
        """Non-empty data rows, counting no further than `limit` + 1."""
        return sum(1 for _ in islice(self.rows(), limit + 1))

    def _raw_rows(self):
        if self.kind == CustomerImport.Kind.CSV:
            try:
                for row in csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter):
                    yield row[:MAX_COLUMNS]
            except csv.Error as exc:  # "field larger than field limit": an unbalanced quote swallows the file
                raise CustomerImportRefused("csv_field_too_long", limit=f"{MAX_CSV_FIELD_CHARS:,}") from exc
            return
        workbook = _open_workbook(self.content)
        try:
            if not workbook.worksheets:
                raise CustomerImportRefused("not_spreadsheet")
            sheet = workbook.worksheets[0]
            # Declared dimensions are often wrong (A1:XFD1048576 after formatting a column); read what is there.
            sheet.reset_dimensions()
            for row in sheet.iter_rows(values_only=True):
                yield row[:MAX_COLUMNS]
        except _DAMAGED_WORKBOOK as exc:
            # The parts are read lazily, row by row: garbage in the sheet's XML (or a part cut short) shows here.
            raise CustomerImportRefused("damaged") from exc
        finally:
            workbook.close()


# What openpyxl and zipfile raise on a zip that is not a sound workbook: KeyError for a missing part (a .docx, a zip
# of photos, content types that name no workbook), ParseError (a SyntaxError) for broken XML, zlib.error, EOFError
# and BadZipFile for a truncated or corrupted member, ValueError/TypeError/AttributeError/IndexError for XML that
# parses but is not what the format says.
_DAMAGED_WORKBOOK = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, zlib.error, SyntaxError,
                     ValueError, TypeError, AttributeError, IndexError)
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


def _open_workbook(content):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_workbook_size(archive)
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _DAMAGED_WORKBOOK as exc:
        raise CustomerImportRefused("damaged") from exc


def _check_workbook_size(archive):
    """Refuse a workbook whose parts unpack to too much, or which holds too many cells, rows or cells in a row.

    Every part is scanned, not only the ones named like worksheets: the workbook's relationships may put a sheet
    anywhere. The scan reads the unpacked bytes a megabyte at a time and stops at the first limit passed, so a zip
    bomb costs a fraction of a second; a full 200,000-row file (80 MB of XML) about a second and a half.
    """
    members = archive.infolist()
    if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise CustomerImportRefused("xlsx_unpacked", limit=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024))
    cells = rows = 0
    for member in members:
        row_cells = 0
        with archive.open(member) as stream:
            carry = b""
            while chunk := stream.read(1024 * 1024):
                data = carry + chunk
                # A tag cut by the read boundary is finished in the next read: hold back from the last "<", unless
                # what follows it is already long enough to hold any tag name.
                cut = data.rfind(b"<")
                if cut == -1 or len(data) - cut > 4096:
                    body, carry = data, b""
                else:
                    body, carry = data[:cut], data[cut:]
                start = 0
                for match in _ROW_TAG.finditer(body):
                    row_cells += len(_CELL_TAG.findall(body, start, match.start()))
                    if row_cells > MAX_XLSX_ROW_CELLS:
                        raise CustomerImportRefused("xlsx_row_cells", limit=f"{MAX_XLSX_ROW_CELLS:,}")
                    cells += row_cells
                    rows, row_cells, start = rows + 1, 0, match.start()
                row_cells += len(_CELL_TAG.findall(body, start))
                if row_cells > MAX_XLSX_ROW_CELLS:
                    raise CustomerImportRefused("xlsx_row_cells", limit=f"{MAX_XLSX_ROW_CELLS:,}")
                if cells + row_cells > MAX_XLSX_CELLS:
                    raise CustomerImportRefused("xlsx_cells", limit=f"{MAX_XLSX_CELLS:,}")
                if rows > MAX_XLSX_ROWS:
                    raise CustomerImportRefused("too_many_rows", limit=MAX_ROWS)
        cells += row_cells


def _decode_csv(content):
    """CSV text from UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or GBK/GB18030, which
    Chinese Excel uses when it saves CSV."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif content.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CustomerImportRefused("encoding")


def _read_sheet(content, file_name):
    """Open an uploaded file and find its column titles; raise CustomerImportRefused for anything unusable."""
    extension = os.path.splitext(file_name.lower())[1]
    if content.startswith(_OLE_MAGIC) and "EncryptedPackage".encode("utf-16-le") in content:
        # Excel saves a workbook with a password as an OLE container holding the encrypted zip.
        raise CustomerImportRefused("encrypted")
    if content.startswith(_OLE_MAGIC) or extension == ".xls":
        raise CustomerImportRefused("xls")
    if extension in _XLSX_EXTENSIONS or content.startswith(_ZIP_MAGIC):
        if extension not in _XLSX_EXTENSIONS or not content.startswith(_ZIP_MAGIC):
            raise CustomerImportRefused("not_spreadsheet")
        sheet = _Sheet(kind=CustomerImport.Kind.XLSX, content=content)
        _find_header(sheet, list(islice(sheet._raw_rows(), HEADER_SEARCH_ROWS)))
        return sheet
    if extension not in _CSV_EXTENSIONS:
        raise CustomerImportRefused("not_spreadsheet")
    if b"\x00" in content[:8192] and not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CustomerImportRefused("not_spreadsheet")
    text = _decode_csv(content)
    if len(_CONTROL_CHARS.findall(text[:8192])) > 8:
        raise CustomerImportRefused("not_spreadsheet")
    # The delimiter that turns the most titles into fields we know: comma, or tab (Excel's "Unicode text"), or
    # semicolon (Excel in some locales).
    best = None
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    for delimiter in (",", "\t", ";"):
        candidate = _Sheet(kind=CustomerImport.Kind.CSV, content=b"", text=text, delimiter=delimiter)
        try:
            found = _find_header(candidate, list(csv.reader(io.StringIO(head), delimiter=delimiter)))
        except csv.Error as exc:
            raise CustomerImportRefused("csv_field_too_long", limit=f"{MAX_CSV_FIELD_CHARS:,}") from exc
        except CustomerImportRefused as exc:
            if exc.code != "no_name_column":
                raise
            continue
        if best is None or found > best[0]:
            best = (found, candidate)
    if best is None:
        raise CustomerImportRefused("no_name_column")
    return best[1]


def _find_header(sheet, first_rows):
    """Take the first of the first rows that has a name column as the titles (templates often put a caption above
    them); return how many columns were recognised."""
    for number, cells in enumerate(first_rows, start=1):
        titles = [_cell_text(c) for c in cells]
        keys = [_header_key(t) for t in titles]
        if "display_name" not in {_HEADER_FIELDS.get(k) for k in keys}:
            continue
        columns, headers, ignored = {}, {}, []
        for index, (title, key) in enumerate(zip(titles, keys, strict=True)):
            name = _HEADER_FIELDS.get(key)
            if name is None:
                if title:
                    ignored.append(title)
                continue
            if name in columns:
                raise CustomerImportRefused("duplicate_column", column=title)
            columns[name], headers[name] = index, title
        if "external_id" in columns and "channel" not in columns:
            raise CustomerImportRefused("identity_columns")
        if "channel" in columns and "external_id" not in columns:
            # Our own export has a 渠道 column (the channels a customer is on) and no ids: nothing to import.
            del columns["channel"]
            ignored.append(headers.pop("channel"))
        sheet.header_row, sheet.columns, sheet.headers, sheet.ignored = number, columns, headers, ignored
        return len(columns)
    raise CustomerImportRefused("no_name_column")


# --- Upload ----------------------------------------------------------------------------------------------------------
def customer_import_upload(*, organization, user, file):
    """Store an uploaded file as a new batch and queue its check; refuse an unusable file and create nothing then.

    `file` is an uploaded file (or any file object with `name` and `size`). What can be judged at once is: the size,
    whether it is a spreadsheet at all, its encoding, its column titles and, for CSV, its row count.
    """
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise CustomerImportRefused("too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise CustomerImportRefused("too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    if not content:
        raise CustomerImportRefused("empty")
    file_name = os.path.basename(getattr(file, "name", "") or "upload.csv")[:255]
    sheet = _read_sheet(content, file_name)
    if sheet.kind == CustomerImport.Kind.CSV:
        rows = sheet.count_rows(MAX_ROWS)
        if rows > MAX_ROWS:
            raise CustomerImportRefused("too_many_rows", limit=MAX_ROWS)
        if rows == 0:
            raise CustomerImportRefused("no_rows")

    with transaction.atomic():
        batch = CustomerImport.objects.create(
            organization=organization, file_name=file_name, file_kind=sheet.kind,
            file_sha256=hashlib.sha256(content).hexdigest(), file_size=len(content), content=content,
            columns={"matched": [[name, sheet.headers[name]] for name in sorted(sheet.columns, key=sheet.columns.get)],
                     "ignored": sheet.ignored},
            created_by=user,
        )
        _enqueue(batch)
    logger.info("customer import uploaded", extra={"batch": batch.pk, "size": len(content), "kind": sheet.kind})
    return batch


IMPORT_KIND = "customer_import"  # the outbox kind of an import's phases (registered by scrm.services.jobs)


def _enqueue(batch):
    """Queue the batch's next phase (its status says which) as a job of the outbox, published once the current
    transaction commits (a worker must see the row). scrm.services.jobs runs it."""
    outbox.enqueue(IMPORT_KIND, batch)


# --- Planning rows ---------------------------------------------------------------------------------------------------
NEW, UPDATE, SKIP = "new", "update", "skip"


@dataclass(slots=True)
class _RowPlan:
    row: int
    action: str = NEW
    values: dict = field(default_factory=dict)  # display_name, real_name, mobile, email, region_id, owner_id, ...
    tag_ids: list = field(default_factory=list)
    identity: tuple | None = None  # (channel, app_id, external_id)
    identity_exists: bool = False
    customer_id: int | None = None  # the existing customer an update goes to
    errors: list = field(default_factory=list)  # (field, code, params)
    fingerprint: bytes = b""


class _Lookups:
    """Everything a row may name, loaded once per run: tags, regions, owners (all small, per organization)."""

    def __init__(self, organization_id):
        self.tags, self.tags_folded, self.tag_names = {}, {}, {}
        for pk, name in Tag.objects.values_list("pk", "name"):
            self.tags[name] = pk
            self.tags_folded.setdefault(name.casefold(), pk)
            self.tag_names[pk] = name
        # A region by its code or, when no code matches, by a name only one region has (our export writes names);
        # an owner likewise by user name or by a display name only one user has.
        self.regions, self.region_names = {}, {}
        by_name = defaultdict(set)
        for pk, code, name in Region.objects.values_list("pk", "code", "name"):
            self.regions[code.casefold()] = pk
            self.region_names[pk] = name
            by_name[name.casefold()].add(pk)
        self._add_unique(self.regions, by_name)
        self.owners, self.owner_names = {}, {}
        by_name = defaultdict(set)
        users = User.objects.filter(is_active=True)
        for pk, username, display_name in users.values_list("pk", "username", "display_name"):
            self.owners[username.casefold()] = pk
            self.owner_names[pk] = username
            if display_name:
                by_name[display_name.casefold()].add(pk)
        self._add_unique(self.owners, by_name)
        self.channels = {}
        for value, label in Channel.choices:
            self.channels[value] = value
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    self.channels[str(label).casefold()] = value
        self.channels.update({k.casefold(): v for k, v in CHANNEL_ALIASES.items()})

    @staticmethod
    def _add_unique(lookup, by_name):
        for name, pks in by_name.items():
            if len(pks) == 1:
                lookup.setdefault(name, next(iter(pks)))

    def tag(self, name):
        return self.tags.get(name) or self.tags_folded.get(name.casefold())


@dataclass
class _FileState:
    """What earlier rows of the file claimed, to find duplicates within it."""

    mobiles: dict = field(default_factory=dict)
    identities: dict = field(default_factory=dict)
    fingerprints: dict = field(default_factory=dict)
    customers: dict = field(default_factory=dict)


def _parse_row(number, cells, sheet, lookups):
    """One row's values, checked on their own (no database): formats, lengths and the names it refers to."""
    plan = _RowPlan(row=number)

    def cell(name):
        index = sheet.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    def error(column, code, /, **params):
        plan.errors.append((column, code, params))

    raw = {name: cell(name) for name in sheet.columns}
    plan.fingerprint = hashlib.blake2b("\x1f".join(raw[n] for n in sorted(raw)).encode(), digest_size=16).digest()
    values = plan.values
    for name in ("display_name", "real_name", "notes"):
        values[name] = raw.get(name, "")
    for name, limit in MAX_LENGTHS.items():
        if len(raw.get(name, "")) > limit:
            error(name, "too_long", limit=limit)

    try:
        values["mobile"] = normalize_mobile(raw.get("mobile", ""))
    except InvalidMobile:
        values["mobile"] = ""
        error("mobile", "bad_mobile", value=raw["mobile"])

    email = raw.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", "bad_email", value=email)
    values["email"] = email

    region = raw.get("region_code", "")
    values["region_id"] = lookups.regions.get(region.casefold()) if region else None
    if region and values["region_id"] is None:
        error("region_code", "unknown_region", value=region)

    owner = raw.get("owner", "")
    values["owner_id"] = lookups.owners.get(owner.casefold()) if owner else None
    if owner and values["owner_id"] is None:
        error("owner", "unknown_owner", value=owner)

    level = raw.get("level", "")
    values["level"] = LEVEL_ALIASES.get(level.casefold()) if level else None
    if level and values["level"] is None:
        error("level", "bad_level", value=level)

    for name in (n.strip() for n in TAG_SEPARATORS.split(raw.get("tags", ""))):
        if not name:
            continue
        tag_id = lookups.tag(name)
        if tag_id is None:
            error("tags", "unknown_tag", name=name)
        elif tag_id not in plan.tag_ids:
            plan.tag_ids.append(tag_id)

    channel_text, external_id = raw.get("channel", ""), raw.get("external_id", "")
    if channel_text or external_id:
        channel = lookups.channels.get(channel_text.casefold()) if channel_text else None
        if not channel_text or not external_id:
            error("channel" if not channel_text else "external_id", "identity_incomplete")
        elif channel is None:
            error("channel", "unknown_channel", value=channel_text)
        else:
            plan.identity = (channel, raw.get("app_id", ""), external_id)
    return plan


def _plan_chunk(chunk, sheet, lookups, state):
    """Plan a chunk of rows in file order: new, update (of which existing customer) or skip (with its errors)."""
    plans = [_parse_row(number, cells, sheet, lookups) for number, cells in chunk]

    mobiles = {p.values["mobile"] for p in plans if p.values["mobile"]}
    by_mobile = {}
    if mobiles:
        for pk, mobile in (Customer.objects.filter(mobile__in=mobiles, merged_into__isnull=True)
                           .order_by("pk").values_list("pk", "mobile")):
            by_mobile.setdefault(mobile, pk)
    keys = {p.identity for p in plans if p.identity}
    by_identity = {}
    if keys:
        for channel, app_id, external_id, customer_id in ChannelIdentity.objects.filter(
                external_id__in={k[2] for k in keys}).values_list("channel", "app_id", "external_id", "customer_id"):
            if (channel, app_id, external_id) in keys:
                by_identity[(channel, app_id, external_id)] = customer_id
        by_identity = _follow_merges(by_identity)

    for plan in plans:
        _match(plan, state, by_mobile, by_identity)
    return plans


def _follow_merges(by_key):
    """Identities of a merged duplicate still point at its tombstone; an update goes to the customer that lives on."""
    pending = set(by_key.values())
    live = {}
    for _depth in range(10):
        merged = dict(Customer.objects.filter(pk__in=pending, merged_into__isnull=False)
                      .values_list("pk", "merged_into_id"))
        if not merged:
            break
        live.update(merged)
        pending = set(merged.values())

    def resolve(pk):
        seen = set()
        while pk in live and pk not in seen:
            seen.add(pk)
            pk = live[pk]
        return pk

    return {key: resolve(pk) for key, pk in by_key.items()}


def _match(plan, state, by_mobile, by_identity):
    def error(column, code, /, **params):
        plan.errors.append((column, code, params))

    first = state.fingerprints.setdefault(plan.fingerprint, plan.row)
    if first != plan.row:
        error("", "duplicate_row", row=first)
    else:
        mobile = plan.values["mobile"]
        if mobile:
            first = state.mobiles.setdefault(mobile, plan.row)
            if first != plan.row:
                error("mobile", "duplicate_mobile", row=first)
        if plan.identity:
            first = state.identities.setdefault(plan.identity, plan.row)
            if first != plan.row:
                error("external_id", "duplicate_identity", row=first)

    by_m = by_mobile.get(plan.values["mobile"]) if plan.values["mobile"] else None
    by_i = by_identity.get(plan.identity) if plan.identity else None
    plan.identity_exists = by_i is not None
    if by_m and by_i and by_m != by_i:
        error("mobile", "conflict")
    customer_id = by_i or by_m
    if customer_id and not plan.errors:
        first = state.customers.setdefault(customer_id, plan.row)
        if first != plan.row:
            error("", "same_customer", row=first)
    if not customer_id and not plan.values["display_name"]:
        error("display_name", "name_required")

    if plan.errors:
        plan.action = SKIP
    elif customer_id:
        plan.action, plan.customer_id = UPDATE, customer_id
    else:
        plan.action = NEW


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- Progress --------------------------------------------------------------------------------------------------------
def _progress_key(batch):
    return f"scrm:customer-import:{batch.organization_id}:{batch.pk}:progress"


def _progress_set(batch, *, done, total):
    cache.set(_progress_key(batch), {"done": done, "total": total}, PROGRESS_TIMEOUT)


def customer_import_progress(batch):
    """Rows done and total of the batch's running phase, and the percentage; zeros before a worker reports."""
    figures = cache.get(_progress_key(batch)) or {}
    done, total = int(figures.get("done", 0)), int(figures.get("total", 0))
    if batch.status in {CustomerImport.Status.VALIDATED, CustomerImport.Status.APPLIED,
                        CustomerImport.Status.UNDONE}:
        done = total = max(total, batch.total_rows)
    percent = min(100, done * 100 // total) if total else 0
    return {"done": done, "total": total, "percent": percent, "step": percent - percent % 5}


# --- Check and apply -------------------------------------------------------------------------------------------------
def _lock(batch_id):
    return CustomerImport.objects.select_for_update().get(pk=batch_id)


def _content(batch):
    return bytes(CustomerImport.objects.filter(pk=batch.pk).values_list("content", flat=True).get())


def _fail(batch_id, code, *, params=None, detail=""):
    with transaction.atomic():
        batch = _lock(batch_id)
        batch.status = CustomerImport.Status.FAILED
        batch.failure_code, batch.failure_params, batch.failure_detail = code, params or {}, redact(
            detail, organization_id=batch.organization_id)
        batch.content = b""
        batch.save(update_fields=["status", "failure_code", "failure_params", "failure_detail", "content",
                                  "updated_at"])
    return batch


def _start(batch_id, *, ready, running):
    """Move a batch into a running phase in its own short transaction (so the page shows it) and say whether this
    delivery of the task should run. A redelivered task (the worker died) finds the phase still running and runs
    again; one that finds the phase finished does nothing."""
    with transaction.atomic():
        batch = _lock(batch_id)
        if batch.status not in {ready, running}:
            return None
        if batch.status != running:
            batch.status = running
            batch.save(update_fields=["status", "updated_at"])
    return batch


def customer_import_validate(*, batch_id):
    """Check every row of an uploaded batch and record the plan: counts, the first rows, the row errors.

    Writes nothing but the batch and its errors. Idempotent: a batch past this phase is left alone.
    """
    batch = _start(batch_id, ready=CustomerImport.Status.UPLOADED, running=CustomerImport.Status.VALIDATING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = _lock(batch_id)
            if batch.status != CustomerImport.Status.VALIDATING:
                return batch
            counts, preview = _run(batch, apply=False)
            batch.status = CustomerImport.Status.VALIDATED
            batch.total_rows, batch.new_count = counts["rows"], counts[NEW]
            batch.update_count, batch.error_count = counts[UPDATE], counts[SKIP]
            batch.preview, batch.validated_at = preview, timezone.now()
            batch.save(update_fields=["status", "total_rows", "new_count", "update_count", "error_count", "preview",
                                      "validated_at", "updated_at"])
    except CustomerImportRefused as exc:
        return _fail(batch_id, exc.code, params=exc.params)
    except Exception as exc:
        # Not a bad file: a bug, the database gone, the time limit. The batch says it failed rather than "checking"
        # for ever, and the error still reaches the worker's log.
        _fail(batch_id, "check_failed", detail=str(exc).strip())
        raise
    logger.info("customer import checked", extra={"batch": batch.pk, **counts})
    return batch


@transaction.atomic
def customer_import_confirm(*, batch, user):
    """Queue a checked batch for applying; refused unless it was checked and has rows to apply."""
    batch = _lock(batch.pk)
    if batch.status != CustomerImport.Status.VALIDATED:
        raise ScrmError(MSG_NOT_CHECKED)
    if not (batch.new_count or batch.update_count):
        raise ScrmError(MSG_NOTHING_TO_APPLY)
    batch.status, batch.confirmed_by = CustomerImport.Status.APPLYING, user
    batch.save(update_fields=["status", "confirmed_by", "updated_at"])
    _progress_set(batch, done=0, total=batch.total_rows)
    _enqueue(batch)
    return batch


def customer_import_cancel(*, batch, user):
    """Drop a batch that was not applied; its stored file goes with it."""
    if batch.status == CustomerImport.Status.VALIDATING:
        raise ScrmError(MSG_STILL_CHECKING)
    with transaction.atomic():
        batch = _lock(batch.pk)
        if batch.status not in {CustomerImport.Status.UPLOADED, CustomerImport.Status.VALIDATED}:
            raise ScrmError(MSG_CANNOT_CANCEL)
        batch.status, batch.content = CustomerImport.Status.CANCELLED, b""
        batch.save(update_fields=["status", "content", "updated_at"])
    logger.info("customer import cancelled", extra={"batch": batch.pk, "user": user.pk})
    return batch


def customer_import_apply(*, batch_id):
    """Apply a confirmed batch in one transaction: create the new customers (source "import"), fill the empty fields
    of existing ones and add their tags and identities, and log what undo needs. Rows with errors are skipped.

    The rows are planned again inside the transaction, so a customer created since the check is updated rather than
    duplicated. On any database error nothing is written and the batch is marked failed. Idempotent.
    """
    batch = _start(batch_id, ready=CustomerImport.Status.APPLYING, running=CustomerImport.Status.APPLYING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = _lock(batch_id)
            if batch.status != CustomerImport.Status.APPLYING:
                return batch
            counts, _preview = _run(batch, apply=True)
            batch.status = CustomerImport.Status.APPLIED
            batch.total_rows, batch.new_count = counts["rows"], counts[NEW]
            batch.update_count, batch.error_count = counts[UPDATE], counts[SKIP]
            batch.applied_at, batch.content = timezone.now(), b""
            batch.save(update_fields=["status", "total_rows", "new_count", "update_count", "error_count",
                                      "applied_at", "content", "updated_at"])
    except CustomerImportRefused as exc:
        return _fail(batch_id, exc.code, params=exc.params)
    except DatabaseError as exc:
        # Rolled back as a whole; the cause is kept for whoever looks at the batch.
        logger.warning("customer import failed: %s", exc, extra={"batch": batch_id})
        return _fail(batch_id, "apply_failed", detail=str(exc).strip())
    except Exception as exc:
        # Rolled back too; a bug or the time limit, so it is also re-raised for the worker's log.
        _fail(batch_id, "apply_failed", detail=str(exc).strip())
        raise
    logger.info("customer import applied", extra={"batch": batch.pk, **counts})
    return batch


def _run(batch, *, apply):
    """Plan every row of the batch's file, chunk by chunk; when `apply`, write each chunk. Records the row errors
    (replacing earlier ones) and returns the counts and the preview."""
    sheet = _read_sheet(_content(batch), batch.file_name)
    lookups = _Lookups(batch.organization_id)
    state = _FileState()
    total = sheet.count_rows(MAX_ROWS)
    if total > MAX_ROWS:
        raise CustomerImportRefused("too_many_rows", limit=MAX_ROWS)
    if total == 0:
        raise CustomerImportRefused("no_rows")
    CustomerImportRowError.objects.filter(batch=batch).delete()
    _progress_set(batch, done=0, total=total)

    counts, preview, stored_errors, done = Counter(rows=0), [], 0, 0
    now = timezone.now()
    for chunk in _chunks(sheet.rows(), CHUNK_ROWS):
        plans = _plan_chunk(chunk, sheet, lookups, state)
        if apply:
            _write_chunk(batch, plans, now)
        errors = []
        for plan in plans:
            counts["rows"] += 1
            counts[plan.action] += 1
            for name, code, params in plan.errors:
                errors.append(CustomerImportRowError(
                    organization_id=batch.organization_id, batch=batch, row=plan.row,
                    column=sheet.headers.get(name, "")[:100], code=code, params=params,
                ))
            if len(preview) < PREVIEW_ROWS:
                preview.append(_preview_row(plan, lookups))
        room = MAX_STORED_ERRORS - stored_errors
        if errors and room > 0:
            CustomerImportRowError.objects.bulk_create(errors[:room], batch_size=1000)
            stored_errors += min(room, len(errors))
        done += len(chunk)
        _progress_set(batch, done=done, total=total)
    return counts, preview


def _preview_row(plan, lookups):
    """A row as it will be imported, for the preview; personal data masked (the uploader has the file)."""
    values = plan.values
    identity = ""
    if plan.identity:
        channel, app_id, external_id = plan.identity
        identity = f"{channel}:{external_id}" if not app_id else f"{channel}:{app_id}:{external_id}"
    return {
        "row": plan.row, "action": plan.action, "customer_id": plan.customer_id,
        "display_name": values["display_name"], "real_name": mask_name(values["real_name"]),
        "mobile": mask_mobile(values["mobile"]) if values["mobile"] else "", "email": values["email"],
        "level": values["level"] or "", "region": lookups.region_names.get(values["region_id"], ""),
        "tags": [lookups.tag_names[t] for t in plan.tag_ids], "owner": lookups.owner_names.get(values["owner_id"], ""),
        "identity": identity,
    }


def _write_chunk(batch, plans, now):
    """Write one chunk of planned rows and its undo log, inside the apply transaction."""
    organization_id = batch.organization_id
    news = [p for p in plans if p.action == NEW]
    updates = [p for p in plans if p.action == UPDATE]

    created = [
        Customer(
            organization_id=organization_id, display_name=p.values["display_name"], real_name=p.values["real_name"],
            mobile=p.values["mobile"], email=p.values["email"], region_id=p.values["region_id"],
            owner_id=p.values["owner_id"], level=p.values["level"] or Customer.Level.NORMAL, notes=p.values["notes"],
            source_channel=Channel.IMPORT,
        )
        for p in news
    ]
    Customer.objects.bulk_create(created, batch_size=1000)
    customer_of = {id(p): c.pk for p, c in zip(news, created, strict=True)}

    # Existing customers are locked in id order, so two imports touching the same customers queue rather than
    # deadlock within a chunk.
    existing = {c.pk: c for c in Customer.objects.select_for_update().filter(
        pk__in=[p.customer_id for p in updates]).order_by("pk")}
    has_tags = set(CustomerTag.objects.filter(customer_id__in=existing).values_list("customer_id", "tag_id"))
    changes, changed_customers, changed_fields = {}, [], set()
    for plan in updates:
        customer = existing.get(plan.customer_id)
        if customer is None:
            # Deleted in the instant between the plan and the lock: start again rather than guess.
            raise CustomerImportRefused("apply_failed")
        customer_of[id(plan)] = customer.pk
        previous, applied = {}, {}
        for attname, key in FILLABLE.items():
            value = plan.values[key]
            if value and not getattr(customer, attname):
                previous[attname], applied[attname] = getattr(customer, attname), value
                setattr(customer, attname, value)
        level = plan.values["level"]
        if level and LEVEL_RANK[level] > LEVEL_RANK[customer.level]:
            previous["level"], applied["level"] = customer.level, level
            customer.level = level
        if previous:
            customer.updated_at = now
            changed_customers.append(customer)
            changed_fields.update(previous)
        changes[id(plan)] = CustomerImportChange(
            organization_id=organization_id, batch=batch, customer_id=customer.pk, row=plan.row,
            action=CustomerImportChange.Action.UPDATED, previous=previous, applied=applied,
            tag_ids=[t for t in plan.tag_ids if (customer.pk, t) not in has_tags],
        )
    if changed_customers:
        _update_customers(changed_customers, [*sorted(changed_fields), "updated_at"], organization_id)
    for plan in news:
        changes[id(plan)] = CustomerImportChange(
            organization_id=organization_id, batch=batch, customer_id=customer_of[id(plan)], row=plan.row,
            action=CustomerImportChange.Action.CREATED, tag_ids=list(plan.tag_ids),
        )

    tags = [
        CustomerTag(organization_id=organization_id, customer_id=customer_of[id(p)], tag_id=t)
        for p in (*news, *updates) for t in changes[id(p)].tag_ids
    ]
    # ignore_conflicts: a tag someone added a moment ago is no reason to fail a hundred thousand rows.
    CustomerTag.objects.bulk_create(tags, batch_size=2000, ignore_conflicts=True)

    with_identity = [p for p in (*news, *updates) if p.identity and not p.identity_exists]
    identities = [
        ChannelIdentity(organization_id=organization_id, customer_id=customer_of[id(p)], channel=p.identity[0],
                        app_id=p.identity[1], external_id=p.identity[2])
        for p in with_identity
    ]
    # No ignore_conflicts here: an identity someone else created since the plan fails the import (and rolls it back)
    # rather than being silently linked to two customers.
    ChannelIdentity.objects.bulk_create(identities, batch_size=1000)
    for plan, identity in zip(with_identity, identities, strict=True):
        changes[id(plan)].identity_ids = [identity.pk]

    CustomerImportChange.objects.bulk_create(changes.values(), batch_size=1000)




def _update_customers(customers, attnames, organization_id):
    """Write `attnames` of many customers at once.

    QuerySet.bulk_update builds a CASE expression per row and field in Python, about a millisecond a row; one
    UPDATE … FROM (VALUES …) per thousand rows does the same work in the database. The statement is
    limited to the batch's organization, as the scoped manager would.
    """
    fields = [Customer._meta.get_field(name) for name in attnames]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    template = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    sql = (
        f"UPDATE {connection.ops.quote_name(Customer._meta.db_table)} AS c "  # noqa: S608 - names from the model
        f"SET {', '.join(f'{col} = v.{col}' for col in columns)} "
        f"FROM (VALUES %(values)s) AS v(id, {', '.join(columns)}) "
        f"WHERE c.id = v.id AND c.organization_id = %(organization)s"
    )
    rows = [(c.pk, *(f.get_db_prep_save(getattr(c, f.attname), connection) for f in fields)) for c in customers]
    tenant_sql(sql, organization=organization_id, values=rows, template=template, page_size=1000)

# --- Undo ------------------------------------------------------------------------------------------------------------
@transaction.atomic
def customer_import_request_undo(*, batch, user):
    """Queue the undo of an applied batch (it may touch a hundred thousand customers: a worker does it)."""
    batch = _lock(batch.pk)
    if batch.status in {CustomerImport.Status.UNDOING, CustomerImport.Status.UNDONE}:
        raise ScrmError(MSG_ALREADY_UNDONE)
    if batch.status != CustomerImport.Status.APPLIED:
        raise ScrmError(MSG_UNDO_NOT_APPLIED)
    batch.status, batch.undone_by = CustomerImport.Status.UNDOING, user
    batch.failure_code, batch.failure_params, batch.failure_detail = "", {}, ""
    batch.save(update_fields=["status", "undone_by", "failure_code", "failure_params", "failure_detail",
                              "updated_at"])
    _progress_set(batch, done=0, total=batch.new_count + batch.update_count)
    _enqueue(batch)
    return batch


def customer_import_undo(*, batch_id):
    """Undo an applied batch in one transaction: delete the customers it created, and on the customers it updated
    restore each field it filled (unless someone changed that field since) and remove the tags and identities it
    added.

    Refused, changing nothing, when a created customer has since gained a life of its own: another channel identity,
    a merge, a ticket or anything else that protects it from deletion. The batch then stays applied, with the reason.
    """
    batch = _start(batch_id, ready=CustomerImport.Status.UNDOING, running=CustomerImport.Status.UNDOING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = _lock(batch_id)
            if batch.status != CustomerImport.Status.UNDOING:
                return batch
            _undo(batch)
            batch.status, batch.undone_at = CustomerImport.Status.UNDONE, timezone.now()
            batch.save(update_fields=["status", "undone_at", "updated_at"])
    except CustomerImportRefused as exc:
        return _undo_refused(batch_id, exc.code, params=exc.params)
    except DatabaseError as exc:
        logger.warning("customer import undo failed: %s", exc, extra={"batch": batch_id})
        return _undo_refused(batch_id, "undo_failed", detail=str(exc).strip())
    except Exception as exc:
        _undo_refused(batch_id, "undo_failed", detail=str(exc).strip())
        raise
    logger.info("customer import undone", extra={"batch": batch.pk})
    return batch


def _undo_refused(batch_id, code, *, params=None, detail=""):
    with transaction.atomic():
        batch = _lock(batch_id)
        batch.status, batch.undone_by = CustomerImport.Status.APPLIED, None
        batch.failure_code, batch.failure_params, batch.failure_detail = code, params or {}, redact(
            detail, organization_id=batch.organization_id)
        batch.save(update_fields=["status", "undone_by", "failure_code", "failure_params", "failure_detail",
                                  "updated_at"])
    return batch


def _undo(batch):
    changes = CustomerImportChange.objects.filter(batch=batch)
    created = list(changes.filter(action=CustomerImportChange.Action.CREATED)
                   .order_by("customer_id").values_list("customer_id", "identity_ids"))
    updated = list(changes.filter(action=CustomerImportChange.Action.UPDATED).order_by("customer_id"))
    total, done = len(created) + len(updated), 0
    _progress_set(batch, done=0, total=total)

    created_ids = [customer_id for customer_id, _ids in created]
    own_identities = {pk for _customer_id, ids in created for pk in ids}
    for chunk in _chunks(created_ids, CHUNK_ROWS):
        identities = ChannelIdentity.objects.filter(customer_id__in=chunk).values_list("pk", flat=True)
        if not set(identities) <= own_identities:
            raise CustomerImportRefused("undo_foreign_identities")

    now = timezone.now()
    for chunk in _chunks(updated, CHUNK_ROWS):
        customers = {c.pk: c for c in Customer.objects.select_for_update().filter(
            pk__in=[change.customer_id for change in chunk]).order_by("pk")}
        restored, fields, untag, identity_ids = [], set(), defaultdict(list), []
        for change in chunk:
            identity_ids.extend(change.identity_ids)
            for tag_id in change.tag_ids:
                untag[tag_id].append(change.customer_id)
            customer = customers.get(change.customer_id)
            if customer is None:
                continue  # deleted since: nothing left to restore
            touched = False
            for attname, old in change.previous.items():
                # A field someone changed after the import keeps their value.
                if getattr(customer, attname) == change.applied.get(attname):
                    setattr(customer, attname, old)
                    fields.add(attname)
                    touched = True
            if touched:
                customer.updated_at = now
                restored.append(customer)
        if restored:
            _update_customers(restored, [*sorted(fields), "updated_at"], batch.organization_id)
        for tag_id, customer_ids in untag.items():
            CustomerTag.objects.filter(tag_id=tag_id, customer_id__in=customer_ids).delete()
        if identity_ids:
            ChannelIdentity.objects.filter(pk__in=identity_ids).delete()
        done += len(chunk)
        _progress_set(batch, done=done, total=total)

    for chunk in _chunks(created_ids, CHUNK_ROWS):
        try:
            Customer.objects.filter(pk__in=chunk).delete()
        except (ProtectedError, RestrictedError) as exc:
            raise CustomerImportRefused("undo_referenced") from exc
        done += len(chunk)
        _progress_set(batch, done=done, total=total)


# --- Reads (for the pages) -------------------------------------------------------------------------------------------
def customer_import_list(*, organization, limit=20):
    """The organization's latest batches, for the import page."""
    return list(CustomerImport.objects.filter(organization=organization).select_related("created_by")[:limit])


def customer_import_get(*, organization, pk):
    """One batch of the organization (raises CustomerImport.DoesNotExist for another organization's)."""
    return CustomerImport.objects.select_related("created_by", "confirmed_by", "undone_by").get(
        organization=organization, pk=pk)


def customer_import_errors(*, batch, limit=None):
    """The batch's row errors as the reader should see them: row, column, message in the active language."""
    rows = CustomerImportRowError.objects.filter(batch=batch).order_by("row", "pk").values_list(
        "row", "column", "code", "params")
    rows = rows[:limit] if limit is not None else rows.iterator(chunk_size=2000)
    for row, column, code, params in rows:
        yield {"row": row, "column": column, "message": describe(ROW_MESSAGES, code, params)}


def customer_import_failure(batch):
    """Why the batch failed (or why its undo was refused), in the active language; "" when it did not."""
    return describe(FILE_MESSAGES, batch.failure_code, batch.failure_params) if batch.failure_code else ""


def customer_import_same_file(*, batch):
    """An earlier batch of the organization that imported the same file (same SHA-256), or None."""
    return (CustomerImport.objects.filter(organization_id=batch.organization_id, file_sha256=batch.file_sha256,
                                          status=CustomerImport.Status.APPLIED)
            .exclude(pk=batch.pk).order_by("-applied_at").first())

"""Reading an uploaded file: CSV (UTF-8, GBK, UTF-16; comma, tab or semicolon) or XLSX, with the bounds that keep
a hostile file (a zip bomb, a broken CSV) from costing more than a real customer list."""

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import islice

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from scrm.customers.imports.columns import cell_text, find_header
from scrm.customers.imports.messages import CustomerImportRefused
from scrm.models import CustomerImport

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
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


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
_XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# More control characters than this in a text file's first 8 KiB: it is not a spreadsheet saved as text.
MAX_HEAD_CONTROL_CHARS = 8


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
            values = [cell_text(v) for v in cells]
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


def read_sheet(content, file_name):
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
        find_header(sheet, list(islice(sheet._raw_rows(), HEADER_SEARCH_ROWS)))
        return sheet
    if extension not in _CSV_EXTENSIONS:
        raise CustomerImportRefused("not_spreadsheet")
    # NUL bytes all through the head mean a binary file (or UTF-16 without its BOM); a few are a stray NUL in a
    # cell, which cell_text drops like any control character.
    head_nuls = content[:8192].count(b"\x00")
    if head_nuls > MAX_HEAD_CONTROL_CHARS and not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CustomerImportRefused("not_spreadsheet")
    text = _decode_csv(content)
    if len(_CONTROL_CHARS.findall(text[:8192])) > MAX_HEAD_CONTROL_CHARS:
        raise CustomerImportRefused("not_spreadsheet")
    # The delimiter that turns the most titles into fields we know: comma, or tab (Excel's "Unicode text"), or
    # semicolon (Excel in some locales).
    best = None
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    for delimiter in (",", "\t", ";"):
        candidate = _Sheet(kind=CustomerImport.Kind.CSV, content=b"", text=text, delimiter=delimiter)
        try:
            found = find_header(candidate, list(csv.reader(io.StringIO(head), delimiter=delimiter)))
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


def batch_content(batch):
    """The batch's uploaded file, read from storage (by whichever worker runs the phase)."""
    with batch.file.storage.open(batch.file.name, "rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)

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

One module per concern: reading (files and their bounds), columns (mapping titles to fields), planning (row
validation), applying (writing in batches), undo, phases (the job entry points), progress, messages, and selectors
(reads for the pages). This package's public names are listed below; messages are imported from `.messages`.
"""

from scrm.customers.imports.applying import MAX_STORED_ERRORS, PREVIEW_ROWS
from scrm.customers.imports.messages import CustomerImportRefused
from scrm.customers.imports.phases import (
    IMPORT_KIND,
    customer_import_apply,
    customer_import_cancel,
    customer_import_confirm,
    customer_import_upload,
    customer_import_validate,
)
from scrm.customers.imports.planning import NEW, SKIP, UPDATE
from scrm.customers.imports.progress import customer_import_progress
from scrm.customers.imports.reading import MAX_FILE_BYTES, MAX_ROWS
from scrm.customers.imports.selectors import (
    customer_import_errors,
    customer_import_failure,
    customer_import_get,
    customer_import_list,
    customer_import_same_file,
)
from scrm.customers.imports.undo import customer_import_request_undo, customer_import_undo

__all__ = [
    "IMPORT_KIND", "MAX_FILE_BYTES", "MAX_ROWS", "MAX_STORED_ERRORS", "NEW", "PREVIEW_ROWS", "SKIP", "UPDATE",
    "CustomerImportRefused", "customer_import_apply", "customer_import_cancel", "customer_import_confirm",
    "customer_import_errors", "customer_import_failure", "customer_import_get", "customer_import_list",
    "customer_import_progress", "customer_import_request_undo", "customer_import_same_file", "customer_import_undo",
    "customer_import_upload", "customer_import_validate",
]

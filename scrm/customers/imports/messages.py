"""What an import tells its users: the file-level refusals and the row errors, each a stored code with its
message (tests import them), worded in the reader's language by the one registry of coded messages
(scrm.platform.coded, namespaces ROW_NAMESPACE and FILE_NAMESPACE)."""


from django.utils.translation import gettext_lazy as _

from scrm.customers.phones import MSG_BAD_MOBILE
from scrm.errors import MSG_OWNER_NOT_ALLOWED, MSG_UNKNOWN_TAG, ScrmError
from scrm.platform.coded import coded_messages_register, coded_render

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
# Being active is not enough to own customers (customer_owner_choices): point to the people the customer page offers.
ROW_MSG_UNKNOWN_OWNER = _("Unknown owner: %(value)s. Write the user name of someone who may own customers (as offered "
                          "under Owner on the customer page).")
# The customer page's and API's words (customer_owner_check): only someone who works customers may own one.
ROW_MSG_OWNER_NOT_ALLOWED = MSG_OWNER_NOT_ALLOWED
ROW_MSG_BAD_LEVEL = _("Unknown level “%(value)s”: use 普通, VIP or SVIP.")
ROW_MSG_UNKNOWN_TAG = MSG_UNKNOWN_TAG
ROW_MSG_UNKNOWN_CHANNEL = _("Unknown channel: %(value)s.")
ROW_MSG_IDENTITY_INCOMPLETE = _("A channel identity needs both the channel and the external ID.")
ROW_MSG_DUPLICATE_ROW = _("Same as row %(row)s.")
ROW_MSG_DUPLICATE_MOBILE = _("Same mobile as row %(row)s.")
ROW_MSG_DUPLICATE_IDENTITY = _("Same channel identity as row %(row)s.")
ROW_MSG_SAME_CUSTOMER = _("Matches the same existing customer as row %(row)s.")
ROW_MSG_CONFLICT = _("The mobile belongs to one existing customer and the channel identity to another.")
ROW_MSG_MASKED = _("This row holds masked personal data (%(value)s), as an export without full data writes it: it "
                   "cannot be imported over real data. Export with full data, or empty the column.")
ROW_MSG_BAD_IDENTITY = _("“%(value)s” is not a channel identity: write channel:app id:external id, several separated "
                         "by semicolons.")


ROW_NAMESPACE = "scrm.customer_import_row"
ROW_MESSAGES = coded_messages_register({
    "name_required": ROW_MSG_NAME_REQUIRED,
    "too_long": ROW_MSG_TOO_LONG,
    "bad_mobile": ROW_MSG_BAD_MOBILE,
    "bad_email": ROW_MSG_BAD_EMAIL,
    "unknown_region": ROW_MSG_UNKNOWN_REGION,
    "unknown_owner": ROW_MSG_UNKNOWN_OWNER,
    "owner_not_allowed": ROW_MSG_OWNER_NOT_ALLOWED,
    "bad_level": ROW_MSG_BAD_LEVEL,
    "unknown_tag": ROW_MSG_UNKNOWN_TAG,
    "unknown_channel": ROW_MSG_UNKNOWN_CHANNEL,
    "identity_incomplete": ROW_MSG_IDENTITY_INCOMPLETE,
    "duplicate_row": ROW_MSG_DUPLICATE_ROW,
    "duplicate_mobile": ROW_MSG_DUPLICATE_MOBILE,
    "duplicate_identity": ROW_MSG_DUPLICATE_IDENTITY,
    "same_customer": ROW_MSG_SAME_CUSTOMER,
    "conflict": ROW_MSG_CONFLICT,
    "masked": ROW_MSG_MASKED,
    "bad_identity": ROW_MSG_BAD_IDENTITY,
}, namespace=ROW_NAMESPACE)


FILE_NAMESPACE = "scrm.customer_import"
FILE_MESSAGES = coded_messages_register({
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
}, namespace=FILE_NAMESPACE)


class CustomerImportRefused(ScrmError):
    """A file (or a step of a batch) that cannot go on; `code` and `params` let a batch record it for later readers."""

    def __init__(self, code, **params):
        self.code, self.params = code, params
        super().__init__(coded_render({"code": code, "params": params}, namespace=FILE_NAMESPACE))


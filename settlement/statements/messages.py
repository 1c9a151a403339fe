"""Why a statement file was refused, as codes with parameters (a worker has no user language; the page renders them
in the reader's). Every refusal names the line of the file it is about (`line`, 0 when it is about the whole file).
The import stores them as {"line", "code", "params"} (`StatementRefused.as_error`), worded by scrm.platform.coded
(codes registered in STATEMENT_REFUSALS_NAMESPACE)."""

from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_messages_register, coded_render
from settlement.errors import SettlementError

STATEMENT_REFUSALS_NAMESPACE = "settlement.statement"
MESSAGES = coded_messages_register({
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than %(limit)s MB."),
    "duplicate": _("This file was already imported (import #%(first)s, %(first_name)s): a statement is imported "
                   "once."),
    "unknown_layout": _("Line %(line)s: these column titles are not those of a %(layout)s. Is this the right file "
                        "for this channel?"),
    "looks_like": _("Line %(line)s: this file is not of the layout %(layout)s; it looks like: %(found)s. Choose "
                    "the channel it belongs to."),
    "encoding": _("Line %(line)s cannot be read as %(encoding)s text: the file was damaged or saved in another "
                  "encoding."),
    "not_zip": _("The file is not a ZIP archive: an Alipay bill is the ZIP Alipay delivers (its CSV files inside)."),
    "zip_member_missing": _("The ZIP holds no member named like %(name)s: is this an Alipay bill?"),
    "zip_too_large": _("The ZIP unpacks to more than %(limit)s MB."),
    "columns": _("Line %(line)s has %(found)s columns where the header has %(expected)s: the file is damaged or "
                 "was edited."),
    "missing_column": _("Line %(line)s: the column %(column)s is missing."),
    "bad_amount": _("Line %(line)s, column %(column)s: %(value)s is not an amount in yuan."),
    "bad_time": _("Line %(line)s, column %(column)s: %(value)s is not a time (expected %(format)s)."),
    "bad_status": _("Line %(line)s, column %(column)s: unknown value %(value)s."),
    "value_too_long": _("Line %(line)s, column %(column)s: the value is longer than %(limit)s characters."),
    "truncated": _("The file ends at line %(line)s without its summary: it is incomplete (cut off while it was "
                   "downloaded or copied)."),
    "summary_mismatch": _("Line %(line)s: the summary says %(name)s is %(stated)s but the detail rows add up to "
                          "%(computed)s. The file is refused: its details do not add up to its own summary."),
    "after_summary": _("Line %(line)s: there is more after the summary."),
    "no_lines": _("The file holds no payment or refund."),
    "mapping_incomplete": _("The channel's column mapping names no column for %(field)s: complete it in the "
                            "channel's settings."),
    "bad_xlsx": _("The file is not an Excel workbook (.xlsx) that can be read."),
    "channel_inactive": _("The channel %(channel)s is switched off."),
    "failed": _("The import failed because of an error on our side; it can be uploaded again."),
}, namespace=STATEMENT_REFUSALS_NAMESPACE)


class StatementRefused(SettlementError):
    """A statement file that cannot be imported; `code` names the message, `params` fill it, `line` is the line of
    the file (0: the file as a whole)."""

    def __init__(self, code, *, line=0, **params):
        params = {"line": line, **params}
        self.line = line
        super().__init__(coded_render({"code": code, "params": params}, namespace=STATEMENT_REFUSALS_NAMESPACE),
                         code=code, params=params)

    @property
    def message(self):
        """The refusal in the active language."""
        return coded_render(self.as_error(), namespace=STATEMENT_REFUSALS_NAMESPACE)

    def as_error(self):
        return {"line": self.line, "code": self.code, "params": {k: str(v) for k, v in self.params.items()}}

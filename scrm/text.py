"""Text from outside (the API, imported files, forms) cleaned once on the way in, and text on its way out to a
spreadsheet made safe for it.

Control characters have no meaning in a name, a note or a message, and one of them in a customer name made the
XLSX export of the whole organization fail (openpyxl refuses them: IllegalCharacterError). NUL and lone surrogates
cannot even be stored (PostgreSQL refuses both): where text arrives as a field the caller must correct (API fields,
JSON), they are an error; in a file's cells they are dropped like the others.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

__all__ = ["MSG_UNSTORABLE", "CleanCharField", "clean_text", "clean_tree", "is_storable", "xlsx_text"]

# C0 controls but tab, newline and carriage return; DEL; lone surrogates; the non-characters U+FFFE and U+FFFF.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

MSG_UNSTORABLE = _("The text contains a NUL character or an invalid (surrogate) character.")
# Django's own zh_Hans catalog words its form fields' NUL refusal as "不允许是用空字符串" ("empty strings are not
# allowed"), which sends people looking for an empty field; our catalog (LOCALE_PATHS, read first) says what it is.
DJANGO_RETRANSLATED = (_("Null characters are not allowed."),)


def clean_text(value):
    """`value` without control characters (tab and line breaks kept); anything not a str is returned as it is."""
    if isinstance(value, str) and _UNWANTED.search(value):
        return _UNWANTED.sub("", value)
    return value


def is_storable(value):
    """Whether a string (or every string in a JSON-like tree, keys included) can be stored by PostgreSQL."""
    if isinstance(value, str):
        return not _UNSTORABLE.search(value)
    if isinstance(value, dict):
        return all(is_storable(k) and is_storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(is_storable(v) for v in value)
    return True


def clean_tree(value):
    """clean_text over every string of a JSON-like tree (dict keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(v) for v in value]
    return value


def xlsx_text(value):
    """A value a workbook cell accepts: text already stored with characters openpyxl refuses loses them."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


class CleanCharField(forms.CharField):
    """A form CharField whose value is cleaned of control characters (NUL is refused by Django's own validator)."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if isinstance(value, str) and "\x00" not in value else value

"""Our date formats per language (FORMAT_MODULE_PATH): a time reads "2026-12-05 05:29" (Asia/Shanghai) on every page,
whatever renders it: a template's `|date:"SHORT_DATETIME_FORMAT"`, a table column left to the default format, the
admin. Django's own would read "2026年12月5日 05:29" in Chinese (too long for a narrow cell: it breaks across lines)
and "12/05/2026 5:29 a.m." in English (month and day in the American order)."""

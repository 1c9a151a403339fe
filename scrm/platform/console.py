"""What the platform console counts per organization, filled by the apps (the core app imports none of them).

Each app registers, from its `AppConfig.ready()`:

    register_daily_count("tickets", label=_("Tickets created"), model=Ticket, field="created_at")
    register_stored_files("attachments", label=_("Attachments"), model=Attachment, size_field="size")

A daily count is the rows of `model` per organization and day of `field` (Asia/Shanghai days); stored files are the
bytes of the files a model keeps in Django's storage, summed from its size column over the rows that still name a
file. `scrm.selectors.console_organizations` reads each with one GROUP BY over every organization.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DailyCount:
    key: str
    label: object
    model: type
    field: str


@dataclass(frozen=True)
class StoredFiles:
    key: str
    label: object
    model: type
    size_field: str
    file_field: str = "file"


_DAILY = {}
_STORED = {}


def register_daily_count(key, *, label, model, field):
    _DAILY[key] = DailyCount(key=key, label=label, model=model, field=field)


def register_stored_files(key, *, label, model, size_field, file_field="file"):
    _STORED[key] = StoredFiles(key=key, label=label, model=model, size_field=size_field, file_field=file_field)


def daily_counts():
    return list(_DAILY.values())


def stored_files():
    return list(_STORED.values())

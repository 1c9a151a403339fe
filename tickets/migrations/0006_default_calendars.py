"""Give every existing organization the preset SLA calendars (7×24, and 7×12 08:00–20:00 following the mainland
China holidays and make-up working days), as `tickets.services.sla.calendars_ensure_defaults` does for a new one
(`manage.py seed_holidays --organization <slug> --defaults`). Names already taken are left alone."""

from datetime import date

from django.db import migrations
from django.utils import timezone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CALENDARS = [
    ("7×24", "24x7", {day: ["00:00-24:00"] for day in WEEKDAYS}, False),
    ("7×12 08:00–20:00", "7x12", {day: ["08:00-20:00"] for day in WEEKDAYS}, True),
]


def create(apps, schema_editor):
    import chinese_calendar

    organization_model = apps.get_model("scrm", "Organization")
    calendar_model = apps.get_model("tickets", "BusinessCalendar")
    day_model = apps.get_model("tickets", "CalendarDay")
    first_year = timezone.now().year - 1
    for organization in organization_model.objects.all():
        for name, preset, hours, china in CALENDARS:
            if calendar_model._base_manager.filter(organization=organization, name=name).exists():
                continue
            calendar = calendar_model._base_manager.create(
                organization=organization, name=name, preset=preset, weekly_hours=hours,
                time_zone="Asia/Shanghai", follows_china_holidays=china,
            )
            if not china:
                continue
            rows = [
                day_model(organization=organization, calendar=calendar, date=day, kind=kind, name=str(label)[:50],
                          source="china")
                for kind, source in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays))
                for day, label in source.items() if isinstance(day, date) and day.year >= first_year
            ]
            day_model._base_manager.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_merge_0004_attachments_0004_sla_roles"),
        ("scrm", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

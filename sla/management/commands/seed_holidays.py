"""Seed the mainland China public holidays and 调休 make-up working days into business calendars.

    manage.py seed_holidays --organization acme            # its calendars that follow the China holidays
    manage.py seed_holidays --all                           # every organization (platform maintenance)
    manage.py seed_holidays --organization acme --years 2025 2026 --defaults

`--defaults` also creates the organization's preset calendars (7×24, 7×12) when it has none: the way to give an
organization that existed before SLA its default calendars. Idempotent; days entered by ops are kept.
"""

from django.core.management.base import BaseCommand, CommandError

from scrm.errors import MSG_NO_ORGANIZATION, MSG_NO_ORGANIZATIONS_YET
from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from sla.models import BusinessCalendar
from sla.services import (
    MSG_HOLIDAYS_SEEDED,
    calendar_seed_china_holidays,
    calendars_ensure_defaults,
    china_holiday_years,
)


class Command(BaseCommand):
    help = "Seed mainland China public holidays and make-up working days into business calendars."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--organization", help="the organization's slug")
        target.add_argument("--all", action="store_true", help="every organization")
        parser.add_argument("--years", nargs="*", type=int, help="years to seed (default: last year on)")
        parser.add_argument("--defaults", action="store_true", help="create the preset calendars if missing")

    def handle(self, *args, **options):
        # Organizations are the tenants themselves, not tenant rows: listing them needs no lift. Each one's
        # calendars are then seeded in its own scope.
        organizations = list(Organization.objects.all() if options["all"]
                             else Organization.objects.filter(slug=options["organization"]))
        if not organizations:
            if options["all"]:
                raise CommandError(str(MSG_NO_ORGANIZATIONS_YET))
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": options["organization"]}))
        first, last = china_holiday_years()
        for organization in organizations:
            with tenant_scope(organization):
                if options["defaults"]:
                    calendars_ensure_defaults(organization=organization)
                for calendar in BusinessCalendar.objects.filter(follows_china_holidays=True):
                    written = calendar_seed_china_holidays(calendar=calendar, years=options["years"])
                    self.stdout.write(str(MSG_HOLIDAYS_SEEDED % {
                        "organization": organization.slug, "calendar": calendar.name, "count": written,
                        "first": first, "last": last}))

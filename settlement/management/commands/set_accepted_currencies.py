from django.core.management.base import BaseCommand, CommandError

from scrm.models import Organization
from settlement.errors import SettlementError
from settlement.services import ledger_currencies_set


class Command(BaseCommand):
    help = ("Set the currencies an organization's orders ledger accepts (ISO 4217 codes); orders and refunds in "
            "another currency are refused with the reason on their event. No code: accept every currency.")

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("currencies", nargs="*", help="e.g. CNY HKD")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organization {options['organization']!r}.")
        try:
            settings = ledger_currencies_set(organization=organization, currencies=options["currencies"])
        except SettlementError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{organization.slug}: {settings.accepted_currencies or 'any currency'}")

from django.core.management.base import BaseCommand, CommandError

from scrm.models import Organization
from settlement.errors import MSG_ANY_CURRENCY, MSG_CURRENCIES_SET, MSG_NO_ORGANIZATION, SettlementError
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
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": options["organization"]}))
        try:
            settings = ledger_currencies_set(organization=organization, currencies=options["currencies"])
        except SettlementError as exc:
            raise CommandError(str(exc)) from exc
        if settings.accepted_currencies:
            message = MSG_CURRENCIES_SET % {"organization": organization.slug,
                                            "currencies": settings.accepted_currencies}
        else:
            message = MSG_ANY_CURRENCY % {"organization": organization.slug}
        self.stdout.write(str(message))

"""Reconcile one channel's statement day (or days) now, for automation; prints the run's summary object."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope
from settlement.errors import MSG_NO_ORGANIZATION, MSG_NO_PAYMENT_CHANNEL_IN, MSG_NOT_A_DATE, SettlementError
from settlement.models import PaymentChannel
from settlement.reconciliation.services import reconciliation_run


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(str(MSG_NOT_A_DATE % {"value": value})) from exc


class Command(BaseCommand):
    help = ("Match a payment channel's statement lines of a day against the orders ledger and print the summary as "
            "one JSON object (the run and its discrepancies are stored, as from the workbench).")

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--channel", required=True, help="payment channel code, e.g. wechatpay")
        parser.add_argument("--date", required=True, help="statement day, YYYY-MM-DD")
        parser.add_argument("--to", default="", help="last statement day of a longer period (default: --date)")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": options["organization"]}))
        first = _day(options["date"])
        last = _day(options["to"]) if options["to"] else first
        with tenant_scope(organization):
            channel = PaymentChannel.objects.filter(code=options["channel"]).first()
            if channel is None:
                raise CommandError(str(MSG_NO_PAYMENT_CHANNEL_IN % {"code": options["channel"],
                                                                    "organization": organization.slug}))
            try:
                run = reconciliation_run(channel=channel, period_start=first, period_end=last)
            except SettlementError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(run.summary, ensure_ascii=False))

"""Import a payment channel statement from the command line, for automation:

    manage.py import_statement --organization acme --channel wechatpay ./wechatpay-2026-11-30.csv

The file goes through the same service as an upload (stored once, read by the outbox job, here run at once in this
process) and one JSON object is printed: the import's id, status, layout, period, counts and totals. A refused file
(the same file again, a wrong layout, details that do not add up...) exits with status 1 and the reason, naming
the line."""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from scrm.models import Organization
from scrm.platform import outbox
from scrm.platform.tenancy import tenant_scope
from settlement.errors import MSG_NO_FILE, MSG_NO_ORGANIZATION, MSG_NO_PAYMENT_CHANNEL_IN
from settlement.models import PaymentChannel, StatementImport
from settlement.statements.messages import StatementRefused
from settlement.statements.selectors import statement_errors
from settlement.statements.services import STATEMENT_KIND, payment_channels_ensure, statement_import


def summary(row):
    return {"id": row.pk, "status": row.status, "file": row.file_name, "channel": row.channel.code,
            "layout": row.layout, "period_start": row.period_start.isoformat() if row.period_start else None,
            "period_end": row.period_end.isoformat() if row.period_end else None, "lines": row.line_count,
            "payments": row.payment_count, "refunds": row.refund_count, "gross_total": f"{row.gross_total:.2f}",
            "fee_total": f"{row.fee_total:.5f}", "errors": [e["message"] for e in statement_errors(row)]}


class Command(BaseCommand):
    help = "Import a payment channel statement file and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="the organization's slug")
        parser.add_argument("--channel", required=True, help="the payment channel's code (wechatpay, alipay, ...)")
        parser.add_argument("file", help="the statement file")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": options["organization"]}))
        if not os.path.isfile(options["file"]):
            raise CommandError(str(MSG_NO_FILE % {"path": options["file"]}))
        with tenant_scope(organization):
            payment_channels_ensure(organization=organization)
            channel = PaymentChannel.objects.filter(code=options["channel"]).first()
            if channel is None:
                raise CommandError(str(MSG_NO_PAYMENT_CHANNEL_IN % {"code": options["channel"],
                                                                    "organization": organization.slug}))
            try:
                with open(options["file"], "rb") as handle:
                    row = statement_import(organization=organization, channel=channel, file=handle,
                                           file_name=os.path.basename(options["file"]),
                                           source=StatementImport.Source.COMMAND)
            except StatementRefused as refused:
                raise CommandError(str(refused.message)) from None
        # The job, claimed and run here through the outbox (a worker that gets its message finds it done).
        outbox.run(STATEMENT_KIND, [row.pk])
        with tenant_scope(organization):
            row = StatementImport.objects.select_related("channel").get(pk=row.pk)
        self.stdout.write(json.dumps(summary(row), ensure_ascii=False))
        if row.status != StatementImport.Status.IMPORTED:
            raise CommandError("; ".join(summary(row)["errors"]) or row.status)

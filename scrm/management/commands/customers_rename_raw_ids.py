from django.core.management.base import BaseCommand, CommandError

from scrm.customers.services import customers_rename_raw_ids
from scrm.errors import MSG_CUSTOMERS_RENAMED, MSG_NO_ORGANIZATION
from scrm.models import Organization


class Command(BaseCommand):
    help = ("Give customers stored under a raw openid or buyer id the name a new one gets (微信用户 and the last "
            "four characters of the id). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="the organization's slug")

    def handle(self, *args, organization, **options):
        found = Organization.objects.filter(slug=organization).first()
        if found is None:
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": organization}))
        count = customers_rename_raw_ids(organization=found)
        self.stdout.write(self.style.SUCCESS(str(MSG_CUSTOMERS_RENAMED % {"count": count, "organization": found.slug})))

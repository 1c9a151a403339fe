from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scrm.errors import ScrmError
from scrm.services import organization_create


class Command(BaseCommand):
    help = "Create an organization (tenant), optionally with its first ops admin."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--admin", help="username of the first ops admin")
        parser.add_argument("--password", help="password of the first ops admin")
        parser.add_argument("--email", default="")

    def handle(self, *args, slug, name, admin, password, email, **options):
        if bool(admin) != bool(password):
            raise CommandError("--admin and --password go together.")
        try:
            organization = organization_create(
                slug=slug, name=name, admin_username=admin, admin_password=password, admin_email=email
            )
        except ScrmError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created organization {organization.slug} ({organization.name})."))
        if admin:
            self.stdout.write(f"Ops admin: {admin}")

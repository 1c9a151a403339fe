from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scrm.errors import MSG_ADMIN_NEEDS_PASSWORD, MSG_OPS_ADMIN_CREATED, MSG_ORGANIZATION_CREATED, ScrmError
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
            raise CommandError(str(MSG_ADMIN_NEEDS_PASSWORD))
        try:
            organization = organization_create(
                slug=slug, name=name, admin_username=admin, admin_password=password, admin_email=email
            )
        except ScrmError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(str(MSG_ORGANIZATION_CREATED % {"slug": organization.slug,
                                                                              "name": organization.name})))
        if admin:
            self.stdout.write(str(MSG_OPS_ADMIN_CREATED % {"username": admin}))

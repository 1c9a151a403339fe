"""Django's createsuperuser, in the platform scope: a platform operator belongs to no organization, and the
username it checks is unique across every organization."""

from django.contrib.auth.management.commands import createsuperuser

from scrm.platform.tenancy import platform_scope


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        with platform_scope():
            return super().handle(*args, **options)

"""Django's createsuperuser, in the platform scope: a platform operator belongs to no organization, and the
username it checks is unique across every organization. A named maintenance command: its lift is audited."""

from django.contrib.auth.management.commands import createsuperuser

from scrm.platform.audit import platform_lift


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        username = options.get(self.UserModel.USERNAME_FIELD) or ""
        with platform_lift(command="createsuperuser", what=f"create a platform operator {username}".strip()):
            return super().handle(*args, **options)

from django.core.management.base import BaseCommand, CommandError

from channels_ingest.errors import MSG_ACCOUNT_ADDED, ChannelError
from channels_ingest.models import ChannelAccount
from channels_ingest.services import channel_account_create
from scrm.errors import MSG_NO_ORGANIZATION
from scrm.models import Organization
from scrm.platform.tenancy import tenant_scope


class Command(BaseCommand):
    help = ("Add a WeChat Official Account, a WeCom application or an online store (youzan, douyin, shopify, "
            "woocommerce, "
            "generic) to an "
            "organization; prints its callback URL.")

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--kind", required=True, choices=ChannelAccount.Kind.values)
        parser.add_argument("--slug", required=True, help="the account's slug in the callback URL")
        parser.add_argument("--name", default="")
        parser.add_argument("--app-id", "--app-key", dest="app_id", required=True,
                            help="app id (Official Account), corp id (WeCom), client_id (Youzan), app_key (Douyin), "
                                 "shop domain "
                                 "(Shopify), site address (WooCommerce) or store code (generic)")
        parser.add_argument("--token", default="", help="WeChat and WeCom only")
        parser.add_argument("--aes-key", default="", help="EncodingAESKey, 43 characters; WeChat and WeCom only")
        parser.add_argument("--secret", default="", help="app secret; for a store, the key its callbacks are "
                                                         "signed with")
        parser.add_argument("--agent-id", default="")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(str(MSG_NO_ORGANIZATION % {"slug": options["organization"]}))
        with tenant_scope(organization):
            try:
                account = channel_account_create(
                    organization=organization, kind=options["kind"], slug=options["slug"],
                    name=options["name"] or options["slug"], app_id=options["app_id"], token=options["token"],
                    aes_key=options["aes_key"], secret=options["secret"], agent_id=options["agent_id"])
            except ChannelError as exc:
                raise CommandError(str(exc)) from exc
        # Never echo the secrets.
        self.stdout.write(str(MSG_ACCOUNT_ADDED % {"slug": account.slug, "kind": account.get_kind_display(),
                                                  "path": account.hook_path}))

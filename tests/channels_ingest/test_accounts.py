"""Channel accounts: secrets encrypted at rest and never shown again, the ops pages, the admin, the command."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils.html import escape

from channels_ingest.errors import MSG_AES_KEY, MSG_APP_TAKEN, MSG_SLUG_TAKEN
from channels_ingest.models import ChannelAccount
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.conftest import make_account
from tests.channels_ingest.wechat import AES_KEY, TOKEN
from tests.scrm.factories import OrganizationFactory
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db

SECRET = "s3cret-app-secret"


def _raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_ingest_channelaccount WHERE id = %s", [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_secrets_are_encrypted_at_rest(oa_account):
    row = _raw_row(oa_account.pk)
    for secret in (TOKEN, AES_KEY, SECRET):
        assert secret not in row
    assert (oa_account.token, oa_account.aes_key, oa_account.secret) == (TOKEN, AES_KEY, SECRET)
    assert SECRET not in repr(oa_account)


def test_a_key_can_be_rotated(oa_account, settings):
    old = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = f"brand-new-key,{old}"
    with platform_scope():
        assert ChannelAccount.objects.get(pk=oa_account.pk).secret == SECRET
    settings.FIELD_ENCRYPTION_KEY = "an-unrelated-key"
    from scrm.platform.crypto import InvalidToken

    with platform_scope(), pytest.raises(InvalidToken):
        ChannelAccount.objects.get(pk=oa_account.pk).secret  # noqa: B018


def test_the_command_adds_an_account_and_never_prints_its_secrets(organization, capsys):
    call_command("add_channel_account", "--organization", "acme", "--kind", "wecom", "--slug", "acme-app",
                 "--app-id", "wwcorp", "--token", TOKEN, "--aes-key", AES_KEY, "--secret", SECRET,
                 "--agent-id", "1000005")
    out = capsys.readouterr().out
    assert "/hooks/wecom/acme-app/" in out
    assert TOKEN not in out and SECRET not in out and AES_KEY not in out
    with tenant_scope(organization):
        account = ChannelAccount.objects.get(slug="acme-app")
    assert (account.kind, account.app_id, account.agent_id, account.secret) == ("wecom", "wwcorp", "1000005", SECRET)


def test_the_command_refuses_a_bad_key_and_writes_nothing(organization):
    with pytest.raises(CommandError, match=str(MSG_AES_KEY)[:20]):
        call_command("add_channel_account", "--organization", "acme", "--kind", "wechat_oa", "--slug", "x",
                     "--app-id", "wx1", "--token", TOKEN, "--aes-key", "short")
    with platform_scope():
        assert not ChannelAccount.objects.exists()


def test_slugs_are_unique_across_organizations(oa_account):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    from channels_ingest.errors import ChannelError

    with pytest.raises(ChannelError) as error:
        make_account(other, slug="acme-oa")
    assert str(error.value) == str(MSG_SLUG_TAKEN % {"slug": "acme-oa"})


def test_ops_add_an_account_and_see_its_callback_url(client, ops_admin, organization):
    client.force_login(ops_admin)
    response = client.post("/settings/channels/add/", {
        "kind": "wechat_oa", "name": "艾克美服务号", "slug": "acme-service", "app_id": "wxabc", "token": TOKEN,
        "aes_key": AES_KEY, "secret": SECRET, "subscribe_reply": "欢迎", "is_active": "on"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "http://testserver/hooks/wechat/acme-service/" in page
    listing = client.get("/settings/channels/").content.decode()
    assert "艾克美服务号" in listing and "/hooks/wechat/acme-service/" in listing
    for secret in (TOKEN, AES_KEY, SECRET):
        assert secret not in page and secret not in listing


def test_ops_adding_an_official_account_already_set_up_read_why_and_nothing_is_added(client, ops_admin,
                                                                                     oa_account):
    """The same app id again (under another slug): the unique constraint refused the insert and ops got a 500."""
    client.force_login(ops_admin)
    response = client.post("/settings/channels/add/", {
        "kind": "wechat_oa", "name": "同一个服务号", "slug": "acme-oa-2", "app_id": oa_account.app_id,
        "token": TOKEN, "aes_key": AES_KEY, "secret": SECRET, "is_active": "on"})
    assert response.status_code == 400
    assert str(MSG_APP_TAKEN % {"app_id": oa_account.app_id}) in response.content.decode()
    with platform_scope():
        assert list(ChannelAccount.objects.values_list("slug", flat=True)) == ["acme-oa"]


def test_ops_adding_an_account_under_a_taken_slug_get_400_with_why_and_nothing_is_added(client, ops_admin,
                                                                                       oa_account):
    """The taken slug was shown on the form but the page answered 200, unlike every other refused settings form."""
    client.force_login(ops_admin)
    response = client.post("/settings/channels/add/", {
        "kind": "wechat_oa", "name": "另一个服务号", "slug": "acme-oa", "app_id": "wx00000000000000cc",
        "token": TOKEN, "aes_key": AES_KEY, "secret": SECRET, "is_active": "on"})
    assert response.status_code == 400
    assert escape(str(MSG_SLUG_TAKEN % {"slug": "acme-oa"})) in response.content.decode()
    with platform_scope():
        assert list(ChannelAccount.objects.values_list("app_id", flat=True)) == [oa_account.app_id]


def test_ops_giving_an_account_the_app_id_of_another_read_why_and_nothing_changes(client, ops_admin, oa_account,
                                                                                 organization):
    other = make_account(organization, slug="acme-oa-b", app_id="wx00000000000000bb")
    client.force_login(ops_admin)
    response = client.post(f"/settings/channels/{other.pk}/edit/", {
        "name": "改名", "slug": "acme-oa-b", "app_id": oa_account.app_id, "is_active": "on"})
    assert response.status_code == 400
    assert str(MSG_APP_TAKEN % {"app_id": oa_account.app_id}) in response.content.decode()
    with platform_scope():
        assert ChannelAccount.objects.get(pk=other.pk).app_id == "wx00000000000000bb"


def test_the_edit_form_shows_set_and_keeps_secrets_left_empty(client, ops_admin, oa_account):
    client.force_login(ops_admin)
    url = f"/settings/channels/{oa_account.pk}/edit/"
    form = client.get(url).content.decode()
    for secret in (TOKEN, AES_KEY, SECRET, oa_account.secret_encrypted):
        assert secret not in form
    assert form.count("text-bg-success") == 3  # token, key and secret are set
    response = client.post(url, {"name": "改名", "slug": "acme-oa", "app_id": oa_account.app_id, "agent_id": "",
                                 "token": "", "aes_key": "", "secret": "new-secret", "is_active": "on"})
    assert response.status_code == 302
    with platform_scope():
        account = ChannelAccount.objects.get(pk=oa_account.pk)
    assert (account.name, account.token, account.aes_key, account.secret) == ("改名", TOKEN, AES_KEY, "new-secret")


def test_a_bad_aes_key_in_the_form_is_refused_and_changes_nothing(client, ops_admin, oa_account):
    client.force_login(ops_admin)
    response = client.post(f"/settings/channels/{oa_account.pk}/edit/", {
        "name": "改名", "slug": "acme-oa", "app_id": oa_account.app_id, "aes_key": "tooshort", "is_active": "on"})
    assert response.status_code == 400
    assert str(MSG_AES_KEY) in response.content.decode()
    with platform_scope():
        assert ChannelAccount.objects.get(pk=oa_account.pk).name == oa_account.name


def test_the_admin_never_shows_secrets(client, ops_admin, oa_account):
    client.force_login(ops_admin)
    for url in ("/admin/channels_ingest/channelaccount/",
                f"/admin/channels_ingest/channelaccount/{oa_account.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        for secret in (TOKEN, AES_KEY, SECRET, oa_account.token_encrypted, oa_account.secret_encrypted):
            assert secret not in html


def test_the_account_list_is_bounded_in_queries(client, ops_admin, organization, django_assert_max_num_queries):
    for n in range(8):
        make_account(organization, slug=f"acme-{n}", app_id=f"wx{n}")
    client.force_login(ops_admin)
    with django_assert_max_num_queries(12):
        assert client.get("/settings/channels/").status_code == 200


def _seed_account(tenant):
    make_account(tenant.organization, slug=f"{tenant.organization.slug}-oa", app_id=f"wx-{tenant.marker}")
    with tenant_scope(tenant.organization):
        account = ChannelAccount.objects.get()
        account.name = f"{tenant.marker} 服务号"
        account.save(update_fields=["name"])
    tenant.objects["account"] = account


def test_ops_see_only_their_organizations_accounts(client):
    a, b = tenant_pair(_seed_account)
    assert_isolated(client, a, b, "/settings/channels/", role=Role.OPS_ADMIN)
    client.force_login(a.users[Role.OPS_ADMIN])
    assert client.get(f"/settings/channels/{b.objects['account'].pk}/").status_code == 404
    assert client.get(f"/settings/channels/{b.objects['account'].pk}/edit/").status_code == 404


def test_ops_find_the_wechat_accounts_page_under_settings_beside_the_routing_rules(client, ops_admin, make_user):
    client.force_login(ops_admin)
    page = client.get("/settings/").content.decode()
    assert 'href="/settings/channels/"' in page and 'href="/tickets/settings/rules/"' in page
    client.force_login(make_user(ops_admin.organization, Role.SUPERVISOR))
    assert 'href="/settings/channels/"' not in client.get("/tickets/").content.decode()


def test_the_account_page_tells_ops_when_wechat_last_called_and_whether_the_workers_keep_up(
        client, ops_admin, oa, oa_account, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.translation import gettext

    from channels_ingest.models import InboundEvent
    from channels_ingest.services import event_process
    from tests.channels_ingest.wechat import message

    client.force_login(ops_admin)
    url = f"/settings/channels/{oa_account.pk}/"

    def page():
        return client.get(url).content.decode()

    none_yet = gettext("None yet. Paste the callback URL above into the WeChat / WeCom console, with the same "
                       "token and EncodingAESKey.")
    assert none_yet in page()
    with django_capture_on_commit_callbacks(execute=False):  # stored; no worker has it yet
        assert oa.post(message("text", Content="在吗")).content == b"success"
    with platform_scope():
        event = InboundEvent.objects.get()
        InboundEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=3))
    late = gettext("Longer than a minute: the workers are down or behind. Nothing is lost; events are sent to the "
                   "workers again once a minute.")
    body = page()
    assert late in body and none_yet not in body
    assert "3" in body.split('data-testid="backlog"')[1][:200]  # waiting for 3 minutes
    with tenant_scope(oa_account.organization):
        event_process(event_id=event.pk)
    body = page()
    assert gettext("Nothing waiting: every event has reached the workers.") in body and late not in body
    with django_assert_max_num_queries(25):
        page()

"""Channel accounts: create and update, secrets encrypted before they touch the database."""

import re
from contextlib import contextmanager
from functools import partial

from django.db import IntegrityError, transaction

from channels_ingest.errors import (
    MSG_AES_KEY,
    MSG_APP_ID,
    MSG_APP_TAKEN,
    MSG_KIND,
    MSG_SHOP_SECRET,
    MSG_SLUG_TAKEN,
    MSG_TOKEN,
    ChannelError,
)
from channels_ingest.models import SHOP_KINDS, ChannelAccount
from channels_ingest.services.processing import account_forget
from scrm.platform.crypto import secret_encrypt
from scrm.platform.tenancy import platform_scope, tenant_scope
from tickets.services import conversations_rename

APP_CONSTRAINT = "channelaccount_org_app_uniq"
_AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")


def _validate(*, kind, slug, app_id, token, aes_key, secret=None, exclude_pk=None):
    if kind not in ChannelAccount.Kind.values:
        raise ChannelError(MSG_KIND % {"kind": kind})
    if not (app_id or "").strip():
        raise ChannelError(MSG_APP_ID)
    if kind in SHOP_KINDS:
        # A store's callbacks are signed with its secret alone; a WeChat token or key means nothing to it.
        token = aes_key = None
        if secret is not None and len(secret) < 8:
            raise ChannelError(MSG_SHOP_SECRET)
    if token is not None and not _TOKEN_RE.match(token):
        raise ChannelError(MSG_TOKEN)
    if aes_key is not None and not _AES_KEY_RE.match(aes_key):
        raise ChannelError(MSG_AES_KEY)
    # Lift: slugs are global (the callback URL names one account on the platform): checked across organizations;
    # only whether the slug is taken is read.
    with platform_scope():
        taken = ChannelAccount.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
    if taken:
        raise ChannelError(MSG_SLUG_TAKEN % {"slug": slug})


@transaction.atomic
def channel_account_create(*, organization, kind, slug, name, app_id, token="", aes_key="", secret="", agent_id="",
                           subscribe_reply=""):
    """A new account. A WeChat account needs its token and EncodingAESKey, a store its signing secret: every
    callback is checked with them."""
    _validate(kind=kind, slug=slug, app_id=app_id, token=token or "", aes_key=aes_key or "", secret=secret or "")
    account_forget(slug)
    transaction.on_commit(partial(account_forget, slug))
    with tenant_scope(organization), _unique(slug=slug, app_id=app_id.strip()):
        return ChannelAccount.objects.create(
            organization=organization, kind=kind, slug=slug, name=name or slug, app_id=app_id.strip(),
            agent_id=str(agent_id or "").strip(), token_encrypted=secret_encrypt(token),
            aes_key_encrypted=secret_encrypt(aes_key), secret_encrypted=secret_encrypt(secret),
            subscribe_reply=subscribe_reply,
        )


@transaction.atomic
def channel_account_update(*, account, name, slug, app_id, agent_id="", subscribe_reply="", is_active=True,
                           token=None, aes_key=None, secret=None):
    """Change an account. A secret left empty (None or "") keeps the stored one: secrets are replaced, never read
    back into a form."""
    _validate(kind=account.kind, slug=slug, app_id=app_id, token=token or None, aes_key=aes_key or None,
              secret=secret or None, exclude_pk=account.pk)
    with tenant_scope(account.organization_id):
        account = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        # This process forgets its cached copy now and after commit; the others within their cache's TTL.
        account_forget(account.slug, slug)
        transaction.on_commit(partial(account_forget, account.slug, slug))
        if slug != account.slug:
            # Conversations are keyed `slug:openid` (processing.conversation_ref): their tickets follow the rename.
            conversations_rename(organization=account.organization_id, channel=account.channel,
                                 old_prefix=f"{account.slug}:", new_prefix=f"{slug}:")
        account.name, account.slug, account.app_id = name, slug, app_id.strip()
        account.agent_id, account.subscribe_reply, account.is_active = str(agent_id or ""), subscribe_reply, is_active
        fields = ["name", "slug", "app_id", "agent_id", "subscribe_reply", "is_active", "updated_at"]
        for value, field in ((token, "token_encrypted"), (aes_key, "aes_key_encrypted"),
                             (secret, "secret_encrypted")):
            if value:
                setattr(account, field, secret_encrypt(value))
                fields.append(field)
        with _unique(slug=slug, app_id=account.app_id):
            account.save(update_fields=fields)
        return account


@contextmanager
def _unique(*, slug, app_id):
    """The write of an account in a savepoint: the unique constraints decide (the slug across the platform, the
    app id per organization and kind, also between two ops saving at once) and their refusal is a ChannelError
    naming which, where it was a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == APP_CONSTRAINT:
            raise ChannelError(MSG_APP_TAKEN % {"app_id": app_id}) from None
        if "slug" in constraint:  # the slug's own unique constraint, as Django named it
            raise ChannelError(MSG_SLUG_TAKEN % {"slug": slug}) from None
        raise  # another constraint: a bug to see, not a form error naming the wrong field


def account_secrets(organization_id):
    """The plaintext secrets of an organization's accounts (token, EncodingAESKey, app secret): what the redaction
    step masks in every error it records. Secrets of accounts are never shown anywhere, so none may leak there."""
    if organization_id is None:
        return []
    with tenant_scope(organization_id):
        accounts = list(ChannelAccount.objects.only("token_encrypted", "aes_key_encrypted", "secret_encrypted"))
    return [value for account in accounts for value in (account.token, account.aes_key, account.secret) if value]

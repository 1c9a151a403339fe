"""Agents' replies to WeChat: an outbox row per reply, sent by a task with retries and back-off.

A send is at-least-once: the row is claimed, WeChat is called outside any transaction (never hold a row lock over
the network), and the outcome recorded. WeChat's refusals that no retry can fix (the 48-hour customer-service
window, a user who unfollowed) end the row at once and put a note on the ticket, so the agent sees it.
"""

import logging
from datetime import timedelta
from functools import partial

import requests
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wechatpy.exceptions import WeChatClientException

from channels_ingest.errors import ChannelError
from channels_ingest.models import ChannelAccount, OutboundMessage
from channels_ingest.services.wechat_api import client_for
from scrm.tenancy import platform_scope, tenant_scope
from tickets.models import Comment
from tickets.services.delivery import ticket_note_delivery_failed

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status
MAX_ATTEMPTS = 6
# errcodes a retry cannot fix: 45015 reply window (48 h) passed, 48001 API not authorised, 40003 bad openid,
# 43004 user unfollowed, 45047 too many messages outside the window, 81013 WeCom: no such user.
PERMANENT_ERRCODES = {40003, 43004, 45015, 45047, 48001, 81013, 60111, 40013}
ERROR_HINTS = {
    45015: gettext_lazy("the customer has not written for 48 hours, so WeChat no longer accepts replies"),
    48001: gettext_lazy("this account is not authorised to use the customer-service message API"),
    43004: gettext_lazy("the customer no longer follows the account"),
    40003: gettext_lazy("WeChat does not know this user"),
}


def reply_send_enqueue(comment_id, *, organization_id, channel):
    """The reply sender the tickets app calls after a public reply on a WeChat ticket commits."""
    outbound = outbound_create(organization_id=organization_id, comment_id=comment_id)
    return outbound


@transaction.atomic
def outbound_create(*, organization_id, comment_id):
    """One outbox row per reply (a second call finds the first), then the send task after commit. A ticket whose
    conversation names no account of the organization (typed in by an agent) is not sent: None."""
    with tenant_scope(organization_id):
        comment = Comment.objects.select_related("ticket").get(pk=comment_id)
        slug, _sep, to_user = comment.ticket.source_ref.partition(":")
        account = ChannelAccount.objects.filter(slug=slug).first() if to_user else None
        if account is None:
            logger.info("reply not sent: the ticket has no WeChat conversation", extra={"comment_id": comment_id})
            return None
        outbound, created = OutboundMessage.objects.get_or_create(
            organization_id=organization_id, comment=comment,
            defaults={"account": account, "to_user": to_user, "body": comment.body})
        if created:
            transaction.on_commit(partial(_enqueue, outbound.pk))
        return outbound


def _enqueue(outbound_id, countdown=None):
    from channels_ingest.tasks import outbound_send as task

    try:
        task.apply_async((outbound_id,), countdown=countdown, retry=False)
    except Exception:  # noqa: BLE001 - broker down: the row stays pending and the beat's sweep sends it
        logger.warning("outbound message not enqueued", extra={"outbound_id": outbound_id}, exc_info=True)


class SendRetry(Exception):
    def __init__(self, attempts):
        super().__init__(attempts)
        self.attempts = attempts


def outbound_send(*, outbound_id):
    """Send one pending reply. Returns its status; raises SendRetry when a retry may succeed."""
    with platform_scope():
        organization_id = OutboundMessage.objects.filter(pk=outbound_id).values_list(
            "organization_id", flat=True).first()
    if organization_id is None:
        return None
    with tenant_scope(organization_id):
        with transaction.atomic():
            outbound = (OutboundMessage.objects.select_for_update(skip_locked=True).select_related("account")
                        .filter(pk=outbound_id, status__in=[Status.PENDING, Status.FAILED]).first())
            if outbound is None:
                return None
            OutboundMessage.objects.filter(pk=outbound.pk).update(attempts=F("attempts") + 1)
            outbound.attempts += 1
        try:
            _call(outbound)
        except WeChatClientException as exc:
            if exc.errcode is not None and (exc.errcode in PERMANENT_ERRCODES
                                            or outbound.attempts >= MAX_ATTEMPTS):
                return _give_up(outbound, exc.errcode, str(exc.errmsg))
            return _retry_later(outbound, exc.errcode, f"{exc.errcode}: {exc.errmsg}")
        except (requests.RequestException, ChannelError) as exc:
            if isinstance(exc, ChannelError) or outbound.attempts >= MAX_ATTEMPTS:
                return _give_up(outbound, None, str(exc))
            return _retry_later(outbound, None, f"{type(exc).__name__}: {exc}")
        OutboundMessage.objects.filter(pk=outbound.pk).update(status=Status.SENT, sent_at=timezone.now(),
                                                              last_error="", errcode=None)
        return Status.SENT


def _call(outbound):
    account = outbound.account
    client = client_for(account)
    if account.kind == ChannelAccount.Kind.WECOM:
        client.message.send_text(account.agent_id, outbound.to_user, outbound.body)
    else:
        client.message.send_text(outbound.to_user, outbound.body)


def _retry_later(outbound, errcode, error):
    OutboundMessage.objects.filter(pk=outbound.pk).update(status=Status.FAILED, errcode=errcode,
                                                          last_error=error[:2000])
    raise SendRetry(outbound.attempts)


@transaction.atomic
def _give_up(outbound, errcode, error):
    OutboundMessage.objects.filter(pk=outbound.pk).update(status=Status.DEAD, errcode=errcode,
                                                          last_error=error[:2000])
    comment = Comment.objects.select_related("ticket").get(pk=outbound.comment_id)
    hint = ERROR_HINTS.get(errcode, "")
    message = _("This reply was not delivered to WeChat (error %(code)s: %(error)s).") % {
        "code": errcode if errcode is not None else "-", "error": error}
    if hint:
        message = f"{message} {hint}"
    ticket_note_delivery_failed(ticket=comment.ticket, comment=comment, errcode=errcode, message=message)
    return Status.DEAD


def outbound_stale():
    """Pending or failed rows whose task was lost (broker down): for the beat's sweep."""
    with platform_scope():
        cutoff = timezone.now() - timedelta(minutes=5)
        return list(OutboundMessage.objects.filter(status__in=[Status.PENDING, Status.FAILED], created_at__lt=cutoff,
                                                   attempts__lt=MAX_ATTEMPTS)
                    .values_list("pk", flat=True)[:500])

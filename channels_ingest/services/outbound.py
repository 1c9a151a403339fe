"""Agents' replies to WeChat: one row per reply, sent through the outbox (kind "wechat_reply", scrm.platform.outbox).

The outbox claims the row with a lease that outlasts the WeChat calls' timeouts, calls WeChat with no lock and no
transaction held, and records the outcome: sent; failed, retried with back-off; dead after the last attempt or at
once for WeChat's refusals that no retry can fix (the 48-hour customer-service window, a user who unfollowed). The
agent reads a short explanation on the ticket, ops the redacted detail on the account page. A worker killed while
WeChat was answering leaves the row in flight: it is sent again once its lease has expired (at-least-once).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wechatpy.exceptions import WeChatClientException

from channels_ingest.errors import MSG_NO_SECRET, MSG_REPLY_NOT_REPLAYABLE, ChannelError
from channels_ingest.models import ChannelAccount, OutboundMessage
from channels_ingest.services.wechat_api import client_for
from scrm.platform import outbox
from scrm.platform.coded import coded
from scrm.platform.http import client_error_detail
from scrm.platform.tenancy import tenant_scope
from tickets.models import Comment
from tickets.outbound import Delivery
from tickets.services.delivery import ticket_note_delivery_failed

logger = logging.getLogger(__name__)

KIND = "wechat_reply"
Status = OutboundMessage.Status
MAX_ATTEMPTS = 6
# A send is a token fetch, the send, and a second send after an expired token: three calls of at most 10 s each.
LEASE = timedelta(minutes=2)
# errcodes a retry cannot fix: 45015 reply window (48 h) passed, 48001 API not authorised, 40003 bad openid,
# 43004 user unfollowed, 45047 too many messages outside the window, 81013 WeCom: no such user.
PERMANENT_ERRCODES = {40003, 43004, 45015, 45047, 48001, 81013, 60111, 40013, 40037, 47003}
ERROR_HINTS = {
    45015: gettext_lazy("the customer has not written for 48 hours, so WeChat no longer accepts replies"),
    48001: gettext_lazy("this account is not authorised to use the customer-service message API"),
    43004: gettext_lazy("the customer no longer follows the account"),
    40037: gettext_lazy("WeChat does not know this template ID: check it on the account's page"),
    47003: gettext_lazy("a field of the template message was refused: check the template's fields"),
    40003: gettext_lazy("WeChat does not know this user"),
}
MSG_WILL_RETRY = gettext_lazy("WeChat could not be reached for this reply for now; it will be retried "
                              "automatically.")
MSG_NOT_DELIVERED = gettext_lazy("This reply was not delivered to WeChat (error %(code)s): %(hint)s.")
MSG_HINT_UNREACHABLE = gettext_lazy("WeChat could not be reached, even after several attempts")
MSG_HINT_REFUSED = gettext_lazy("WeChat refused it; ops see the details on the WeChat account's page")
MSG_STATE_RETRYING = gettext_lazy("WeChat could not be reached for now; retried automatically (attempt %(attempt)s "
                                  "of %(max)s).")
MSG_STATE_REFUSED_RETRYING = gettext_lazy("WeChat refused it for now (error %(code)s); retried automatically "
                                          "(attempt %(attempt)s of %(max)s).")


def reply_send_enqueue(comment_id, *, organization_id, channel):
    """The reply sender the tickets app calls after a public reply on a WeChat ticket commits."""
    return outbound_create(organization_id=organization_id, comment_id=comment_id)


@transaction.atomic
def outbound_create(*, organization_id, comment_id, template_id="", template_data=None):
    """One outbox row per reply (a second call finds the first), published after commit. A ticket whose
    conversation names no account of the organization (typed in by an agent) is not sent: None. With a
    `template_id` the row sends a template message (its filled fields `template_data`) instead of text."""
    with tenant_scope(organization_id):
        comment = Comment.objects.select_related("ticket").get(pk=comment_id)
        slug, _sep, to_user = comment.ticket.source_ref.partition(":")
        account = ChannelAccount.objects.filter(slug=slug).first() if to_user else None
        if account is None:
            logger.info("reply not sent: the ticket has no WeChat conversation", extra={"comment_id": comment_id})
            return None
        outbound, created = OutboundMessage.objects.get_or_create(
            organization_id=organization_id, comment=comment,
            defaults={"account": account, "to_user": to_user, "body": comment.body, "template_id": template_id,
                      "template_data": template_data or {}})
        if created:
            outbox.publish_on_commit(KIND, outbound.pk)
        return outbound


def outbound_send(*, outbound_id):
    """Send one reply now if it is due (what a worker does). Returns its status after this attempt, or None when
    it was not ours to send (sent already, in flight elsewhere, or its retry is not due)."""
    outcome = outbox.run(KIND, [outbound_id]).get(outbound_id)
    return outcome.status if outcome else None


def outbound_replay(*, outbound):
    """Ops send a failed or dead reply again, with a fresh attempt budget."""
    replayed = outbox.outbox_replay(KIND, outbound)
    if replayed is None:
        raise ChannelError(MSG_REPLY_NOT_REPLAYABLE)
    return replayed


def failure_hint(errcode, *, attempts):
    """Why a reply was not delivered, in words an agent reads: the errcode's own explanation, else whether WeChat
    refused it or could not be reached. Never the stored error, which is for ops."""
    if errcode is not None:
        return str(ERROR_HINTS.get(errcode) or MSG_HINT_REFUSED)
    return str(MSG_HINT_UNREACHABLE if attempts >= MAX_ATTEMPTS else MSG_HINT_REFUSED)


def reply_deliveries(comment_ids, *, organization_id):
    """The ticket's delivery source: {comment id: Delivery} for the replies that have a row. One query."""
    with tenant_scope(organization_id):
        rows = OutboundMessage.objects.filter(comment_id__in=comment_ids).only(
            "id", "organization_id", "comment_id", "status", "attempts", "errcode")
        found = {}
        for row in rows:
            if row.status == Status.SENT:
                found[row.comment_id] = Delivery(Delivery.SENT)
            elif row.status == Status.SENDING:
                found[row.comment_id] = Delivery(Delivery.SENDING)
            elif row.status == Status.FAILED:
                values = {"attempt": row.attempts, "max": MAX_ATTEMPTS, "code": row.errcode}
                message = MSG_STATE_REFUSED_RETRYING if row.errcode is not None else MSG_STATE_RETRYING
                found[row.comment_id] = Delivery(Delivery.RETRYING, str(message) % values)
            elif row.status == Status.DEAD:
                reason = str(MSG_NOT_DELIVERED) % {"code": row.errcode if row.errcode is not None else "-",
                                                   "hint": failure_hint(row.errcode, attempts=row.attempts)}
                found[row.comment_id] = Delivery(Delivery.FAILED, reason)
            else:
                found[row.comment_id] = Delivery(Delivery.QUEUED)
        return found


def reply_retry(comment_id, *, organization_id):
    """The ticket's delivery source: an agent sends a reply that failed for good (dead) again. False when there is
    none; a failed reply waiting for its back-off is left to it."""
    with tenant_scope(organization_id):
        outbound = OutboundMessage.objects.filter(comment_id=comment_id, status=Status.DEAD).first()
        return outbound is not None and outbox.outbox_replay(KIND, outbound) is not None


def _send(outbound):
    """The outbox handler: one call to WeChat, no lock held."""
    account = outbound.account
    try:
        client = client_for(account)
        if outbound.template_id:
            client.message.send_template(outbound.to_user, outbound.template_id, outbound.template_data)
        elif account.kind == ChannelAccount.Kind.WECOM:
            client.message.send_text(account.agent_id, outbound.to_user, outbound.body)
        else:
            client.message.send_text(outbound.to_user, outbound.body)
    except ChannelError as exc:
        # Recorded as a code when it is the missing secret: the account's page words it in its reader's language.
        raise outbox.Failure(coded("channels_ingest.no_secret") if exc.args and exc.args[0] is MSG_NO_SECRET
                             else str(exc), permanent=True) from exc
    except WeChatClientException as exc:
        permanent = exc.errcode is not None and exc.errcode in PERMANENT_ERRCODES
        raise outbox.Failure(client_error_detail(exc), permanent=permanent,
                             fields={"errcode": exc.errcode}) from exc
    # Anything else (connection refused, timeout, TLS) is retried; the outbox records it redacted.
    return {"sent_at": timezone.now(), "errcode": None}


def _on_failure(outbound, *, detail, final, attempt, fields):
    """Tell the agent on the ticket, in words: at the first failure that will be retried, and when it gives up."""
    if not final and attempt != 1:
        return
    comment = Comment.objects.select_related("ticket").get(pk=outbound.comment_id)
    errcode = fields.get("errcode")
    if final:
        message = str(MSG_NOT_DELIVERED) % {"code": errcode if errcode is not None else "-",
                                            "hint": failure_hint(errcode, attempts=attempt)}
    else:
        message = str(MSG_WILL_RETRY)
    ticket_note_delivery_failed(ticket=comment.ticket, comment=comment, errcode=errcode, message=message)


outbox.register(
    KIND, model=OutboundMessage, handler=_send, max_attempts=MAX_ATTEMPTS, backoff=outbox.exponential(30, factor=4),
    lease=LEASE, on_failure=_on_failure, select_related=("account",),
)

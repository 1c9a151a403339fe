"""Where public replies leave for the customer's channel. The tickets app knows no channel: the app that speaks a
channel's wire format registers a sender for it (from its AppConfig.ready), and `_send_reply` calls it after the
reply commits.

    register_reply_sender("wechat_oa", send)   # send(comment_id, *, organization_id, channel)

The same app tells the ticket how each reply is doing (a delivery source: read the states of some replies, send a
failed one again) and how long after the customer's last message the channel still accepts a reply (WeChat's
48-hour customer-service window).

    register_delivery_source(read=read, retry=retry)  # read(comment_ids, *, organization_id) -> {id: Delivery}
                                                     # retry(comment_id, *, organization_id) -> bool (re-queued)
    register_reply_window("wechat_oa", timedelta(hours=48))

And, where the channel has them, the template messages an agent may send once the window has closed:

    register_template_source(list=templates, prepare=prepare, enqueue=enqueue)
        # templates(ticket) -> [ReplyTemplate]               the templates the ticket's conversation may use
        # prepare(ticket, key, *, text, author) -> (body, payload) or None   the message as the customer reads it
        # enqueue(comment_id, payload, *, organization_id)  send it (after the comment commits)
"""

from dataclasses import dataclass

_senders = {}
_delivery_sources = []
_windows = {}
_template_sources = []


@dataclass(frozen=True)
class Delivery:
    """How one public reply is doing on its channel, in words an agent reads (never a raw error)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"

    state: str
    reason: str = ""

    @property
    def settled(self):
        return self.state in (self.SENT, self.FAILED)

    @property
    def retryable(self):
        return self.state == self.FAILED


def register_reply_sender(channel, fn):
    _senders.setdefault(channel, [])
    if fn not in _senders[channel]:
        _senders[channel].append(fn)


def reply_senders_for(channel):
    return list(_senders.get(channel, ()))


def register_delivery_source(*, read, retry):
    if (read, retry) not in _delivery_sources:
        _delivery_sources.append((read, retry))


def deliveries_for(comment_ids, *, organization_id):
    """{comment id: Delivery} for the replies a channel has a row for; a reply no channel took is absent."""
    found = {}
    comment_ids = list(comment_ids)
    if not comment_ids:
        return found
    for read, _retry in _delivery_sources:
        found.update(read(comment_ids, organization_id=organization_id))
    return found


def delivery_retry(comment_id, *, organization_id):
    """Send a reply that failed for good again; False when no channel had it failed (nothing changed)."""
    return any(retry(comment_id, organization_id=organization_id) for _read, retry in _delivery_sources)


def register_reply_window(channel, window):
    _windows[channel] = window


def reply_window_for(channel):
    """How long after the customer's last message the channel accepts a reply, or None (no limit)."""
    return _windows.get(channel)


@dataclass(frozen=True)
class ReplyTemplate:
    """A template message a ticket's conversation may send: `key` identifies it to its source, `fields` names the
    template's fields (shown to the agent), `uses_text` whether it carries the agent's own words."""

    key: str
    name: str
    fields: tuple = ()
    uses_text: bool = False


def register_template_source(*, list, prepare, enqueue):  # noqa: A002 - the registry's word
    if (list, prepare, enqueue) not in _template_sources:
        _template_sources.append((list, prepare, enqueue))


def templates_for(ticket):
    """The template messages the ticket's conversation may send, from every source."""
    found = []
    for list_templates, _prepare, _enqueue in _template_sources:
        found.extend(list_templates(ticket))
    return found


def template_prepare(ticket, key, *, text, author):
    """(body, payload, enqueue) of template `key` filled for the ticket, or None when no source knows it."""
    for _list, prepare, enqueue in _template_sources:
        prepared = prepare(ticket, key, text=text, author=author)
        if prepared is not None:
            return (*prepared, enqueue)
    return None

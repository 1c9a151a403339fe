"""Where public replies leave for the customer's channel. The tickets app knows no channel: the app that speaks a
channel's wire format registers a sender for it (from its AppConfig.ready), and `_send_reply` calls it after the
reply commits.

    register_reply_sender("wechat_oa", send)   # send(comment_id, *, organization_id, channel)
"""

_senders = {}


def register_reply_sender(channel, fn):
    _senders.setdefault(channel, [])
    if fn not in _senders[channel]:
        _senders[channel].append(fn)


def reply_senders_for(channel):
    return list(_senders.get(channel, ()))

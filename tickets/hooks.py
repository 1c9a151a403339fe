"""What tickets learns from SLA without importing it (tickets never imports sla): the ticket lifecycle's hooks and
the SLA state of a ticket list. The sla app registers its implementations from its AppConfig.ready(); the workspace's
SLA filter registers the same way in tickets.filters. Unregistered, a hook does nothing and a list has no SLA state.

Every lifecycle hook is called on a ticket locked by the caller, inside the caller's transaction.
"""

_SLA = {}


def register_sla_hooks(*, recompute, on_status, on_customer_message, on_public_reply, state_annotate):
    """`recompute(ticket, *, actor, reason)`: choose the policy and due times (opened, priority, type, queue);
    `on_status(ticket, *, before, actor)`: pause, resume or stop the clock; `on_customer_message(ticket, *, at)` and
    `on_public_reply(ticket, *, at)`: the response clocks; `state_annotate(queryset)`: `sla_state` and `sla_due` on a
    ticket queryset."""
    _SLA.update(recompute=recompute, on_status=on_status, on_customer_message=on_customer_message,
                on_public_reply=on_public_reply, state_annotate=state_annotate)


def sla_recompute(ticket, *, actor=None, reason):
    if "recompute" in _SLA:
        _SLA["recompute"](ticket, actor=actor, reason=reason)


def sla_on_status(ticket, *, before, actor=None):
    if "on_status" in _SLA:
        _SLA["on_status"](ticket, before=before, actor=actor)


def sla_on_customer_message(ticket, *, at):
    if "on_customer_message" in _SLA:
        _SLA["on_customer_message"](ticket, at=at)


def sla_on_public_reply(ticket, *, at):
    if "on_public_reply" in _SLA:
        _SLA["on_public_reply"](ticket, at=at)


def sla_state_annotate(queryset, **kwargs):
    if "state_annotate" in _SLA:
        return _SLA["state_annotate"](queryset, **kwargs)
    return queryset


# Other apps that act on a ticket's status (settlement makes a service job of a resolved installation ticket)
# register a listener here; tickets never imports them.
_STATUS_LISTENERS = []


def register_status_listener(listener):
    """`listener(ticket, *, before, actor)`, called after every status change of a (locked) ticket, in the
    changing transaction; an exception it raises undoes the change."""
    if listener not in _STATUS_LISTENERS:
        _STATUS_LISTENERS.append(listener)


def status_listeners_notify(ticket, *, before, actor=None):
    for listener in _STATUS_LISTENERS:
        listener(ticket, before=before, actor=actor)

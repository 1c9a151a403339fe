"""What a submission leads to, without forms_builder importing its users (it imports only `scrm`).

An app that acts on submissions registers a handler per form purpose from its AppConfig.ready(): the tickets app
opens a routed ticket for an intake form. `form_submit` calls the handler inside its own transaction, so a handler
that fails leaves no submission behind. Unregistered, a purpose only stores its submissions.
"""

_HANDLERS = {}
_EDIT_LISTENERS = []


def register_submission_handler(purpose, handler):
    """`handler(*, submission, routing, actor)` -> dict stored as the submission's `outcome` (JSON). `routing`: the
    codes the intake rules chose ({"ticket_type", "queue", "priority", "tags"})."""
    _HANDLERS[purpose] = handler


def submission_handler(purpose):
    return _HANDLERS.get(purpose)


def register_edit_listener(listener):
    """`listener(*, submission, change)` is called in `submission_edit`'s transaction after a sent submission's
    answers changed (`change`: the FormSubmissionChange row). The tickets app notes the change on the ticket."""
    if listener not in _EDIT_LISTENERS:
        _EDIT_LISTENERS.append(listener)


def edit_listeners():
    return list(_EDIT_LISTENERS)

"""Messages stored for a reader the writer does not know: a code with its parameters, worded at read time in the
reader's language (a worker has no user language; a page may be read in Chinese or in English). The one registry of
such messages and the one function that words them.

An app registers its messages by code (`coded_messages_register`, codes prefixed with the app's name). A message
is stored in one of two shapes:

- a text, `coded(code, **params)`, where the writer would have stored its own sentence (an outbox row's
  `last_error`, a delivery's error, a shop event's note, a notification's title). What the outside world said (a
  provider's own error text) goes in as a parameter, unchanged; the whole is redacted like any error before it is
  stored. A text that is not a coded message (written before, or an outside error recorded as it came) is shown as
  it is.
- a problem of a list kept as data, `{"code": ..., "params": {...}}` beside its own fields (a statement import's
  refusals with their line, a settlement run's partners left out): its codes are short, registered under the list's
  `namespace` ("settlement.statement": `empty` is `settlement.statement.empty`), so rows and API answers keep them as
  they always were. A problem stored as a sentence before codes (`{"message": ...}`) keeps its sentence.

`coded_render(stored)` words either shape in the active language. A parameter that is a word of the product rather
than a fact (a choice's label: "First response", "P1 urgent") is itself a coded text
(`coded("sla.metric_first_response")`), worded with the rest in the reader's language.
"""

import json

PARAM_LIMIT = 500  # characters of one parameter: the whole stays below the redaction's cut (2000)

_MESSAGES = {}
_PREFIX = '{"code": '  # how every text of `coded` starts (its keys sorted)


def coded_messages_register(messages, *, namespace=""):
    """`messages`: {code: lazy message with %(name)s parameters}, each registered as `<namespace>.<code>` when a
    namespace is given. Returns `messages`. A code may name one message only."""
    for code, message in messages.items():
        key = f"{namespace}.{code}" if namespace else code
        if _MESSAGES.setdefault(key, message) is not message:
            raise ValueError(f"coded message {key!r} is registered already, with another message")
    return messages


def coded(code, /, **params):
    """The text to store for the message `code` (registered) with `params`."""
    if code not in _MESSAGES:
        raise ValueError(f"unknown coded message {code!r}: register it")
    return json.dumps({"code": code, "params": {name: str(value)[:PARAM_LIMIT] for name, value in params.items()}},
                      ensure_ascii=False, sort_keys=True)


def is_coded(text):
    """Whether a stored text is a coded message (a store that cuts texts must never cut one)."""
    return (text or "").startswith(_PREFIX)


def coded_render(text, *, namespace=""):
    """A stored message in the active language. `text`: a stored text (a coded message worded, anything else as it
    is) or a problem `{"code", "params"}` whose code is registered in `namespace`."""
    if isinstance(text, dict):
        return _problem_render(text, namespace)
    text = text or ""
    if not text.startswith(_PREFIX):
        return text
    try:
        stored = json.loads(text)
        template, params = _MESSAGES[stored["code"]], dict(stored.get("params") or {})
    except (ValueError, KeyError, TypeError, AttributeError):
        return text
    return _worded(template, params) or str(template)


def _problem_render(problem, namespace):
    code = str(problem.get("code") or "")
    params = problem.get("params") if isinstance(problem.get("params"), dict) else {}
    template = _MESSAGES.get(f"{namespace}.{code}" if namespace else code) if code else None
    if template is None:
        # A code this version does not know (or none): the sentence stored before codes, else the code as it is.
        if problem.get("message"):
            return str(problem["message"])
        shown = ", ".join(f"{name}: {value}" for name, value in params.items())
        return f"{code} ({shown})" if code and shown else code
    return _worded(template, params) or problem.get("message") or str(template)


def _worded(template, params):
    """The message filled with its parameters (a coded parameter worded too); "" when they do not fit it (a
    parameter renamed since)."""
    params = {name: coded_render(value) if isinstance(value, str) else value for name, value in params.items()}
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return ""

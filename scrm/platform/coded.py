"""Messages a worker stores for a reader it does not know: a code with its parameters, worded at read time in the
reader's language (a worker has no user language; a page may be read in Chinese or in English).

An app registers its messages by code (`coded_messages_register`, codes prefixed with the app's name); a sender
stores `coded(code, **params)` where it would have stored its own sentence (an outbox row's `last_error`, say), and
a page shows `coded_render(text)`. What the outside world said (a provider's own error text) goes in as a
parameter, unchanged; the whole is redacted like any error before it is stored. A text that is not a coded
message (written before, or an outside error recorded as it came) is shown as it is.

A parameter that is a word of the product rather than a fact (a choice's label: "First response", "P1 urgent") is
itself a coded message (`coded("sla.metric_first_response")`), worded with the rest in the reader's language.
"""

import json

PARAM_LIMIT = 500  # characters of one parameter: the whole stays below the redaction's cut (2000)

_MESSAGES = {}
_PREFIX = '{"code": '  # how every text of `coded` starts (its keys sorted)


def coded_messages_register(messages):
    """`messages`: {code: lazy message with %(name)s parameters}."""
    _MESSAGES.update(messages)
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


def coded_render(text):
    """A stored text in the active language: a coded message worded, anything else as it is."""
    text = text or ""
    if not text.startswith(_PREFIX):
        return text
    try:
        stored = json.loads(text)
        template, params = _MESSAGES[stored["code"]], dict(stored.get("params") or {})
    except (ValueError, KeyError, TypeError, AttributeError):
        return text
    params = {name: coded_render(value) if isinstance(value, str) else value for name, value in params.items()}
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)

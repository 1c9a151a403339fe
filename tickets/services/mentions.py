"""@mentions in replies and notes: `@username` or `@display name` of an active colleague of the same
organization. Chinese is written without spaces ("@王小明请看一下"), so a mention is the longest username or
display name the text after "@" starts with; a name two colleagues share is ambiguous and ignored, and so is a
name nobody has. Users of other organizations are never matched."""

import re

from django.db.models import F, Value
from django.db.models.functions import Length, Lower

from scrm.models import User
from scrm.platform.tenancy import tenant_scope

# What may follow "@": letters (any script), digits, and the punctuation of usernames. An "@" inside a word
# (an email address) is not a mention.
MENTION_RE = re.compile(r"(?<![\w.@])@([\w.\-]+)")
MIN_NAME_LENGTH = 2
MAX_MENTIONS = 20


def _candidates(token):
    token = token.lower()
    users = User.objects.filter(is_active=True)
    exact = list(users.annotate(u=Lower("username")).filter(u=token)[:2])
    if len(exact) == 1:
        return exact
    # Names the text starts with (one indexed scan of the organization's users per mention).
    by_username = users.alias(name=Lower("username"), text=Value(token)).filter(text__startswith=F("name"))
    by_display = users.exclude(display_name="").alias(name=Lower("display_name"), text=Value(token)).filter(
        text__startswith=F("name"))
    found = {}
    for user, length in [*[(u, u.n) for u in by_username.annotate(n=Length("username"))],
                         *[(u, u.n) for u in by_display.annotate(n=Length("display_name"))]]:
        if length >= MIN_NAME_LENGTH:
            found.setdefault(length, set()).add(user.pk)
    if not found:
        return []
    longest = found[max(found)]
    if len(longest) != 1:
        return []  # two colleagues answer to this name: nobody is guessed
    return [User.objects.get(pk=next(iter(longest)))]


def mentions_resolve(*, organization_id, body):
    """The users `body` mentions, in order of first mention, each once."""
    users, seen = [], set()
    for token in MENTION_RE.findall(body or "")[:MAX_MENTIONS]:
        token = token.rstrip(".-")
        if len(token) < MIN_NAME_LENGTH:
            continue
        with tenant_scope(organization_id):
            for user in _candidates(token):
                if user.pk not in seen:
                    seen.add(user.pk)
                    users.append(user)
    return users

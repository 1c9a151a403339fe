from datetime import timedelta

from django import template

from scrm.customers import phones
from scrm.durations import duration_text

register = template.Library()


@register.filter
def duration(value):
    """A timedelta as people read it ("4小时46分"); "" for None."""
    return duration_text(value.total_seconds()) if isinstance(value, timedelta) else ""


@register.filter
def waited_until(since, now):
    """How long from `since` to `now` ("1天5小时"): `{{ agent.oldest_waiting_at|waited_until:live.now }}`."""
    return duration_text((now - since).total_seconds()) if since and now else ""


@register.filter
def mask_mobile(value):
    """138****5678 from an E.164 number; "" when there is none."""
    return phones.mask_mobile(value) if value else ""


@register.filter
def mask_name(value):
    return phones.mask_name(value)


@register.inclusion_tag("_filter_select.html")
def filter_select(form, name, choices=None, col="col-md-2", testid=""):
    """A list page's filter as a labelled <select> with "Any" first: the field's choices (or `choices`), the ones
    the request asked for selected, whether the filter takes one value or several."""
    field = form[name]
    value = field.value()
    values = value if isinstance(value, (list, tuple)) else [value]
    asked = {str(v) for v in values if v not in (None, "")}
    choices = form.fields[name].choices if choices is None else choices
    options = [(str(v), text, str(v) in asked) for v, text in choices if v not in (None, "")]
    return {"name": name, "label": field.label, "options": options, "col": col, "testid": testid}

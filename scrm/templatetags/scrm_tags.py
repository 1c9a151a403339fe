from datetime import timedelta

from django import template
from django.template.loader import render_to_string

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


def active_filter_count(data, forms, tabs=()):
    """How many of the forms' filters the request sets: a field counts once, a range (two boxes) too; the fields in
    `tabs` (a queue the page picks with its own tabs) do not."""
    count = 0
    for form in forms:
        for name, field in getattr(form, "fields", {}).items():
            key = form.add_prefix(name)
            if key in tabs:
                continue
            suffixes = getattr(field.widget, "widgets_names", None)
            keys = [key + suffix for suffix in suffixes] if suffixes else [key]
            if any(v.strip() for k in keys for v in data.getlist(k)):
                count += 1
    return count


class FilterCardNode(template.Node):
    def __init__(self, nodelist, forms, testid, tabs):
        self.nodelist, self.forms, self.testid, self.tabs = nodelist, forms, testid, tabs

    def render(self, context):
        forms = [f.resolve(context) for f in self.forms]
        forms = [f for f in forms if f]
        request = context.get("request")
        tabs = self.tabs.resolve(context).split() if self.tabs else ()
        count = active_filter_count(request.GET, forms, tabs) if request is not None else 0
        has_errors = any(getattr(f, "errors", None) for f in forms)
        testid = self.testid.resolve(context)
        return render_to_string("_filter_card.html", {
            "testid": testid, "count": count, "open": bool(count or has_errors),
            "content": self.nodelist.render(context)}, request=request)


@register.tag
def filter_card(parser, token):
    """A list page's filter form as a card: `{% filter_card "ticket-filter" filter.form answers.form %}…
    {% endfilter_card %}`. Below the md breakpoint (phones) it folds behind a "Filters (n)" button, open when the
    request sets a filter or one is wrong; from md up it shows as before. `tabs="queue"` names the filters the page
    also picks with tabs above the card: choosing a tab neither counts nor opens the card."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("filter_card takes a test id, then the filter forms")
    tabs = [b for b in bits[2:] if b.startswith("tabs=")]
    forms = [parser.compile_filter(b) for b in bits[2:] if not b.startswith("tabs=")]
    nodelist = parser.parse(("endfilter_card",))
    parser.delete_first_token()
    return FilterCardNode(nodelist, forms, parser.compile_filter(bits[1]),
                          parser.compile_filter(tabs[0].removeprefix("tabs=")) if tabs else None)


class CaptureNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist, self.name = nodelist, name

    def render(self, context):
        context[self.name] = self.nodelist.render(context)
        return ""


@register.tag
def capture(parser, token):
    """`{% capture as name %}…{% endcapture %}`: renders its content into `name` (the blocks inside it still
    inherit), so a page's title can be shown and given as a tooltip from one block."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("capture takes: as name")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])

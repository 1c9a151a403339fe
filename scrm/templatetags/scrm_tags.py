from django import template

from scrm import phones

register = template.Library()


@register.filter
def mask_mobile(value):
    """138****5678 from an E.164 number; "" when there is none."""
    return phones.mask_mobile(value) if value else ""


@register.filter
def mask_name(value):
    return phones.mask_name(value)

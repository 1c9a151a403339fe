from django import template

from settlement.money_text import money_display

register = template.Library()


@register.filter
def money(value):
    """An amount as finance reads it on a page, grouped by thousands: `{{ order.paid_amount|money }}` → 1,234,567.89
    (fractions of a fen kept: 7.194). Never in a form input's value: that must parse back."""
    return money_display(value)

from django import template

from settlement.money_text import money_display, rate_display

register = template.Library()


@register.filter
def money(value):
    """An amount as finance reads it on a page, grouped by thousands: `{{ order.paid_amount|money }}` → 1,234,567.89
    (fractions of a fen kept: 7.194). Never in a form input's value: that must parse back."""
    return money_display(value)


@register.filter
def percent(value):
    """A rate stored as a fraction as finance reads it on a page: `{{ channel.expected_fee_rate|percent }}` → 0.6%.
    Never in a form input's value: the forms take the fraction."""
    return rate_display(value)

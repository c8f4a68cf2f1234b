"""``{% load stripe_money %}`` then ``{{ charge.amount|money:charge.currency }}``."""

from django import template

from gather.integrations.stripe.formatting import format_amount

register = template.Library()


@register.filter
def money(amount, currency):
    return format_amount(amount, currency)

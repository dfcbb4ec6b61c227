"""How an Order History row shows its order: the total with its currency ("1,234.50 BRL",
"5,980 JPY") and the marketplace by name ("Amazon.com.br")."""

from __future__ import annotations

from decimal import Decimal

from django import template

from amazon_ext.amazon.marketplaces import marketplace_for

register = template.Library()

# Currencies Amazon prices in whole units (its JP marketplace); the rest show cents.
WHOLE_UNITS = frozenset({"JPY"})


def total_text(amount: Decimal | None, currency: str) -> str:
    """``amount`` in ``currency`` as the pages and the export show it ("" when unknown)."""
    if amount is None:
        return ""
    shown = f"{amount:,.0f}" if currency in WHOLE_UNITS else f"{amount:,.2f}"
    return f"{shown} {currency}".strip()


def marketplace_text(marketplace_id: str) -> str:
    """The marketplace's name, or its id when we do not know it."""
    found = marketplace_for(marketplace_id) if marketplace_id else None
    return found.name if found else marketplace_id


@register.filter
def order_total(event) -> str:
    """The event's order total with its currency."""
    return total_text(event.order_total, event.currency)


@register.filter
def marketplace_name(marketplace_id: str) -> str:
    return marketplace_text(marketplace_id)

"""Amazon orders → Zoho CRM records. Pure functions: no I/O, no database, no clock.

Field API names of the manual's custom fields differ per organisation, so every function
takes ``names`` (ZohoConnection.field_api_names) and never assumes one.

A package of small modules, by record: products.py, contacts.py, sales_orders.py; the
money (lines, Adjustment, Grand_Total) in money.py; what they share in records.py. Every
name stays importable as ``crm_sync.mapping.X``.
"""

# ruff: noqa: F401  (re-exports: callers use crm_sync.mapping.X)
from crm_sync.mapping.contacts import (
    buyer_key,
    contact_record,
    contact_without_buyer_data,
    contacts_for_orders,
    latest_order_per_buyer,
    latest_per_key,
    split_name,
)
from crm_sync.mapping.money import (
    _ZERO_DECIMAL_CURRENCIES,
    _exponent,
    _order_money,
    check_mappable,
    checked_currency,
    expected_grand_total,
    money_amount,
    order_adjustment,
    order_currency,
    record_grand_total,
    unit_price,
)
from crm_sync.mapping.products import (
    merge_products,
    order_products,
    product_record,
    products_for_orders,
)
from crm_sync.mapping.records import (
    INCOMPLETE_STATUSES,
    WITHHELD_BUYER_KEY,
    WITHHELD_BUYER_NAME,
    ZOHO_STATUS,
    UnmappableOrderError,
    ZohoRecord,
    fingerprint,
    is_complete,
    to_json_ready,
    zoho_text,
)
from crm_sync.mapping.sales_orders import (
    currency_fields,
    order_lines,
    sales_order_record,
    sales_order_without_buyer_data,
    status_fields,
)

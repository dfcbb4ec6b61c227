"""The Zoho CRM modules the extension writes, by their API names (one spelling everywhere)."""

PRODUCTS = "Products"
CONTACTS = "Contacts"
SALES_ORDERS = "Sales_Orders"

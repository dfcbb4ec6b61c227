"""Seeded module and field metadata per edition (spec §3, §4, §5)."""

from __future__ import annotations

EDITIONS = ("free", "standard", "professional", "enterprise", "ultimate")

# Simultaneous calls per org (spec §5).
CONCURRENCY = {"free": 5, "standard": 10, "professional": 15, "enterprise": 20, "ultimate": 25}

# Daily credits: (base, per user, ceiling or None). Free is a flat 5,000.
CREDITS = {
    "free": (5_000, 0, 5_000),
    "standard": (50_000, 250, 100_000),
    "professional": (50_000, 500, 3_000_000),
    "enterprise": (50_000, 1_000, 5_000_000),
    "ultimate": (50_000, 2_000, None),
}

# Custom fields per module (spec §4; Free is not documented, we use 5).
CUSTOM_FIELD_CAP = {
    "free": 5,
    "standard": 10,
    "professional": 155,
    "enterprise": 300,
    "ultimate": 500,
}
UNIQUE_FIELD_CAP = 2
FIELDS_PER_CALL = 5

BASIC_MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Products")
SALES_MODULES = ("Sales_Orders",)


def modules_for(edition: str) -> tuple[str, ...]:
    if edition in ("free", "standard"):
        return BASIC_MODULES
    return BASIC_MODULES + SALES_MODULES


MODULE_LABELS = {
    "Leads": ("Leads", "Lead"),
    "Contacts": ("Contacts", "Contact"),
    "Accounts": ("Accounts", "Account"),
    "Deals": ("Deals", "Deal"),
    "Products": ("Products", "Product"),
    "Sales_Orders": ("Sales Orders", "Sales Order"),
}

# System duplicate-check field per module (spec §2 "Upsert matching").
SYSTEM_DUPLICATE_FIELD = {
    "Leads": "Email",
    "Contacts": "Email",
    "Accounts": "Account_Name",
    "Deals": None,
    "Products": "Product_Name",
    "Sales_Orders": "Subject",
}

# Field that names a record when it is the target of a lookup.
DISPLAY_FIELD = {
    "Leads": "Full_Name",
    "Contacts": "Full_Name",
    "Accounts": "Account_Name",
    "Deals": "Deal_Name",
    "Products": "Product_Name",
    "Sales_Orders": "Subject",
}


def _f(
    api_name, data_type, length=None, *, label=None, mandatory=False, read_only=False, lookup=None
):
    return {
        "api_name": api_name,
        "field_label": label or api_name.replace("_", " "),
        "data_type": data_type,
        "length": length,
        "system_mandatory": mandatory,
        "read_only": read_only,
        "lookup_module": lookup,
    }


_COMMON_TAIL = [
    _f("Owner", "ownerlookup", label="Owner"),
    _f("Created_Time", "datetime", read_only=True),
    _f("Modified_Time", "datetime", read_only=True),
    _f("Created_By", "ownerlookup", read_only=True),
    _f("Modified_By", "ownerlookup", read_only=True),
    _f("Description", "textarea", 32000),
    _f("Tag", "jsonarray", read_only=True),
]

_ADDRESS = [
    _f(f"{kind}_{part}", "text", length)
    for kind in ("Billing", "Shipping")
    for part, length in (
        ("Street", 250),
        ("City", 100),
        ("State", 100),
        ("Code", 30),
        ("Country", 100),
    )
]

SYSTEM_FIELDS: dict[str, list[dict]] = {
    "Products": [
        _f("Product_Name", "text", 255, mandatory=True),
        _f("Product_Code", "text", 40),
        _f("Product_Active", "boolean"),
        _f("Product_Category", "picklist", 120),
        _f("Manufacturer", "picklist", 120),
        _f("Unit_Price", "currency", 16),
        _f("Commission_Rate", "currency", 16),
        _f("Qty_in_Stock", "double", 16, label="Qty in Stock"),
        _f("Qty_Ordered", "double", 16, read_only=True),
        _f("Reorder_Level", "double", 16),
        _f("Taxable", "boolean"),
        _f("Tax", "multiselectpicklist"),
        _f("Usage_Unit", "picklist", 120),
        _f("Sales_Start_Date", "date"),
        _f("Sales_End_Date", "date"),
        _f("Support_Start_Date", "date"),
        _f("Support_Expiry_Date", "date"),
        *_COMMON_TAIL,
    ],
    "Contacts": [
        _f("Last_Name", "text", 80, mandatory=True),
        _f("First_Name", "text", 40),
        _f("Full_Name", "text", 121, read_only=True),
        _f("Salutation", "picklist", 25),
        _f("Email", "email", 100),
        _f("Secondary_Email", "email", 100),
        _f("Phone", "phone", 30),
        _f("Mobile", "phone", 30),
        _f("Home_Phone", "phone", 30),
        _f("Title", "text", 100),
        _f("Department", "text", 100),
        _f("Lead_Source", "picklist", 120),
        _f("Date_of_Birth", "date"),
        _f("Email_Opt_Out", "boolean"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        *[
            _f(f"Mailing_{p}", "text", n)
            for p, n in (
                ("Street", 250),
                ("City", 100),
                ("State", 100),
                ("Zip", 30),
                ("Country", 100),
            )
        ],
        *[
            _f(f"Other_{p}", "text", n)
            for p, n in (
                ("Street", 250),
                ("City", 100),
                ("State", 100),
                ("Zip", 30),
                ("Country", 100),
            )
        ],
        *_COMMON_TAIL,
    ],
    "Leads": [
        _f("Last_Name", "text", 80, mandatory=True),
        _f("First_Name", "text", 40),
        _f("Full_Name", "text", 121, read_only=True),
        _f("Company", "text", 200),
        _f("Email", "email", 100),
        _f("Phone", "phone", 30),
        _f("Lead_Status", "picklist", 120),
        _f("Lead_Source", "picklist", 120),
        *_COMMON_TAIL,
    ],
    "Accounts": [
        _f("Account_Name", "text", 200, mandatory=True),
        _f("Account_Number", "text", 40),
        _f("Phone", "phone", 30),
        _f("Website", "website", 255),
        _f("Industry", "picklist", 120),
        *_ADDRESS,
        *_COMMON_TAIL,
    ],
    "Deals": [
        _f("Deal_Name", "text", 120, mandatory=True),
        _f("Stage", "picklist", 120, mandatory=True),
        _f("Amount", "currency", 16),
        _f("Closing_Date", "date"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        _f("Contact_Name", "lookup", lookup="Contacts"),
        *_COMMON_TAIL,
    ],
    "Sales_Orders": [
        _f("Subject", "text", 255, mandatory=True),
        _f("Ordered_Items", "subform", label="Ordered Items", mandatory=True),
        _f("SO_Number", "autonumber", 255, label="SO Number", read_only=True),
        _f("Contact_Name", "lookup", lookup="Contacts"),
        _f("Account_Name", "lookup", lookup="Accounts"),
        _f("Deal_Name", "lookup", lookup="Deals"),
        _f("Status", "picklist", 120),
        _f("Due_Date", "date"),
        _f("Purchase_Order", "text", 100),
        _f("Customer_No", "text", 100, label="Customer No."),
        _f("Carrier", "picklist", 120),
        _f("Pending", "text", 100),
        _f("Excise_Duty", "currency", 16),
        _f("Sales_Commission", "currency", 16),
        _f("Discount", "currency", 16),
        _f("Tax", "currency", 16),  # listed as writable, but computed from $line_tax
        _f("Adjustment", "currency", 16),
        _f("Sub_Total", "currency", 16, read_only=True),
        _f("Grand_Total", "currency", 16, read_only=True),
        _f("Terms_and_Conditions", "textarea", 32000),
        *_ADDRESS,
        *_COMMON_TAIL,
    ],
}

# The Ordered_Items subform (spec §3).
ORDERED_ITEMS_FIELDS: list[dict] = [
    _f("Product_Name", "lookup", mandatory=True, lookup="Products"),
    _f("Quantity", "double", 16),
    _f("List_Price", "currency", 16),
    _f("Discount", "currency", 16),
    _f("Tax", "currency", 16),  # listed as writable, but computed from Line_Tax
    _f("Line_Tax", "jsonarray"),
    _f("Description", "textarea", 2000),
    _f("Price_Book_Name", "lookup", lookup="Price_Books"),
    _f("Sequence_Number", "integer", 9),
    _f("Unit_Price", "currency", 16, read_only=True),
    _f("Total", "formula", read_only=True),
    _f("Net_Total", "formula", read_only=True),
    _f("Total_After_Discount", "formula", read_only=True),
    _f("Parent_Id", "lookup", read_only=True, lookup="Sales_Orders"),
]

# Field API names that a record carries but clients can never set; silently ignored on write.
IGNORED_ON_WRITE = {"Created_Time", "Modified_Time", "Created_By", "Modified_By", "Tag"}

CUSTOM_DATA_TYPES = {
    "text": 255,
    "textarea": 32000,
    "email": 100,
    "phone": 30,
    "website": 255,
    "integer": 9,
    "bigint": 18,
    "double": 16,
    "currency": 16,
    "percent": 5,
    "boolean": None,
    "date": None,
    "datetime": None,
    "picklist": 120,
}
UNIQUE_ALLOWED_TYPES = {
    "text",
    "email",
    "phone",
    "website",
    "integer",
    "bigint",
    "double",
    "currency",
}
RESERVED_LABELS = {
    "id",
    "owner",
    "created time",
    "modified time",
    "created by",
    "modified by",
    "tag",
}

JSON_TYPES = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "phone": "string",
    "website": "string",
    "picklist": "string",
    "autonumber": "string",
    "date": "string",
    "datetime": "string",
    "integer": "integer",
    "bigint": "string",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "subform": "jsonarray",
    "jsonarray": "jsonarray",
    "multiselectpicklist": "jsonarray",
    "formula": "double",
}

# Fields present in orgs created with legacy_field_names=True: they were once created with the
# manual's labels and later relabelled, so their API names block the natural names
# (ASIN No -> ASIN_No1, Amazon Order ID -> Amazon_Order_ID1 in Sales_Orders).
LEGACY_FIELDS = {
    "Products": [("Old ASIN", "ASIN_No", "text", 20)],
    "Sales_Orders": [("Legacy Amazon Order", "Amazon_Order_ID", "text", 50)],
}

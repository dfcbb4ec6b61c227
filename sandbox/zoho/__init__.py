"""Local stand-in for Zoho Accounts (OAuth) and the Zoho CRM v8 API.

Usage::

    from sandbox.zoho import ZohoStandIn

    standin = ZohoStandIn().start()
    standin.register_client("id", "secret", ["http://127.0.0.1:8000/zoho/callback"])
    org = standin.create_org(company_name="Acme", admin_email="admin@acme.example")
    ...
    standin.stop()

See ``standin.py`` for the public API and ``README`` notes in the module docstrings.
"""

from .standin import ZohoStandIn
from .store import SandboxOrg

__all__ = ["SandboxOrg", "ZohoStandIn"]

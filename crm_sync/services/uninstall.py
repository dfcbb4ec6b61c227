"""Kept as its own module name for the views: see crm_sync.services.install."""

from crm_sync.services.install import tenant_uninstall

__all__ = ["tenant_uninstall"]

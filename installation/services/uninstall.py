"""Kept as its own module name for the views: see installation.services.install."""

from installation.services.install import tenant_uninstall

__all__ = ["tenant_uninstall"]

"""Pages for signing in to an organisation, the install wizard, Settings and Uninstall.

Views are thin: check access with ``tenant_for_user``, hand input to a form, call a service,
render or redirect. Nothing here touches ``Model.objects``. One module per page family:
``home`` (organisation picker), ``wizard``, ``settings``, ``amazon_authorize``, ``uninstall``.
"""

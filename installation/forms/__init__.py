"""Forms for the install wizard and Settings. They collect and shape input; the services
decide what is valid (credentials) and save it.

Labels are the manual's own ("Aws Accesskey", "MarketplaceID 1", ...); the credential help
texts are its section 1.2, "Finding your Amazon Credentials". One module per page family:
``organisation``, ``wizard``, ``credentials`` (with ``credentials_help``), ``settings``; the
"Choose Users/ Profiles" fields both the wizard and Settings ask for are in ``scope``.
"""

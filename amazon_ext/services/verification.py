"""Checking credentials with Amazon before they are saved (``credentials_save(verify=...)``).

Amazon's answer is turned into ``CredentialsInvalidError`` keyed by the form field at fault,
so the wizard shows "Amazon rejected the Secret Key" under the Secret Key.
"""

from __future__ import annotations

from amazon_ext.models import AmazonCredentials
from amazon_ext.validation import CredentialsInvalidError

FORM_LEVEL = "__all__"
NO_ANSWER = "Amazon did not answer; try again in a minute."


def credentials_verify_with_amazon(credentials: AmazonCredentials) -> None:
    """Ask Amazon whether these credentials work: MWS ListMarketplaceParticipations; SP-API
    one getOrder of an id no order has (404 expected), never searchOrders, whose quota of 20
    pages then one per 179 s belongs to the first page of the next run; then for SP-API the
    seller check of ``SpApiClient.check_seller`` (Sellers API, one fee estimate)."""
    # Imported here: the client package is optional for pages that never verify.
    from amazon_ext.amazon.errors import AmazonCredentialError, AmazonError
    from amazon_ext.amazon.factory import orders_client_for

    try:
        client = orders_client_for(credentials)
        client.verify()
        check_seller = getattr(client, "check_seller", None)
        if check_seller is not None:
            # SP-API: the Seller ID (typed, or Amazon's callback's selling_partner_id, which
            # the browser could alter) must be the token's seller as far as Amazon says.
            check_seller()
    except AmazonCredentialError as exc:
        raise CredentialsInvalidError({exc.field or FORM_LEVEL: exc.message}) from None
    except AmazonError:
        raise CredentialsInvalidError({FORM_LEVEL: NO_ANSWER}) from None

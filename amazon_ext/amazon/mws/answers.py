"""MWS error answers → the shared AmazonError types, in words a seller can act on.

Codes and HTTP statuses from ../shared/specs/amazon-apis.md §3 (MWS DG_Errors): credential
problems become AmazonCredentialError naming the form field to fix and are never retried.
Amazon's message is quoted only after secrets are scrubbed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonError,
    AmazonRequestError,
    AmazonThrottledError,
)
from amazon_ext.amazon.mws.xmldoc import MwsErrorBody


def error_for(
    action: str,
    *,
    status: int,
    headers: Mapping[str, str],
    error: MwsErrorBody,
    seller_id: str,
    marketplace_ids: Sequence[str],
    host: str,
    scrub: Callable[[str], str],
) -> AmazonError:
    """The exception for an MWS error answer that no retry can fix."""
    code, request_id = error.code, error.request_id
    message = scrub(error.message) or f"HTTP {status}"
    if code == "InvalidAccessKeyId":
        return AmazonCredentialError(
            "Amazon does not know this AWS Access Key. Copy it again from the MWS "
            "developer credentials in Seller Central.",
            field="access_key",
            code=code,
            request_id=request_id,
        )
    if code == "SignatureDoesNotMatch":
        return AmazonCredentialError(
            "Amazon rejected the Secret Key: the request signature did not match. Check "
            "that it belongs to this AWS Access Key and was copied completely.",
            field="secret_key",
            code=code,
            request_id=request_id,
        )
    if code == "AccessDenied":
        return _access_denied(message, request_id, seller_id, marketplace_ids, host)
    if code == "QuotaExceeded":
        resets = headers.get("x-mws-quota-resetsOn")
        when = f" It resets at {resets}." if resets else ""
        return AmazonThrottledError(
            f"Amazon's hourly request quota for {action} is used up.{when}",
            code=code,
            request_id=request_id,
        )
    if code == "InvalidParameterValue" and "marketplace" in message.lower():
        for position, marketplace_id in enumerate(marketplace_ids, 1):
            if marketplace_id in message:
                return AmazonCredentialError(
                    f"Amazon refused Marketplace ID {marketplace_id}: {message}",
                    field=f"marketplace_id_{position}",
                    code=code,
                    request_id=request_id,
                )
    if code == "NextTokenCorrupted":
        return AmazonRequestError(
            f"Amazon refused the NextToken of {action} ({message}); start the listing again.",
            code=code,
            request_id=request_id,
        )
    return AmazonRequestError(
        f"Amazon refused {action}: {message}",
        code=code or f"HTTP{status}",
        request_id=request_id,
    )


def _access_denied(
    message: str,
    request_id: str | None,
    seller_id: str,
    marketplace_ids: Sequence[str],
    host: str,
) -> AmazonCredentialError:
    """MWSAuthToken problems, a marketplace not sold in, else the seller (or its region)."""
    if "mwsauthtoken" in message.lower():
        return AmazonCredentialError(
            f"Amazon rejected the MWS Auth Token for Seller ID {seller_id} "
            f"({message}). Copy the token again from Seller Central → User Permissions.",
            field="mws_auth_token",
            code="AccessDenied",
            request_id=request_id,
        )
    for position, marketplace_id in enumerate(marketplace_ids, 1):
        if marketplace_id in message:
            return AmazonCredentialError(
                f"Marketplace {marketplace_id} is not one this seller sells in.",
                field=f"marketplace_id_{position}",
                code="AccessDenied",
                request_id=request_id,
            )
    return AmazonCredentialError(
        f"Amazon denied access to Seller ID {seller_id} ({message}). Either this "
        "seller has not authorised the developer account of this AWS Access Key, or the "
        f"Seller ID is registered in another region than {host} (the region of the "
        "Marketplace IDs).",
        field="seller_id",
        code="AccessDenied",
        request_id=request_id,
    )

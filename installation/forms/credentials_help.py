"""The credentials form's help texts, per field: the manual's section 1.2, "Finding your
Amazon Credentials"."""

from __future__ import annotations

_PERMISSIONS = "Seller Central → Settings → User Permissions → Amazon MWS Developer Permissions"

HELP = {
    "access_key": (
        f"{_PERMISSIONS}: click “View your credentials”; the pop-up "
        "“Your Developer Account Information” shows the AWS Access Key ID."
    ),
    "seller_id": (f"{_PERMISSIONS} → Your Account Information shows the Seller ID."),
    "secret_key": (
        f"{_PERMISSIONS}: click “View your credentials”; the Secret Key is in the same "
        "pop-up as the AWS Access Key (click Show)."
    ),
    "mws_auth_token": (
        f"{_PERMISSIONS}: click “Authorize a Developer”, enter the developer's name and ID "
        "and click Next; the MWS Auth Token is shown under Seller-Developer Authorization."
    ),
    "marketplace_id": (
        "Shown with the MWS Auth Token after “Authorize a Developer” (Seller account "
        "identifiers → Marketplace ID), e.g. ATVPDKIKX0DER for Amazon.com."
    ),
    "marketplace_id_extra": "Optional: another marketplace served by the same Amazon endpoint.",
    "kind": (
        "Selling Partner API for a real seller account today: enter the Marketplace IDs, then "
        "press Authorize with Amazon. Amazon MWS is the manual's legacy connection (Amazon "
        "switched it off on 1 April 2024), kept for existing set-ups and the stand-in."
    ),
    "lwa_client_id": (
        "Developer Central (Seller Central → Apps and Services → Develop Apps) → your app → "
        "View under LWA credentials: the Client identifier, amzn1.application-oa2-client.…"
    ),
    "lwa_client_secret": "Shown next to the LWA client identifier (Client secret).",
    "lwa_refresh_token": (
        "Atzr|… from your app's Authorize (self-authorization) in Developer Central, or "
        "press Authorize with Amazon and leave this blank."
    ),
}

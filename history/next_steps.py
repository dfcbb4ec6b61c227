"""What a run tells the user to do next, with a link: a credential error points at the
field in Settings (an anchor on the field), Zoho disconnected at Reconnect, quarantined
orders at Replay. ``SyncRun.next_step`` is the code the failure stored
(crm_sync.services.next_step); this turns it into links for the run page and the email."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from history.models import OrderEvent, SyncRun

# The fields of the credentials form (their ids are the anchors on the Settings page).
CREDENTIAL_FIELDS = frozenset(
    {
        "access_key",
        "secret_key",
        "mws_auth_token",
        "seller_id",
        "lwa_client_id",
        "lwa_client_secret",
        "lwa_refresh_token",
        "marketplace_id_1",
        "marketplace_id_2",
        "marketplace_id_3",
    }
)


# Zoho's own help page for adding a currency (the path in its Setup is in the message).
ZOHO_CURRENCIES_HELP = (
    "https://help.zoho.com/portal/en/kb/crm/organization-settings/company-settings/"
    "articles/multiple-currencies"
)
REFUSED_CURRENCY = "Zoho refused currency"


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str


def refused_currency_message(currency: str) -> str:
    """An order's history line when Zoho refused its currency (INVALID_DATA on Currency: the
    multi-currency organisation has not added it)."""
    code = currency or "of this order"
    return (
        f"{REFUSED_CURRENCY} {code}: add {currency or 'it'} in Zoho CRM Setup → General → "
        "Company Details → Currencies, then Replay."
    )


def _refused_currencies(run: SyncRun) -> list[str]:
    if not run.records_failed:
        return []  # the common case costs no query
    found = (
        OrderEvent.objects.filter(
            tenant_id=run.tenant_id,
            run=run,
            action=OrderEvent.Action.FAILED,
            message__startswith=REFUSED_CURRENCY,
        )
        .values_list("currency", flat=True)
        .distinct()
    )
    return sorted({code for code in found if code})


def next_steps_for_run(*, run: SyncRun, quarantined: int = 0) -> list[NextStep]:
    """The links shown under a run's error (``quarantined``: its quarantined orders)."""
    steps = []
    tenant_id = run.tenant_id
    code = run.next_step or ""
    if code.startswith("settings:"):
        field = code.removeprefix("settings:")
        if field == "marketplace_ids":
            field = "marketplace_id_1"
        anchor = f"id_{field}" if field in CREDENTIAL_FIELDS else "credentials"
        url = reverse("installation:settings", kwargs={"tenant_id": tenant_id})
        steps.append(NextStep("Fix it in Settings → Amazon credentials", f"{url}#{anchor}"))
    elif code == "zoho:reconnect":
        url = reverse("zoho:connect", kwargs={"tenant_id": tenant_id})
        steps.append(NextStep("Reconnect Zoho CRM", url))
    refused = _refused_currencies(run)
    if refused:
        codes = ", ".join(refused)
        steps.append(
            NextStep(f"Add {codes} in Zoho CRM's Currencies (Zoho's help)", ZOHO_CURRENCIES_HELP)
        )
        url = reverse("history:run_detail", kwargs={"tenant_id": tenant_id, "run_id": run.pk})
        steps.append(NextStep("Then replay the failed orders", f"{url}#replay"))
    if quarantined:
        url = reverse("history:run_detail", kwargs={"tenant_id": tenant_id, "run_id": run.pk})
        plural = "s" if quarantined != 1 else ""
        steps.append(
            NextStep(
                f"Replay the {quarantined} quarantined order{plural} once Amazon's answer is right",
                f"{url}#replay",
            )
        )
    return steps

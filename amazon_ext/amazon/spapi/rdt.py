"""Restricted Data Tokens: the buyer's name, email and address for the order calls.

One RDT per client covers every order call (spec §5 "PII and the RDT"). If Amazon refuses it
— the app has no restricted role, or a data element is not granted — the client carries on
with the plain LWA token: Amazon then leaves BuyerInfo empty, the mapping files those orders
under the anonymous "Amazon Customer" contact, and the run's notes say why
(:data:`RDT_WITHHELD_NOTE`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from amazon_ext.amazon.errors import (
    AmazonCredentialError,
    AmazonRequestError,
    AmazonResponseError,
)
from amazon_ext.amazon.spapi import parsing
from amazon_ext.amazon.spapi.lwa import AccessToken, refresh_margin
from amazon_ext.amazon.spapi.operations import CREATE_RDT, RDT_PATH
from amazon_ext.amazon.spapi.transport import SpApiTransport

RDT_WITHHELD_NOTE = (
    "buyer data withheld: the app has no Restricted Data Token role, so Amazon sent no buyer "
    "name, email or street address; these orders use the anonymous Amazon Customer contact."
)


class RestrictedTokens:
    """Token provider for the order calls: an RDT while Amazon grants one, else LWA's.

    ``resources()`` names what the Orders API version needs unlocked ([] = no RDT needed);
    ``lwa(rejected=…)`` is the plain token provider; ``run_notes`` receives the note.
    """

    def __init__(
        self,
        *,
        transport: SpApiTransport,
        lwa: Callable[..., str],
        resources: Callable[[], list[dict]],
        run_notes: list[str],
    ) -> None:
        self._transport = transport
        self._lwa = lwa
        self._resources = resources
        self._run_notes = run_notes
        self._rdt: AccessToken | None = None
        self._refused = False
        self._lock = threading.Lock()

    def __call__(self, rejected: str | None = None) -> str:
        with self._lock:
            if not self._refused:
                rdt = self._rdt
                if rdt is not None and rdt.usable() and rdt.value != rejected:
                    return rdt.value
                resources = self._resources()
                if resources:
                    self._rdt = self._request(resources)
                    if self._rdt is not None:
                        return self._rdt.value
        return self._lwa(rejected)

    def _request(self, resources: list[dict]) -> AccessToken | None:
        started = time.time()
        try:
            body, request_id = self._transport.call(
                CREATE_RDT,
                RDT_PATH,
                token=self._lwa,
                json_body=json.dumps({"restrictedResources": resources}),
            )
        except AmazonCredentialError as exc:
            if exc.field != "lwa_refresh_token" or exc.code != "Unauthorized":
                raise  # the LWA credentials themselves are wrong
            return self._withheld()
        except AmazonRequestError:
            # Amazon also answers 400 when a data element is not granted to the app.
            return self._withheld()
        data = parsing.load_json(body, request_id=request_id, what=CREATE_RDT)
        token = data.get("restrictedDataToken")
        if not isinstance(token, str) or not token:
            raise AmazonResponseError(
                "Amazon's Restricted Data Token answer had no token.",
                code="MalformedResponse",
                request_id=request_id,
            )
        try:
            expires_in = float(data.get("expiresIn") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        if not 0 < expires_in < 10**7:
            expires_in = 3600.0
        return AccessToken(token, started + expires_in - refresh_margin(expires_in))

    def _withheld(self) -> None:
        self._refused = True
        if RDT_WITHHELD_NOTE not in self._run_notes:
            self._run_notes.append(RDT_WITHHELD_NOTE)
        return None

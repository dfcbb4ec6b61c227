"""JSON that keeps money exact: a ``Decimal`` is stored as ``{"__decimal__": "19.99"}``.

Staged records hold Zoho payloads between staging and writing. A float would round some
amounts (and a plain string could not be told apart from text), so a Decimal is tagged on the
way in and comes back as the same Decimal; it becomes a JSON number only at the Zoho edge
(``crm_sync.pipeline.write``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

TAG = "__decimal__"


class DecimalJSONEncoder(json.JSONEncoder):
    """Encodes ``Decimal("0.30")`` as ``{"__decimal__": "0.30"}`` (exact, scale kept)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {TAG: str(o)}
        return super().default(o)


def _object_hook(obj: dict) -> Any:
    if len(obj) == 1 and TAG in obj:
        return Decimal(obj[TAG])
    return obj


class DecimalJSONDecoder(json.JSONDecoder):
    """The inverse of :class:`DecimalJSONEncoder`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("object_hook", _object_hook)
        super().__init__(*args, **kwargs)

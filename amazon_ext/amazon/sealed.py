"""A secret held in memory that prints as a mask (logs, tracebacks, reprs)."""

from __future__ import annotations

from tenants.encryption import MASK


class Sealed:
    """``reveal()`` returns the plaintext; ``str``/``repr`` show the mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    __str__ = __repr__

"""URL converters. ``<id:...>`` matches a database id: 1 to 18 digits, so an id beyond
PostgreSQL's bigint (or SQLite's 64-bit integer) is a 404 like any unknown id, not an
overflow in the database driver."""

from __future__ import annotations

from django.urls import register_converter


class DatabaseIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def register() -> None:
    register_converter(DatabaseIdConverter, "id")

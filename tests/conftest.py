"""Shared pytest configuration. Fixture modules live in tests/fixtures/, one per area."""

pytest_plugins = [
    "tests.fixtures.amazon",
    "tests.fixtures.zoho",
    "tests.fixtures.tenants",
    "tests.fixtures.sync",
]

"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

The live server runs in a thread of this process, so ``settings`` changes and the eager Celery
switch apply to it. Screenshots of each page go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.celery_app import app as celery_app
from tests.fixtures.zoho import DEFAULT_REDIRECT_URIS, TEST_CLIENT_ID, TEST_CLIENT_SECRET

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """``new_page(**context_kwargs)`` opens a page in a fresh context (own cookies)."""
    contexts = []
    csp_violations: list[str] = []

    def make(**kwargs):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **kwargs})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # Every product page must satisfy its Content-Security-Policy (no inline script or
        # style): Chromium reports each violation on the console.
        page.on(
            "console",
            lambda msg: (
                csp_violations.append(f"{page.url}: {msg.text}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not csp_violations, "\n".join(csp_violations)


@pytest.fixture
def shot():
    """``shot(page, "name")`` saves a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def zoho_redirect_uris(live_server) -> list[str]:
    return [*DEFAULT_REDIRECT_URIS, f"{live_server.url}/zoho/callback"]


@pytest.fixture
def product_settings(settings, live_server, amazon_standin, zoho_standin):
    """Point the product at both stand-ins and run Celery tasks inline."""
    settings.AMAZON_MWS_ENDPOINT_OVERRIDE = amazon_standin.url
    settings.AMAZON_SPAPI_ENDPOINT_OVERRIDE = amazon_standin.url
    settings.AMAZON_LWA_TOKEN_URL = f"{amazon_standin.url}/auth/o2/token"
    settings.AMAZON_QUOTA_TIME_SCALE = amazon_standin.time_scale
    settings.ZOHO_ACCOUNTS_URL = zoho_standin.accounts_url
    settings.ZOHO_CLIENT_ID = TEST_CLIENT_ID
    settings.ZOHO_CLIENT_SECRET = TEST_CLIENT_SECRET
    settings.ZOHO_REDIRECT_URI = f"{live_server.url}/zoho/callback"
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield settings
    celery_app.conf.task_always_eager = before

"""The unsubscribe pages in headless Chromium (Debian's /usr/bin/chromium driven by playwright's Python
API; never `playwright install`). Each page is saved as a screenshot in tests/artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import LEAD_DOMAIN
from tests.web_support import events, lead, running_daemon

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).with_name("artifacts")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GERMAN = f"greta@{LEAD_DOMAIN}"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: `make debs` installs Debian's chromium package"
    if os.environ.get("SQA_REQUIRE_CHROMIUM") == "1":  # set by `make test`: a missing browser is a failure
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


async def test_confirm_and_resubscribe_in_chromium(tmp_path, dovecot, smtp_sink, database_url):
    _require_chromium()
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    async with running_daemon(tmp_path, dovecot, smtp_sink, database_url, leads={GERMAN: "de"}) as d, \
            async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            context = await browser.new_context(locale="en-US", java_script_enabled=False)  # none needed
            page = await context.new_page()
            blocked: list[str] = []
            page.on("requestfailed", lambda r: blocked.append(r.url))

            response = await page.goto(d.url(GERMAN))
            assert response is not None and response.status == 200
            assert await page.get_attribute("html", "lang") == "de"  # the lead's language, not the browser's
            assert await page.title() == "Abmelden"
            assert await page.locator("main").count() == 1
            main = await page.locator("main").inner_text()
            assert "g***@lead.test" in main and GERMAN not in main
            button = page.get_by_role("button", name="Abmelden")
            assert await button.is_visible()
            await page.screenshot(path=ARTIFACTS / f"unsubscribe-1-confirm-{backend}.png", full_page=True)
            await page.reload()  # a second look changes nothing either
            assert await events(d.app) == []

            await button.click()
            await page.wait_for_load_state()
            assert page.url.endswith("/confirm")  # the answer to the POST itself: no redirect
            assert await page.locator("h1").inner_text() == "Sie sind abgemeldet"
            await page.screenshot(path=ARTIFACTS / f"unsubscribe-2-done-{backend}.png", full_page=True)
            assert [(e.action, e.source) for e in await events(d.app)] == [("opt_out", "confirm_page")]
            assert (await lead(d.app, d.leads[GERMAN])).status == "opted_out"

            await page.get_by_role("button", name="Wieder anmelden").click()
            await page.wait_for_load_state()
            assert await page.locator("h1").inner_text() == "Sie sind wieder angemeldet"
            await page.screenshot(path=ARTIFACTS / f"unsubscribe-3-resubscribed-{backend}.png", full_page=True)
            assert blocked == []  # no external resources were even tried
            await context.close()
        finally:
            await browser.close()
    log = await events(d.app)
    assert [(e.address, e.action, e.source, e.actor) for e in log] == [
        (GERMAN, "opt_out", "confirm_page", "recipient"), (GERMAN, "opt_in", "confirm_page", "recipient")]
    assert "Chrome" in log[0].evidence["user_agent"] and log[0].evidence["ip"] == "127.0.0.1"

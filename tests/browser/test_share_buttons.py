"""The share snippet inside a sample article page, in Chromium: reachable by keyboard, with
visible focus, opening the platform's intent through the counting redirect, in light and dark."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page

from syndicate.config import SHARE_BUTTONS
from tests.browser.conftest import Outside, screenshot_path
from tests.client import Client, article, envelope

SAMPLE_URL = "http://news.example/2026/sample-article"


def sample_page(snippet: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour ferry returns</title>
<style>:root{{color-scheme:light dark}}body{{font:17px/1.6 Georgia,serif;max-width:40rem;
margin:2rem auto;padding:0 1rem}}</style></head>
<body><article><h1>Harbour ferry returns after 40 years</h1>
<p>The ferry between the two harbours carried its first passengers since 1986 on Monday,
after the council voted to fund a three-year trial.</p>
<p>Commuters said the crossing took twelve minutes.</p>
{snippet}
</article></body></html>"""


def publish_sample(client: Client) -> str:
    """Publish the sample article; return its share snippet as the CMS would fetch it."""
    art = article("share-b", title="Harbour ferry returns after 40 years 🚢")
    assert client.send(envelope(art)).status_code == 202
    return client.http.get("/share/share-b/buttons").text


def open_sample(context: BrowserContext, snippet: str) -> Page:
    body = sample_page(snippet)
    context.route(
        SAMPLE_URL,
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body),
    )
    page = context.new_page()
    page.goto(SAMPLE_URL)
    return page


def focused(page: Page) -> str:
    return str(
        page.evaluate(
            """() => {
            const el = document.activeElement;
            if (el.dataset.share) return el.dataset.share;
            if (el.tagName === "SUMMARY") return "copy";
            return el.tagName.toLowerCase();
        }"""
        )
    )


def test_every_button_is_reachable_by_keyboard_with_visible_focus(
    context: BrowserContext, client: Client
) -> None:
    page = open_sample(context, publish_sample(client))
    order = []
    for _ in SHARE_BUTTONS:
        page.keyboard.press("Tab")
        order.append(focused(page))
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", order[-1]
    assert order == list(SHARE_BUTTONS)
    assert page.get_by_role("link", name="Bluesky (opens in a new tab)").count() == 1
    assert page.get_by_role("link", name="Email a friend (opens in a new tab)").count() == 1
    page.keyboard.press("Enter")  # on "Copy link": the disclosure opens on the link to copy
    field = page.get_by_label("Link to this article")
    assert field.is_visible()
    assert field.input_value().endswith("?utm_medium=share_button&utm_source=copy")
    page.screenshot(path=screenshot_path("share-buttons.png"), full_page=True)


def test_pressing_a_button_opens_the_intent_and_counts_the_share(
    context: BrowserContext, client: Client, outside: Outside
) -> None:
    page = open_sample(context, publish_sample(client))
    page.get_by_role("link", name="Bluesky (opens in a new tab)").focus()
    with context.expect_page() as opened:
        page.keyboard.press("Enter")
    popup = opened.value
    popup.wait_for_load_state()
    intents = [url for url in outside.urls if url.startswith("https://bsky.app/")]
    assert len(intents) == 1, outside.urls
    assert intents[0].startswith("https://bsky.app/intent/compose?text=")
    text = parse_qs(urlsplit(intents[0]).query)["text"][0]
    assert text.startswith("Harbour ferry returns after 40 years 🚢")
    assert "https://news.example/2026/share-b?utm_medium=share_button&utm_source=bluesky" in text
    # The new tab cannot reach back to the article (noopener), nor learn where it came from.
    go = [r for r in outside.loopback if "/go/" in r.url]
    assert [r.url for r in go] == [f"{client.base_url}/share/share-b/go/bluesky"]
    assert "referer" not in go[0].headers
    assert popup.evaluate("window.opener") is None
    counts = client.api("GET", "/articles/share-b/shares").json()
    assert counts["buttons"] == {"bluesky": 1}


def test_the_buttons_follow_a_dark_theme(
    browser: Browser, client: Client, outside: Outside
) -> None:
    snippet = publish_sample(client)
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 900, "height": 600})
        context.route("**/*", outside.handle)
        context.on("request", outside.seen)
        page = open_sample(context, snippet)
        link = page.locator('[data-share="x"]')
        colours[scheme] = link.evaluate(
            "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
        )
        if scheme == "dark":
            page.screenshot(path=screenshot_path("share-buttons-dark.png"), full_page=True)
        context.close()
    assert colours["light"] != colours["dark"]
    assert colours["dark"] == ["rgb(229, 231, 235)", "rgb(31, 41, 55)"]

"""Telegram's HTML subset, for text a reviewer wrote: the tags and entities Telegram accepts
(https://core.telegram.org/bots/api#html-style), properly nested, with every other `<`, `>` and
`&` escaped. What cannot be mended without guessing (an unknown tag, one never closed) is
refused, naming it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from syndicate.platforms.base import EditRefused

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_TOKEN = re.compile(
    r"(?P<tag><(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s[^<>]*)?)>)"
    r"|(?P<entity>&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)"
    r"|(?P<bare>[<>&])"
)
_ATTRIBUTE = re.compile(r'\s*([A-Za-z-]+)\s*=\s*"([^"]*)"\s*|\s*([A-Za-z-]+)\s*')
_ESCAPED = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _attributes(tag: str, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = _ATTRIBUTE.match(text, position)
        if not match or match.end() == position:
            raise EditRefused(f'the <{tag}> tag\'s attributes are not name="value" pairs')
        name = (match.group(1) or match.group(3)).lower()
        found[name] = match.group(2) or ""
        position = match.end()
    return found


def _check_opening(tag: str, attrs: dict[str, str]) -> None:
    if tag == "a":
        href = attrs.get("href", "")
        if urlsplit(href).scheme not in ("http", "https", "tg") or set(attrs) - {"href"}:
            raise EditRefused('a link is <a href="https://…">, with an http(s) or tg: address')
    elif tag == "span":
        if attrs != {"class": "tg-spoiler"}:
            raise EditRefused('Telegram allows <span> only as <span class="tg-spoiler">')
    elif tag == "tg-emoji":
        if set(attrs) != {"emoji-id"}:
            raise EditRefused('<tg-emoji> needs emoji-id="…" and nothing else')
    elif tag == "code":
        if set(attrs) - {"class"} or not attrs.get("class", "language-").startswith("language-"):
            raise EditRefused('<code> takes only class="language-…"')
    elif tag == "blockquote":
        if set(attrs) - {"expandable"}:
            raise EditRefused("<blockquote> takes only the expandable attribute")
    elif attrs:
        raise EditRefused(f"the <{tag}> tag takes no attributes on Telegram")


def safe_html(text: str) -> str:
    """`text` as Telegram will parse it, or EditRefused."""
    out: list[str] = []
    open_tags: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        if match.group("entity"):
            out.append(match.group("entity"))
        elif match.group("bare"):
            out.append(_ESCAPED[match.group("bare")])
        else:
            name = match.group("name").lower()
            if name not in ALLOWED:
                raise EditRefused(
                    f"<{name}> is not a tag Telegram allows; write &lt; for a plain <"
                )
            if match.group("close"):
                if match.group("attrs").strip():
                    raise EditRefused(f"the closing </{name}> tag takes no attributes")
                if not open_tags:
                    raise EditRefused(f"</{name}> closes no tag")
                if open_tags[-1] != name:
                    raise EditRefused(f"</{name}> comes where </{open_tags[-1]}> was expected")
                open_tags.pop()
                out.append(f"</{name}>")
            else:
                _check_opening(name, _attributes(name, match.group("attrs")))
                open_tags.append(name)
                out.append(match.group("tag"))
    out.append(text[position:])
    if open_tags:
        raise EditRefused(f"the <{open_tags[-1]}> tag is never closed")
    return "".join(out)

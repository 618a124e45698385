"""Make article text safe for feed readers: valid XML characters, sanitised absolute HTML."""

from __future__ import annotations

import html as html_module
import re

import nh3

# XML 1.0 allows tab, LF, CR and U+0020 up; not the other C0 controls, lone surrogates, or
# U+FFFE/U+FFFF. lxml refuses to serialise any of them, and readers reject the feed.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text)


def safe_html(html: str, article_url: str) -> str:
    """Scripts, event handlers and `javascript:` links removed; relative URLs made absolute."""
    cleaned = nh3.clean(
        xml_text(html),
        url_schemes={"http", "https", "mailto"},
        url_relative=("rewrite_with_base", article_url),
        link_rel=None,
    )
    return str(cleaned)


def plain_text(html: str) -> str:
    """The text of an HTML fragment, for summaries derived from content."""
    text = html_module.unescape(nh3.clean(html, tags=set()))
    return " ".join(text.split())

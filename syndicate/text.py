"""Counting and cutting text the way platforms do: grapheme clusters, UTF-8 bytes, UTF-16
code units, URLs; and shortening at sentence, word or grapheme boundaries."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import regex

ELLIPSIS = "…"
_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3")
URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]}'\u2019\u201d]")
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f]['\"\u201d\u2019)]*\s+")


def graphemes(text: str) -> list[str]:
    found: list[str] = _GRAPHEME.findall(text)
    return found


def grapheme_count(text: str) -> int:
    return len(graphemes(text))


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def is_emoji(cluster: str) -> bool:
    return bool(_EMOJI.search(cluster))


def urls(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the http(s) URLs in `text`."""
    return [m.span() for m in URL.finditer(text)]


def same_words(shown: str, written: str) -> bool:
    """Whether a post as a platform shows it reads as the text that was sent: links may come
    back rewritten (t.co), markup characters escaped and whitespace folded."""

    def plain(text: str) -> str:
        return " ".join(URL.sub("<link>", html.unescape(text)).split())

    return plain(shown) == plain(written)


def cut_points(text: str) -> list[int]:
    """Places `text` may be cut, shortest first: sentence ends, then word ends, and grapheme
    boundaries only for text with no spaces to cut at (Chinese or Japanese, say)."""
    sentences = [m.start() + len(m.group().rstrip()) for m in _SENTENCE_END.finditer(text)]
    words = [m.start() for m in re.finditer(r"\s+", text)]
    if not words:
        position, words = 0, []
        for cluster in graphemes(text)[:-1]:
            position += len(cluster)
            words.append(position)
    return sorted(set(sentences) | set(words))


def shorten(text: str, cut: int) -> str:
    """`text` cut at `cut` with an ellipsis, trimmed of dangling spaces and punctuation."""
    if cut >= len(text):
        return text
    head = text[:cut].rstrip()
    if head.endswith((".", "!", "?", "\u3002", "\uff01", "\uff1f")):
        return head
    return head.rstrip(",;:\u2014\u2013- ") + ELLIPSIS


def longest_fitting(text: str, fits: Callable[[str], bool]) -> str | None:
    """The longest shortening of `text` for which `fits` holds (fewer calls by bisection)."""
    if fits(text):
        return text
    cuts = cut_points(text)
    low, high, best = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = shorten(text, cuts[middle])
        if cuts[middle] > 0 and fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best

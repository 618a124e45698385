"""Threads: a story too long for one post goes out as the post and a numbered chain of replies
under it, split at sentence boundaries (at words where a sentence is longer than a part).
Editors see the thread as one text, its parts separated by a line holding only `---`."""

from __future__ import annotations

import re
from collections.abc import Callable

SEPARATOR = "\n---\n"
MAX_REPLIES = 9
_SEPARATOR_LINE = re.compile(r"\r?\n-{3}\r?\n")
# After . ! ? … and a space, or after the ideographic full stop and the full-width ! and ?.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])\s+|(?<=[\u3002\uff01\uff1f])\s*")
# Room kept in each reply for its number, "10/10 ".
NUMBER_ROOM = 6


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _words_within(sentence: str, fits: Callable[[str], bool]) -> list[str]:
    """A sentence too long for one part, cut between words into pieces that fit."""
    pieces, current = [], ""
    for word in sentence.split():
        candidate = f"{current} {word}".strip()
        if current and not fits(candidate):
            pieces.append(current)
            candidate = word
        current = candidate
    if current:
        pieces.append(current)
    return pieces


def pack(text: str, fits: Callable[[str], bool]) -> list[str]:
    """`text` in as few parts as fit, whole sentences where they can be; numbered 2/N, 3/N, …
    (the post itself is part 1), at most MAX_REPLIES of them, the last cut with an ellipsis if
    the story is longer still."""
    room: Callable[[str], bool] = lambda part: fits(" " * NUMBER_ROOM + part)  # noqa: E731
    units = [p for s in sentences(text) for p in ([s] if room(s) else _words_within(s, room))]
    parts: list[str] = []
    for unit in units:
        candidate = f"{parts[-1]} {unit}" if parts else unit
        if parts and room(candidate):
            parts[-1] = candidate
        else:
            parts.append(unit)
    if len(parts) > MAX_REPLIES:
        parts = parts[:MAX_REPLIES]
        parts[-1] = parts[-1].rstrip(".") + "…"
    total = len(parts) + 1
    return [f"{n}/{total} {part}" for n, part in enumerate(parts, start=2)]


def joined(text: str, replies: list[str] | None) -> str:
    """The thread as an editor sees it."""
    return SEPARATOR.join([text, *(replies or [])])


def split(typed: str) -> tuple[str, list[str]]:
    """What an editor typed: the post, and the replies under it (empty parts dropped)."""
    first, *rest = _SEPARATOR_LINE.split(typed)
    return first.strip(), [part.strip() for part in rest if part.strip()]

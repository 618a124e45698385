"""URL slugs for tags, authors and sections: lower-case and hyphenated."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def slugify(text: str) -> str:
    """`Clinical Trials` → `clinical-trials`; accents dropped, other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub("-", unicodedata.normalize("NFC", bare).casefold()).strip("-")[:100]

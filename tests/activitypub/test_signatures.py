"""Signatures as Mastodon makes them verify; a stale, forged, re-pointed or tampered request
does not; a key rotated since it was kept is fetched once more."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syndicate.activitypub.signatures import Incoming, KeyLookup, SignatureRefused, sign, verify

KEY_ID = "https://remote.example/users/ada#main-key"
INBOX = "https://news.example/ap/inbox"


def pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


PRIVATE, PUBLIC = pair()
BODY = json.dumps({"type": "Follow", "actor": "https://remote.example/users/ada"}).encode()


def signed(body: bytes = BODY, when: datetime | None = None, private: str = PRIVATE) -> Incoming:
    headers = sign("POST", INBOX, body, KEY_ID, private, when)
    return Incoming("POST", INBOX, {k.lower(): v for k, v in headers.items()}, body)


def keys(*answers: str | None) -> tuple[list[bool], KeyLookup]:
    asked: list[bool] = []
    given = list(answers)

    def lookup(key_id: str, fresh: bool) -> str | None:
        assert key_id == KEY_ID
        asked.append(fresh)
        return given.pop(0) if given else None

    return asked, lookup


def test_a_request_signed_as_mastodon_signs_verifies() -> None:
    asked, lookup = keys(PUBLIC)
    assert verify(signed(), lookup) == KEY_ID
    assert asked == [False]


def test_a_rotated_key_is_fetched_once_more_and_then_verifies() -> None:
    _, old = pair()
    asked, lookup = keys(old, PUBLIC)
    assert verify(signed(), lookup) == KEY_ID
    assert asked == [False, True]


def rfc9421_created(created: int) -> Incoming:
    """An RFC 9421 signature stating when it was made (checked before any key is fetched)."""
    headers = {
        "signature-input": f'sig1=("@method" "@target-uri");created={created};keyid="{KEY_ID}"',
        "signature": "sig1=:AAAA:",
    }
    return Incoming("POST", INBOX, headers, BODY)


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (signed(when=datetime.now(UTC) - timedelta(hours=13)), "more than 12 hours old"),
        (signed(when=datetime.now(UTC) + timedelta(hours=3)), "dated in the future"),
        (
            Incoming("POST", INBOX, {**signed().headers, "digest": "SHA-256=AAAA"}, BODY),
            "Digest header does not match",
        ),
        (Incoming("POST", INBOX, {"date": "x"}, BODY), "not signed"),
        (
            Incoming("POST", "https://news.example/ap/actors/news/inbox", signed().headers, BODY),
            "does not verify",
        ),
        (signed(private=pair()[0]), "does not verify"),
        (rfc9421_created(1), "more than 12 hours old"),
        (rfc9421_created(int(time.time()) + 3 * 3600), "dated in the future"),
        (rfc9421_created(999_999_999_999), "dated in the future"),  # past any calendar
    ],
)
def test_a_bad_request_is_refused_saying_why(request_: Incoming, why: str) -> None:
    _, lookup = keys(PUBLIC, PUBLIC)
    with pytest.raises(SignatureRefused, match=why):
        verify(request_, lookup)


def test_a_key_that_cannot_be_had_is_refused() -> None:
    _, lookup = keys(None)
    with pytest.raises(SignatureRefused, match="could not be fetched"):
        verify(signed(), lookup)

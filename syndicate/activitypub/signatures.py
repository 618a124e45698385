"""HTTP Signatures as the fediverse uses them. Requests Syndicate sends are signed the way
Mastodon signs (draft-cavage-http-signatures-12: `(request-target) host date digest`, RSA with
SHA-256, and a `Digest` of the body). Requests it receives are verified in that form, or in
RFC 9421's (`Signature-Input`, with `Content-Digest`), which newer servers send, through the
http-message-signatures library.

A signature older than 12 hours, or dated more than an hour ahead, is refused, so a captured
request cannot be replayed later."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures import (
    InvalidSignature as InvalidMessageSignature,
)

MAX_AGE = timedelta(hours=12)
MAX_AHEAD = timedelta(hours=1)
SIGNED = ("(request-target)", "host", "date", "digest")
_PARAMETER = re.compile(r'(\w+)="([^"]*)"')


class SignatureRefused(Exception):
    """The request's signature is missing, malformed, stale or wrong; the message says which."""


@dataclass(frozen=True)
class Incoming:
    method: str
    url: str
    headers: Mapping[str, str]  # lowercase names
    body: bytes


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(
    method: str, url: str, body: bytes, key_id: str, private_pem: str, now: datetime | None = None
) -> dict[str, str]:
    """The headers that sign a request as Mastodon signs one."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "host": parts.netloc,
        "date": email.utils.format_datetime(now or datetime.now(UTC), usegmt=True),
    }
    if method.upper() != "GET":
        headers["digest"] = digest_of(body)
    covered = [name for name in SIGNED if name == "(request-target)" or name in headers]
    lines = [f"(request-target): {method.lower()} {target}"]
    lines += [f"{name}: {headers[name]}" for name in covered[1:]]
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return {name.title(): value for name, value in headers.items()}


# Public keys by key id: PEM text, or None when it cannot be had. `fresh` asks for it to be
# fetched again, past any copy kept (the sender may have rotated it).
KeyLookup = Callable[[str, bool], str | None]


def signer_key_id(request: Incoming) -> str:
    """The key id the request says it is signed with, or SignatureRefused."""
    if "signature-input" in request.headers:
        found = re.search(r'keyid="([^"]+)"', request.headers["signature-input"])
    else:
        found = re.search(r'keyId="([^"]+)"', request.headers.get("signature", ""))
    if not found:
        raise SignatureRefused("the request is not signed")
    return found.group(1)


def verify(request: Incoming, lookup: KeyLookup, now: datetime | None = None) -> str:
    """Check the request's signature; the key id it was made with. Whatever can be checked
    without the key (its form, its date, the digest) is checked first, so a stale or malformed
    request costs no key fetch. The key is looked up once more, fresh, when the kept copy does
    not verify."""
    key_id = signer_key_id(request)
    moment = now or datetime.now(UTC)
    if "signature-input" in request.headers:
        _rfc9421_created(request, moment)
        check = _rfc9421
    else:
        _cavage_form(request, moment)
        check = _cavage
    for fresh in (False, True):
        public = lookup(key_id, fresh)
        if public is None:
            raise SignatureRefused(f"the key {key_id} could not be fetched")
        try:
            check(request, key_id, public)
        except _WrongKey:
            continue
        return key_id
    raise SignatureRefused("the signature does not verify")


class _WrongKey(Exception):
    """The signature is well-formed and fresh, but this key does not verify it."""


def _fresh(date: str, now: datetime) -> None:
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise SignatureRefused("the Date header is not a date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    _recent(when.timestamp(), now)


def _recent(seconds: float, now: datetime) -> None:
    """A signature made at `seconds` (since the epoch, whatever a stranger wrote) is recent."""
    if seconds < (now - MAX_AGE).timestamp():
        raise SignatureRefused("the request is more than 12 hours old")
    if seconds > (now + MAX_AHEAD).timestamp():
        raise SignatureRefused("the request is dated in the future")


def _cavage_form(request: Incoming, now: datetime) -> None:
    """What a draft-cavage signature must cover, its algorithm, date and digest."""
    parameters = dict(_PARAMETER.findall(request.headers["signature"]))
    covered = parameters.get("headers", "date").split()
    needed = {"(request-target)", "host", "date"} | ({"digest"} if request.body else set())
    if not needed <= set(covered):
        raise SignatureRefused(f"the signature must cover {' '.join(sorted(needed))}")
    if parameters.get("algorithm", "rsa-sha256") not in ("rsa-sha256", "hs2019"):
        raise SignatureRefused(f"unsupported algorithm {parameters.get('algorithm')}")
    _fresh(request.headers.get("date", ""), now)
    if request.body and request.headers.get("digest", "") != digest_of(request.body):
        raise SignatureRefused("the Digest header does not match the body")


def _rfc9421_created(request: Incoming, now: datetime) -> None:
    """Each RFC 9421 signature's `created` time, where it states one, is recent."""
    for created in re.findall(r";\s*created=(\d{1,12})", request.headers["signature-input"]):
        _recent(int(created), now)


def _cavage(request: Incoming, key_id: str, public_pem: str) -> None:
    parameters = dict(_PARAMETER.findall(request.headers["signature"]))
    covered = parameters.get("headers", "date").split()
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {target}")
        elif name in request.headers:
            lines.append(f"{name}: {request.headers[name]}")
        else:
            raise SignatureRefused(f"the signed header {name} is missing")
    try:
        signature = base64.b64decode(parameters.get("signature", ""), validate=True)
    except ValueError:
        raise SignatureRefused("the signature is not base64") from None
    key = _public_key(public_pem)
    try:
        key.verify(signature, "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _WrongKey from None


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key_id: str, public_pem: str) -> None:
        self.key_id, self.public_pem = key_id, public_pem

    def resolve_public_key(self, key_id: str) -> Any:
        return self.public_pem.encode() if key_id == self.key_id else None

    def resolve_private_key(self, key_id: str) -> Any:
        raise HTTPMessageSignaturesException("verification only")


def _rfc9421(request: Incoming, key_id: str, public_pem: str) -> None:
    message = requests.Request(
        request.method, request.url, headers=dict(request.headers), data=request.body
    ).prepare()
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_OneKey(key_id, public_pem)
    )
    required = ["@method", "@target-uri"] + (["content-digest"] if request.body else [])
    try:
        verifier.verify(
            message, max_age=MAX_AGE, require_components=required, body=request.body or None
        )
    except InvalidMessageSignature as exc:
        if "verif" in str(exc).lower():
            raise _WrongKey from None
        raise SignatureRefused(f"the signature is not acceptable: {exc}") from None
    except HTTPMessageSignaturesException as exc:
        raise SignatureRefused(f"the signature is not acceptable: {exc}") from None


def _public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise SignatureRefused("the sender's key is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureRefused("the sender's key is not an RSA key")
    return key

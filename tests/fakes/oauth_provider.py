"""The authorization-code half of an OAuth 2.0 provider (RFC 6749 §4.1, with RFC 7636 PKCE), as
the platforms' fakes share it: the consent page answers at once (granting, or refusing when
told to), codes are single-use, short-lived and bound to the client, the redirect address and
the PKCE challenge, and the app must prove itself at the token endpoint."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass
class Authorizer:
    client_id: str
    client_secret: str
    pkce: bool
    # What the person on the consent page does: grant access, or refuse it.
    refuse: bool = False
    code_lifetime: float = 60.0
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def consent(self, query: dict[str, str]) -> str:
        """Where the consent page sends the browser back to."""
        back = query.get("redirect_uri", "")
        state = {"state": query["state"]} if "state" in query else {}
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return f"{back}?{urlencode({'error': 'unauthorized_client', **state})}"
        if self.refuse:
            refused = {"error": "access_denied", "error_description": "The user denied access"}
            return f"{back}?{urlencode({**refused, **state})}"
        challenge = query.get("code_challenge", "")
        if self.pkce and (not challenge or query.get("code_challenge_method") != "S256"):
            missing = {"error": "invalid_request", "error_description": "PKCE is required"}
            return f"{back}?{urlencode({**missing, **state})}"
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": back,
                "challenge": challenge,
                "scope": query.get("scope", ""),
                "issued": time.monotonic(),
            }
        return f"{back}?{urlencode({'code': code, **state})}"

    def redeem(self, form: dict[str, str], authorization: str = "") -> tuple[int, dict[str, Any]]:
        """(200, the code's grant) or the error answer the token endpoint gives."""
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or time.monotonic() - grant["issued"] > self.code_lifetime:
            return 400, {
                "error": "invalid_grant",
                "error_description": "The code is invalid or expired",
            }
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {
                "error": "invalid_grant",
                "error_description": "redirect_uri does not match",
            }
        if grant["challenge"]:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "code_verifier is wrong",
                }
        return 200, grant

"""Connecting a Bluesky account with a handle (or DID) and an app password: the handle is
resolved to its DID, the DID document names the account's own PDS, and the app password is
checked there with com.atproto.server.createSession before the channel is stored.

https://atproto.com/specs/handle, https://atproto.com/specs/did and
https://docs.bsky.app/docs/api/com-atproto-server-create-session
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.verify import verified
from syndicate.http import make_session

PLATFORM = "bluesky"
PDS_SERVICE = "#atproto_pds"


def connect(
    channel: str, typed_handle: str, app_password: str, entryway: str, plc_directory: str
) -> Connected:
    handle = typed_handle.strip().removeprefix("@").lower()
    if not handle or not app_password.strip():
        raise ConnectProblem("a handle (or DID) and an app password are both needed")
    did = handle if handle.startswith("did:") else _did_of(handle, entryway)
    pds = _pds_of(did, plc_directory)
    fields: dict[str, object] = {
        "name": channel,
        "platform": PLATFORM,
        "url": pds,
        "target": handle,
    }
    credentials = {"secret": app_password.strip()}
    account = verified(fields, credentials)
    return Connected(fields, credentials, account)


def _get(url: str, **params: str) -> Any:
    try:
        response = make_session().get(url, params=params)
    except requests.RequestException:
        raise ConnectProblem(f"could not reach {url}") from None
    if not response.ok:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _did_of(handle: str, entryway: str) -> str:
    found = _get(f"{entryway.rstrip('/')}/xrpc/com.atproto.identity.resolveHandle", handle=handle)
    did = found.get("did") if isinstance(found, dict) else None
    if not isinstance(did, str) or not did.startswith("did:"):
        raise ConnectProblem(f"no Bluesky account has the handle {handle}")
    return did


def _pds_of(did: str, plc_directory: str) -> str:
    if did.startswith("did:plc:"):
        document = _get(f"{plc_directory.rstrip('/')}/{quote(did, safe=':')}")
    elif did.startswith("did:web:"):
        document = _get(f"https://{did.removeprefix('did:web:')}/.well-known/did.json")
    else:
        raise ConnectProblem(f"{did} is not a DID Bluesky uses (did:plc or did:web)")
    services = document.get("service") if isinstance(document, dict) else None
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict) and str(service.get("id", "")).endswith(PDS_SERVICE):
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    raise ConnectProblem(f"the DID document of {did} names no PDS")

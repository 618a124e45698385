"""A small AT Protocol PDS on loopback: the XRPC calls Bluesky delivery makes, with the
lexicon's checks that matter here (TID record keys, 300 graphemes, facet byte ranges)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

DID = "did:plc:testnewsroom"
HANDLE = "newsroom.test"
PASSWORD = "app-password-1234"
TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


class FakePDS:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.blobs: list[bytes] = []
        self.calls: list[str] = []
        self.sessions = 0
        # What app.bsky.feed.getPosts says of a post, by its URI (an AppView's counts).
        self.counts: dict[str, dict[str, int]] = {}
        self.fail_create_after_storing = False
        # (XRPC method, status, headers, body): the next call of that method answers this.
        self.faults: list[tuple[str, int, dict[str, str], dict[str, Any]]] = []
        self.lock = threading.Lock()
        pds = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def authorised(self) -> bool:
                if self.headers.get("Authorization") != "Bearer access-token":
                    self.answer(
                        401, {"error": "AuthRequired", "message": "Authentication Required"}
                    )
                    return False
                return True

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                pds.calls.append(url.path)
                if url.path == "/xrpc/app.bsky.feed.getPosts" and self.authorised():
                    uris = parse_qs(url.query).get("uris", [])
                    posts = [{"uri": u, **pds.counts.get(u, {})} for u in uris]
                    self.answer(200, {"posts": posts})
                    return
                if url.path == "/xrpc/com.atproto.repo.getRecord" and self.authorised():
                    rkey = parse_qs(url.query)["rkey"][0]
                    if rkey not in pds.records:
                        self.answer(
                            400,
                            {
                                "error": "RecordNotFound",
                                "message": f"Could not locate record: {rkey}",
                            },
                        )
                        return
                    self.answer(
                        200,
                        {
                            "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
                            "cid": "bafyfake",
                            "value": pds.records[rkey],
                        },
                    )

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                pds.calls.append(path)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fault = pds.take_fault(path)
                if fault is not None:
                    self.answer(fault[1], fault[3], fault[2])
                elif path == "/xrpc/com.atproto.server.createSession":
                    given = json.loads(body)
                    if (given["identifier"], given["password"]) != (HANDLE, PASSWORD):
                        self.answer(
                            401,
                            {
                                "error": "AuthenticationRequired",
                                "message": "Invalid identifier or password",
                            },
                        )
                        return
                    pds.sessions += 1
                    self.answer(
                        200,
                        {
                            "accessJwt": "access-token",
                            "refreshJwt": "refresh",
                            "handle": HANDLE,
                            "did": DID,
                        },
                    )
                elif not self.authorised():
                    return
                elif path == "/xrpc/com.atproto.repo.uploadBlob":
                    pds.blobs.append(body)
                    self.answer(
                        200,
                        {
                            "blob": {
                                "$type": "blob",
                                "ref": {"$link": "bafyblob"},
                                "mimeType": self.headers["Content-Type"],
                                "size": len(body),
                            }
                        },
                    )
                elif path == "/xrpc/com.atproto.repo.createRecord":
                    self.create(json.loads(body))
                elif path == "/xrpc/com.atproto.repo.deleteRecord":
                    pds.records.pop(json.loads(body)["rkey"], None)
                    self.answer(200, {})

            def create(self, request: dict[str, Any]) -> None:
                rkey, record = request["rkey"], request["record"]
                problem = pds.invalid(rkey, record)
                if problem:
                    self.answer(400, {"error": "InvalidRequest", "message": problem})
                    return
                pds.records[rkey] = record
                if pds.fail_create_after_storing:
                    pds.fail_create_after_storing = False
                    self.connection.close()  # stored, but the answer never arrives
                    return
                self.answer(
                    200, {"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": "bafyrecord"}
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_next(
        self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        with self.lock:
            self.faults.append((method, status, headers or {}, body))

    def take_fault(self, path: str) -> tuple[str, int, dict[str, str], dict[str, Any]] | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if path == f"/xrpc/{fault[0]}":
                    return self.faults.pop(index)
        return None

    def invalid(self, rkey: str, record: dict[str, Any]) -> str | None:
        if not TID.match(rkey):
            return f"Invalid record key: {rkey}"
        if rkey in self.records:
            return f"Record already exists at key {rkey}"
        text = record["text"]
        if len(regex.findall(r"\X", text)) > 300:
            return "Invalid app.bsky.feed.post record: text longer than 300 graphemes"
        size = len(text.encode())
        for facet in record.get("facets", []):
            index = facet["index"]
            if not 0 <= index["byteStart"] < index["byteEnd"] <= size:
                return "Invalid app.bsky.feed.post record: facet out of range"
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

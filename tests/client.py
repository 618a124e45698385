"""An HTTP client that speaks the webhook contract and the review API, for tests."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from syndicate import signatures


def article(article_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A complete, valid article for the generic contract; `fields` override."""
    article_id = article_id or f"art-{uuid.uuid4().hex[:8]}"
    base: dict[str, Any] = {
        "id": article_id,
        "url": f"https://news.example/2026/{article_id}",
        "title": "Council approves the new river crossing",
        "summary": "After three years of debate the council voted 7 to 2.",
        "content_html": "<p>The vote came late on Tuesday.</p>",
        "authors": [{"name": "Ada Reporter", "handles": {"mastodon": "@ada@news.example"}}],
        "tags": ["Local Politics", "Transport"],
        "section": "City",
        "language": "en",
        "published_at": "2026-11-24T09:30:00Z",
    }
    base.update(fields)
    return base


def envelope(
    art: dict[str, Any], event: str = "article.published", delivery_id: str | None = None
) -> dict[str, Any]:
    return {"delivery_id": delivery_id or uuid.uuid4().hex, "event": event, "article": art}


class Client:
    def __init__(self, base_url: str, secret: str, token: str) -> None:
        self.base_url = base_url
        self.secret = secret.encode()
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.token = token

    def send_raw(
        self,
        body: bytes,
        signature: str | None = "sign",
        timestamp: int | None = None,
        content_type: str = "application/json",
        secret: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type}
        if signature == "sign":
            headers[signatures.HEADER] = signatures.sign(body, secret or self.secret, timestamp)
        elif signature is not None:
            headers[signatures.HEADER] = signature
        return self.http.post("/hooks/articles", content=body, headers=headers)

    def send(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.send_raw(json.dumps(payload).encode(), **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.http.request(method, "/api" + path, headers=headers, **kwargs)

    def posts(self, **params: Any) -> list[dict[str, Any]]:
        response = self.api("GET", "/posts", params=params)
        response.raise_for_status()
        posts: list[dict[str, Any]] = response.json()
        return posts

    def now(self) -> int:
        return int(time.time())

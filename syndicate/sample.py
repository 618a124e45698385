"""The test article set-up sends through the real pipeline: stored as a webhook would store
it, so workers build its feeds and card, but never shared, so no channel posts it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from syndicate import articles
from syndicate.cms import parse_generic
from syndicate.models import Article

SAMPLE_ID = "syndicate-test-article"


def send_sample(
    factory: sessionmaker[Session], base_url: str, site_title: str, now: datetime
) -> bool:
    """Store (or refresh) the test article; whether the pipeline has work to do for it."""
    event = parse_generic(
        {
            "delivery_id": f"sample-{uuid.uuid4().hex}",
            "event": "article.published",
            "article": {
                "id": SAMPLE_ID,
                "url": f"{base_url}/cards/{SAMPLE_ID}",
                "title": f"Hello from Syndicate: {site_title} is set up",
                "summary": "A test article, sent from the set-up page to see the pipeline work.",
                "content_html": "<p>This article went through the webhook's storage, the "
                "feeds, the card and the share image. No channel posts it.</p>",
                "authors": [{"name": "Syndicate"}],
                "tags": ["Syndicate test"],
                "published_at": now.isoformat(),
                "updated_at": now.isoformat(),
            },
        }
    )
    (receipt,) = articles.receive_batch(factory, [event], now)
    with factory.begin() as session:
        session.get_one(Article, SAMPLE_ID).shareable = False
    return receipt.changed


def remove_sample(factory: sessionmaker[Session], now: datetime) -> bool:
    event = parse_generic(
        {
            "delivery_id": f"sample-{uuid.uuid4().hex}",
            "event": "article.unpublished",
            "article": {"id": SAMPLE_ID},
        }
    )
    (receipt,) = articles.receive_batch(factory, [event], now)
    return receipt.changed

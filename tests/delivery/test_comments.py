"""On LinkedIn and on a Facebook Page the first reply is a comment on the share, by the
account that shared it; neither takes an idempotency key, so a comment whose answer was lost
is looked for among the post's comments before it is made again. Counts come from LinkedIn's
social metadata and the Page post's summaries; LinkedIn's card image carries its alt text.
Against loopback servers answering as each platform documents."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from syndicate import engagement
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import Engagement, utcnow
from syndicate.platforms.base import Draft
from syndicate.platforms.linkedin import LinkedIn
from syndicate.runtime import Runtime
from tests.client import article
from tests.delivery.chains import apply, composed, follow, looks_first, made, one_channel, send
from tests.fakes.images import photo_bytes
from tests.fakes.receiver import Fault, Received, Receiver

PAGE = "1234567890"
ORGANIZATION = "urn:li:organization:42"
SHARE = "urn:li:share:7000000000000000001"
COMMENTS = f"/rest/socialActions/{SHARE.replace(':', '%3A')}/comments"


class Platforms:
    """LinkedIn's and Facebook's answers; comments are those the server received, answered
    or not (a comment whose answer was lost is still made)."""

    def __init__(self) -> None:
        self.server = Receiver(self.answer).start()

    def comments(self, path: str) -> list[Received]:
        return [r for r in self.server.received(path) if r.method == "POST"]

    def answer(self, request: Received) -> tuple[Any, ...]:
        path = urlsplit(request.path).path
        if path == "/rest/posts":
            return 201, b"", {"x-restli-id": SHARE}
        if path == "/rest/images" and "initializeUpload" in request.path:
            upload = f"http://{request.headers['host']}/dms-uploads/C4E10AQ"
            return 200, json.dumps(
                {"value": {"uploadUrl": upload, "image": "urn:li:image:1"}}
            ).encode()
        if path == "/dms-uploads/C4E10AQ":
            return 201, b""
        if path == COMMENTS and request.method == "POST":
            number = len(self.comments(request.path))
            urn = f"urn:li:comment:(urn:li:activity:7000000000000000001,{number})"
            return 201, json.dumps({**request.json(), "commentUrn": urn}).encode()
        if path == COMMENTS:
            elements = [
                {**c.json(), "commentUrn": f"urn:li:comment:(urn:li:activity:7,{n})"}
                for n, c in enumerate(self.comments(path), start=1)
            ]
            return 200, json.dumps({"elements": elements}).encode()
        if path == f"/rest/socialActions/{SHARE.replace(':', '%3A')}":
            summary = {"likesSummary": {"totalLikes": 9}, "commentsSummary": {}}
            summary["commentsSummary"]["aggregatedTotalComments"] = len(self.comments(COMMENTS))
            return 200, json.dumps(summary).encode()
        if path == f"/{PAGE}/feed":
            return 200, json.dumps({"id": f"{PAGE}_998877"}).encode()
        if path == f"/{PAGE}_998877/comments" and request.method == "POST":
            number = len(self.comments(path))
            return 200, json.dumps({"id": f"998877_{number}"}).encode()
        if path == f"/{PAGE}_998877/comments":
            data = [
                {
                    "id": f"998877_{n}",
                    "message": parse_qs(c.body.decode())["message"][0],
                    "from": {"id": PAGE, "name": "The Gazette"},
                }
                for n, c in enumerate(self.comments(path), start=1)
            ]
            return 200, json.dumps({"data": data}).encode()
        if path == f"/{PAGE}_998877":
            counts = {
                "reactions": {"data": [], "summary": {"total_count": 5}},
                "comments": {
                    "data": [],
                    "summary": {"total_count": len(self.comments(path + "/comments"))},
                },
            }
            return 200, json.dumps(counts).encode()
        return 404, b'{"error": {"message": "Unknown path", "code": 803}}'


@pytest.fixture
def platforms(clean: None) -> Iterator[Platforms]:
    fake = Platforms()
    os.environ["TEST_SOCIAL_TOKEN"] = "user-token"
    yield fake
    fake.server.stop()


def site(platforms: Platforms, platform: str) -> SyndicateConfig:
    return one_channel(
        ChannelConfig(
            name=platform,
            platform=platform,
            url=platforms.server.url,
            target=PAGE if platform == "facebook" else ORGANIZATION,
            secret_env="TEST_SOCIAL_TOKEN",
            first_reply=f"posts/{platform}/first_reply.txt.j2",
            timeout_seconds=1,
        )
    )


def lost_comment(path: str) -> Fault:
    """The platform makes the comment, then the connection drops before its answer."""
    return Fault(drop=True, when=lambda r: urlsplit(r.path).path == path and r.method == "POST")


def test_the_linkedin_first_reply_is_one_comment_by_the_author_despite_a_lost_answer(
    runtime: Runtime, platforms: Platforms
) -> None:
    config = site(platforms, "linkedin")
    art = article("li-comment-1")
    post_id = composed(runtime, config, art)
    (comment_id,) = send(runtime, config, post_id).changes
    platforms.server.fail_next(lost_comment(COMMENTS))
    lost = apply(runtime, config, comment_id)
    assert lost.status == "retry" and looks_first(runtime, comment_id)
    assert apply(runtime, config, comment_id, later=lost.retry_in or 0).status == "replied"

    (comment,) = platforms.comments(COMMENTS)
    body = comment.json()
    assert body["actor"] == ORGANIZATION and body["object"] == SHARE
    assert art["url"] in body["message"]["text"]
    assert comment.headers["linkedin-version"] and comment.headers["x-restli-protocol-version"]
    reply = made(runtime, post_id)[-1]
    assert reply.remote_id == "urn:li:comment:(urn:li:activity:7,1)"


def test_the_facebook_first_reply_is_one_comment_by_the_page_despite_a_lost_answer(
    runtime: Runtime, platforms: Platforms
) -> None:
    config = site(platforms, "facebook")
    art = article("fb-comment-1")
    post_id = composed(runtime, config, art)
    (comment_id,) = send(runtime, config, post_id).changes
    platforms.server.fail_next(lost_comment(f"/{PAGE}_998877/comments"))
    lost = apply(runtime, config, comment_id)
    assert lost.status == "retry" and looks_first(runtime, comment_id)
    assert apply(runtime, config, comment_id, later=lost.retry_in or 0).status == "replied"

    (comment,) = platforms.comments(f"/{PAGE}_998877/comments")
    form = parse_qs(comment.body.decode())
    assert art["url"] in form["message"][0] and form["access_token"] == ["user-token"]
    assert made(runtime, post_id)[-1].remote_id == "998877_1"


@pytest.mark.parametrize(("platform", "likes"), [("linkedin", 9), ("facebook", 5)])
def test_counts_are_read_back_from_the_platform(
    runtime: Runtime, platforms: Platforms, platform: str, likes: int
) -> None:
    config = site(platforms, platform)
    post_id = composed(runtime, config, article(f"{platform}-counted-1"))
    follow(runtime, config, send(runtime, config, post_id))
    with runtime.factory.begin() as session:
        (row,) = engagement.record_due(session, utcnow() + timedelta(hours=2))
    assert engagement.read(runtime.factory, row, config).status == "read"
    with runtime.factory() as session:
        counted = session.scalars(select(Engagement).where(Engagement.post_id == post_id)).one()
    assert (counted.likes, counted.replies) == (likes, 1)


def test_linkedin_s_card_image_carries_the_post_s_alt_text(platforms: Platforms) -> None:
    channel = site(platforms, "linkedin").channels[0]
    linkedin = LinkedIn(channel, requests.Session())
    link = "https://news.example/2026/ferry"
    draft = linkedin.finish(
        Draft(
            "The ferry is back",
            link,
            {"article": {"title": "The ferry is back"}, "alt": "The ferry at dusk"},
            (photo_bytes(1200, 627), "image/jpeg"),
        )
    )
    linkedin.send(draft, "k")
    (post,) = platforms.server.received("/rest/posts")
    card = post.json()["content"]["article"]
    assert card["thumbnail"] == "urn:li:image:1"
    assert card["thumbnailAltText"] == "The ferry at dusk"

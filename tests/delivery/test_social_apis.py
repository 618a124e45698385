"""X, LinkedIn, Facebook Pages and Threads: each platform's documented request and answers,
its own rate-limit signal and error vocabulary, against loopback servers."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from syndicate.config import ChannelConfig
from syndicate.platforms import get_platform
from syndicate.platforms.base import DeliveryError, Draft, Platform
from tests.delivery.sent import sent
from tests.fakes.receiver import Fault, Received, Receiver

LINK = "https://news.example.com/a?utm_source=social"


def answer(request: Received) -> tuple[Any, ...]:
    if request.path == "/2/tweets":
        return 201, json.dumps(
            {"data": {"id": "1860000000000000001", "text": request.json()["text"]}}
        ).encode()
    if request.path == "/rest/posts":
        return 201, b"", {"x-restli-id": "urn:li:share:7000000000000000001"}
    if request.path == "/rest/images?action=initializeUpload":
        upload = f"http://{request.headers['host']}/dms-uploads/C4E10AQ"
        value = {"uploadUrl": upload, "image": "urn:li:image:C4E10AQ", "uploadUrlExpiresAt": 1}
        return 200, json.dumps({"value": value}).encode()
    if request.path == "/dms-uploads/C4E10AQ":
        return 201, b""
    if request.path.startswith("/rest/posts/urn%3Ali%3Ashare%3A"):  # a partial update
        return 204, b""
    if request.path == "/1234567890_998877":  # an edit of the Page post
        return 200, b'{"success": true}'
    if request.path == "/1234567890/feed":
        return 200, b'{"id": "1234567890_998877"}'
    if request.path == "/17841400000/threads":
        return 200, b'{"id": "container-1"}'
    if request.path.startswith("/container-1?"):
        return 200, b'{"status": "FINISHED", "id": "container-1"}'
    if request.path.startswith("/media-1?"):
        return (
            200,
            b'{"permalink": "https://www.threads.net/@gazette/post/C1a2b3", "id": "media-1"}',
        )
    if request.path == "/17841400000/threads_publish":
        return 200, b'{"id": "media-1"}'
    return 404, b'{"error": "not found"}'


@pytest.fixture
def server() -> Iterator[Receiver]:
    receiver = Receiver(answer).start()
    os.environ["TEST_SOCIAL_TOKEN"] = "user-token"
    yield receiver
    receiver.stop()


def adapter(platform: str, server: Receiver, target: str = "") -> Platform:
    channel = ChannelConfig(
        name=platform,
        platform=platform,
        url=server.url,
        target=target,
        secret_env="TEST_SOCIAL_TOKEN",
        timeout_seconds=1,
    )
    return get_platform(platform)(channel, requests.Session())


def draft(platform: Platform, text: str = f"Bridge approved {LINK}") -> Draft:
    return platform.finish(
        Draft(
            text=text,
            link=LINK,
            extras={"article": {"title": "Bridge approved", "summary": "7 to 2."}},
        )
    )


def test_x_posts_with_the_user_token_and_honours_its_epoch_reset(server: Receiver) -> None:
    x = adapter("x", server)
    receipt = x.send(draft(x), "k")
    (request,) = server.received()
    assert request.json() == {"text": f"Bridge approved {LINK}"}
    assert request.headers["authorization"] == "Bearer user-token"
    assert receipt.url == "https://x.com/i/web/status/1860000000000000001"
    server.fail_next(
        Fault(
            status=429,
            headers={"x-rate-limit-reset": str(int(time.time()) + 60)},
            body=b'{"title": "Too Many Requests", "status": 429}',
        )
    )
    with pytest.raises(DeliveryError) as error:
        x.send(draft(x), "k")
    assert error.value.retry_after is not None and 55 <= error.value.retry_after <= 60


def test_x_refuses_a_duplicate_permanently(server: Receiver) -> None:
    x = adapter("x", server)
    server.fail_next(
        Fault(
            status=403,
            body=json.dumps(
                {"detail": ("You are not allowed to create a Tweet with duplicate content.")}
            ).encode(),
        )
    )
    with pytest.raises(DeliveryError, match="duplicate content") as error:
        x.send(draft(x), "k")
    assert error.value.permanent


def test_linkedin_posts_an_article_block_with_its_version_headers(server: Receiver) -> None:
    linkedin = adapter("linkedin", server, target="urn:li:organization:42")
    receipt = linkedin.send(draft(linkedin, r"Bridge \(finally\) approved"), "k")
    (request,) = server.received()
    assert request.headers["linkedin-version"] == "202510"
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    body = request.json()
    assert body["author"] == "urn:li:organization:42"
    assert body["commentary"] == r"Bridge \(finally\) approved"
    assert body["content"]["article"] == {
        "source": LINK,
        "title": "Bridge approved",
        "description": "7 to 2.",
    }
    assert body["lifecycleState"] == "PUBLISHED" and body["visibility"] == "PUBLIC"
    assert receipt.remote_id == "urn:li:share:7000000000000000001"


def test_linkedin_uploads_the_share_image_and_names_it_as_the_card_thumbnail(
    server: Receiver,
) -> None:
    linkedin = adapter("linkedin", server, target="urn:li:organization:42")
    post = draft(linkedin)
    post.thumbnail = (b"\x89PNG share image", "image/png")
    linkedin.send(post, "k")
    start, upload, create = server.received()
    assert start.path == "/rest/images?action=initializeUpload"
    assert start.json() == {"initializeUploadRequest": {"owner": "urn:li:organization:42"}}
    assert start.headers["linkedin-version"] == "202510"
    assert upload.path == "/dms-uploads/C4E10AQ" and upload.body == b"\x89PNG share image"
    assert upload.headers["authorization"] == "Bearer user-token"
    assert upload.headers["content-type"] == "image/png"
    article = create.json()["content"]["article"]
    assert article["thumbnail"] == "urn:li:image:C4E10AQ" and article["source"] == LINK


def test_a_lost_answer_while_uploading_to_linkedin_is_not_ambiguous(server: Receiver) -> None:
    linkedin = adapter("linkedin", server, target="urn:li:organization:42")
    post = draft(linkedin)
    post.thumbnail = (b"\x89PNG", "image/png")
    server.fail_next(Fault(drop=True))
    with pytest.raises(DeliveryError) as error:
        linkedin.send(post, "k")
    assert not error.value.ambiguous and not error.value.permanent
    assert [r.path for r in server.received()] == ["/rest/images?action=initializeUpload"]


def test_facebook_posts_message_and_link_and_knows_its_throttling_codes(
    server: Receiver,
) -> None:
    facebook = adapter("facebook", server, target="1234567890")
    receipt = facebook.send(draft(facebook, "Bridge approved"), "k")
    (request,) = server.received()
    form = parse_qs(request.body.decode())
    assert form == {"message": ["Bridge approved"], "link": [LINK], "access_token": ["user-token"]}
    assert receipt.remote_id == "1234567890_998877"
    server.fail_next(
        Fault(
            status=400,
            body=json.dumps(
                {
                    "error": {
                        "message": "(#32) Page request limit reached",
                        "type": "OAuthException",
                        "code": 32,
                    }
                }
            ).encode(),
        )
    )
    with pytest.raises(DeliveryError) as error:
        facebook.send(draft(facebook, "Bridge approved"), "k")
    assert not error.value.permanent and error.value.retry_after
    server.fail_next(
        Fault(
            status=400,
            body=json.dumps(
                {"error": {"message": "Error validating access token", "code": 190}}
            ).encode(),
        )
    )
    with pytest.raises(DeliveryError) as error:
        facebook.send(draft(facebook, "Bridge approved"), "k")
    assert error.value.permanent and error.value.credentials


def test_threads_creates_a_container_waits_until_it_is_ready_then_publishes_it(
    server: Receiver,
) -> None:
    threads = adapter("threads", server, target="17841400000")
    threads.status_delays = (0, 0, 0)  # type: ignore[misc]
    server.fail_next(Fault(status=200, body=b'{"id": "container-1"}'))  # the create
    server.fail_next(Fault(status=200, body=b'{"status": "IN_PROGRESS", "id": "container-1"}'))
    receipt = threads.send(draft(threads), "k")
    create, first_look, second_look, publish, permalink = server.received()
    assert create.path == "/17841400000/threads"
    assert parse_qs(create.body.decode())["media_type"] == ["TEXT"]
    assert parse_qs(create.body.decode())["text"] == [f"Bridge approved {LINK}"]
    assert first_look.path.startswith("/container-1?fields=status%2Cerror_message")
    assert second_look.path == first_look.path
    assert parse_qs(publish.body.decode())["creation_id"] == ["container-1"]
    assert permalink.path.startswith("/media-1?fields=permalink")
    assert receipt.remote_id == "media-1"
    assert receipt.url == "https://www.threads.net/@gazette/post/C1a2b3"


def test_threads_never_publishes_a_container_that_failed(server: Receiver) -> None:
    threads = adapter("threads", server, target="17841400000")
    server.fail_next(Fault(status=200, body=b'{"id": "container-1"}'))
    failed = {"status": "ERROR", "error_message": "The link could not be fetched"}
    server.fail_next(Fault(status=200, body=json.dumps(failed).encode()))
    with pytest.raises(DeliveryError, match="The link could not be fetched") as error:
        threads.send(draft(threads), "k")
    assert error.value.permanent
    assert [r.path.split("?")[0] for r in server.received()] == [
        "/17841400000/threads",
        "/container-1",
    ]


def test_linkedin_edits_a_post_s_commentary_with_a_partial_update(server: Receiver) -> None:
    linkedin = adapter("linkedin", server, target="urn:li:organization:42")
    receipt = linkedin.send(draft(linkedin), "k")
    linkedin.edit(sent(receipt), draft(linkedin, f"Bridge approved, 7 to 2 {LINK}"))
    edit = server.received()[-1]
    assert edit.path == "/rest/posts/urn%3Ali%3Ashare%3A7000000000000000001"
    assert edit.headers["x-restli-method"] == "PARTIAL_UPDATE"
    assert edit.headers["linkedin-version"] == "202510"
    assert edit.json() == {"patch": {"$set": {"commentary": f"Bridge approved, 7 to 2 {LINK}"}}}


def test_facebook_edits_the_page_post_s_message(server: Receiver) -> None:
    facebook = adapter("facebook", server, target="1234567890")
    receipt = facebook.send(draft(facebook), "k")
    facebook.edit(sent(receipt), draft(facebook, f"Bridge approved, 7 to 2 {LINK}"))
    edit = server.received()[-1]
    assert edit.path == "/1234567890_998877"
    assert parse_qs(edit.body.decode()) == {
        "message": [f"Bridge approved, 7 to 2 {LINK}"],
        "access_token": ["user-token"],
    }


def test_facebook_finds_its_post_on_the_page_by_the_link_it_shares(server: Receiver) -> None:
    facebook = adapter("facebook", server, target="1234567890")
    feed = {
        "data": [
            {"id": "1234567890_1", "message": "Something else", "attachments": {"data": []}},
            {
                "id": "1234567890_2",
                "message": "Bridge approved",
                "permalink_url": "https://www.facebook.com/gazette/posts/2",
                "attachments": {"data": [{"unshimmed_url": LINK}]},
            },
        ]
    }
    server.fail_next(Fault(status=200, body=json.dumps(feed).encode()))
    found = facebook.find_sent(draft(facebook, "Bridge approved"))
    assert found is not None and found.remote_id == "1234567890_2"
    assert found.url == "https://www.facebook.com/gazette/posts/2"
    (look,) = server.received()
    assert look.path.startswith("/1234567890/feed?")
    query = parse_qs(look.path.split("?", 1)[1])
    assert "attachments{unshimmed_url}" in query["fields"][0]
    assert query["access_token"] == ["user-token"]
    server.fail_next(Fault(status=200, body=json.dumps({"data": feed["data"][:1]}).encode()))
    assert facebook.find_sent(draft(facebook, "Bridge approved")) is None


def test_threads_finds_its_post_among_the_user_s_threads(server: Receiver) -> None:
    threads = adapter("threads", server, target="17841400000")
    listing = {
        "data": [
            {"id": "media-7", "text": f"Bridge approved {LINK}", "permalink": "https://t/7"},
            {"id": "media-6", "text": "An older post", "permalink": "https://t/6"},
        ]
    }
    server.fail_next(Fault(status=200, body=json.dumps(listing).encode()))
    found = threads.find_sent(draft(threads))
    assert found is not None and (found.remote_id, found.url) == ("media-7", "https://t/7")
    (look,) = server.received()
    assert look.path.startswith("/17841400000/threads?")
    server.fail_next(Fault(status=200, body=json.dumps({"data": listing["data"][1:]}).encode()))
    assert threads.find_sent(draft(threads)) is None


def test_linkedin_finds_its_post_among_the_author_s_posts_by_its_article_link(
    server: Receiver,
) -> None:
    linkedin = adapter("linkedin", server, target="urn:li:organization:42")
    found_posts = {
        "elements": [
            {"id": "urn:li:share:1", "content": {"article": {"source": "https://other.example"}}},
            {"id": "urn:li:share:2", "commentary": "No article"},
            {"id": "urn:li:share:3", "content": {"article": {"source": LINK}}},
        ]
    }
    server.fail_next(Fault(status=200, body=json.dumps(found_posts).encode()))
    found = linkedin.find_sent(draft(linkedin))
    assert found is not None and found.remote_id == "urn:li:share:3"
    assert found.url == "https://www.linkedin.com/feed/update/urn:li:share:3/"
    (look,) = server.received()
    query = parse_qs(look.path.split("?", 1)[1])
    assert look.path.startswith("/rest/posts?")
    assert query["author"] == ["urn:li:organization:42"] and query["q"] == ["author"]
    assert look.headers["x-restli-method"] == "FINDER"
    assert look.headers["linkedin-version"] == "202510"
    server.fail_next(Fault(status=200, body=json.dumps({"elements": []}).encode()))
    assert linkedin.find_sent(draft(linkedin)) is None

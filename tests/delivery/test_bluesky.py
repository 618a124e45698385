"""Delivering to Bluesky over XRPC: a session, the thumbnail blob, a record at a fixed key."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import requests

from syndicate.config import ChannelConfig
from syndicate.platforms import bluesky
from syndicate.platforms.base import DeliveryError, Draft
from syndicate.platforms.bluesky import Bluesky, record_key
from tests.delivery.sent import sent
from tests.fakes.pds import DID, HANDLE, PASSWORD, FakePDS

LINK = "https://news.example.com/2026/11/river-crossing?utm_source=bluesky"


@pytest.fixture
def pds() -> Iterator[FakePDS]:
    server = FakePDS()
    bluesky._sessions.clear()
    os.environ["TEST_BSKY_PASSWORD"] = PASSWORD
    yield server
    server.stop()


def adapter(pds: FakePDS) -> Bluesky:
    channel = ChannelConfig(
        name="sky",
        platform="bluesky",
        url=pds.url,
        target=HANDLE,
        secret_env="TEST_BSKY_PASSWORD",
        timeout_seconds=1,
    )
    return Bluesky(channel, requests.Session())


def draft(sky: Bluesky) -> Draft:
    composed = sky.finish(
        Draft(
            text=f"東京 👨‍👩‍👧‍👦 Council approves the crossing\n\n{LINK}\n#LocalPolitics",
            link=LINK,
            extras={
                "article": {"title": "Council approves", "summary": "7 to 2.", "language": "en"}
            },
        )
    )
    composed.thumbnail = (b"\x89PNG fake image bytes", "image/png")
    return composed


def test_it_creates_a_post_with_facets_card_and_thumbnail(pds: FakePDS) -> None:
    sky = adapter(pds)
    receipt = sky.send(draft(sky), "syndicate-post-7-1732500000123456")
    rkey = record_key("syndicate-post-7-1732500000123456")
    assert receipt.remote_id == f"at://{DID}/app.bsky.feed.post/{rkey}"
    assert receipt.url == f"https://bsky.app/profile/{DID}/post/{rkey}"
    record = pds.records[rkey]
    assert record["$type"] == "app.bsky.feed.post" and record["langs"] == ["en"]
    assert record["createdAt"].endswith("Z")
    data = record["text"].encode()
    covered = {
        data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in record["facets"]
    }
    assert covered["news.example.com/2026/11/river-…"]["uri"] == LINK
    assert covered["#LocalPolitics"]["tag"] == "LocalPolitics"
    external = record["embed"]["external"]
    assert external["uri"] == LINK and external["thumb"]["ref"] == {"$link": "bafyblob"}
    assert pds.blobs == [b"\x89PNG fake image bytes"]


def test_a_retry_after_a_lost_answer_finds_the_post_instead_of_posting_again(
    pds: FakePDS,
) -> None:
    sky = adapter(pds)
    pds.fail_create_after_storing = True
    with pytest.raises(DeliveryError) as error:
        sky.send(draft(sky), "syndicate-post-8-1732500000999999")
    assert not error.value.ambiguous  # the fixed record key makes another try safe
    receipt = sky.send(draft(sky), "syndicate-post-8-1732500000999999")
    assert len(pds.records) == 1
    assert receipt.remote_id.endswith(record_key("syndicate-post-8-1732500000999999"))


def test_the_session_is_reused_between_posts(pds: FakePDS) -> None:
    sky = adapter(pds)
    sky.send(draft(sky), "syndicate-post-1-1")
    sky.send(draft(sky), "syndicate-post-2-2")
    assert pds.sessions == 1 and len(pds.records) == 2


def test_a_wrong_app_password_is_a_permanent_credential_failure(pds: FakePDS) -> None:
    os.environ["TEST_BSKY_PASSWORD"] = "wrong"
    sky = adapter(pds)
    with pytest.raises(DeliveryError) as error:
        sky.send(draft(sky), "syndicate-post-3-3")
    assert error.value.permanent and error.value.credentials


def test_a_deleted_post_is_gone(pds: FakePDS) -> None:
    sky = adapter(pds)
    receipt = sky.send(draft(sky), "syndicate-post-4-4")
    sky.delete(sent(receipt))
    assert pds.records == {}


def test_record_keys_are_valid_tids_and_stable() -> None:
    first = record_key("syndicate-post-9-1732500000123456")
    assert first == record_key("syndicate-post-9-1732500000123456")
    assert first != record_key("syndicate-post-10-1732500000123456")
    assert len(first) == 13 and first[0] in "234567abcdefghij"


def test_a_rate_limit_waits_until_the_pds_says(pds: FakePDS) -> None:
    sky = adapter(pds)
    reset = int(time.time()) + 300
    limited = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    pds.fail_next("com.atproto.repo.createRecord", 429, limited, {"RateLimit-Reset": str(reset)})
    with pytest.raises(DeliveryError) as error:
        sky.send(draft(sky), "syndicate-post-5-5")
    assert not error.value.permanent and error.value.retry_after is not None
    assert 295 <= error.value.retry_after <= 300
    headers = {"Retry-After": "40", "RateLimit-Reset": str(reset)}
    pds.fail_next("com.atproto.repo.createRecord", 429, limited, headers)
    with pytest.raises(DeliveryError) as error:
        sky.send(draft(sky), "syndicate-post-5-5")
    assert error.value.retry_after == 40  # Retry-After, when given, is the nearer promise
    sky.send(draft(sky), "syndicate-post-5-5")
    assert len(pds.records) == 1


def test_a_server_error_then_success_makes_one_post(pds: FakePDS) -> None:
    sky = adapter(pds)
    broken = {"error": "InternalServerError", "message": "Internal Server Error"}
    pds.fail_next("com.atproto.repo.createRecord", 500, broken)
    with pytest.raises(DeliveryError) as error:
        sky.send(draft(sky), "syndicate-post-6-6")
    assert not error.value.permanent and error.value.status_code == 500
    receipt = sky.send(draft(sky), "syndicate-post-6-6")
    assert list(pds.records) == [record_key("syndicate-post-6-6")]
    assert receipt.remote_id.endswith(record_key("syndicate-post-6-6"))

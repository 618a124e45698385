"""Bluesky delivery against a real AT Protocol PDS (`@atproto/pds`), which validates every record
against the lexicon: the post, its facets and its link card must be what the network accepts."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
import requests
from PIL import Image
from pydantic import ValidationError

from syndicate import articles, delivery, lifecycle, posts
from syndicate.cms import parse_generic
from syndicate.compose import compose
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import ChangeStatus, Post, PostChange, utcnow
from syndicate.platforms import bluesky
from syndicate.platforms.base import DeliveryError, Draft
from syndicate.platforms.bluesky import Bluesky, record_key
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.delivery.sent import sent
from tests.peers.atproto import RealPDS
from tests.platforms.conftest import TEMPLATES, make_article

HANDLE = "newsroom.test"
PASSWORD = "a long app password"
URL = "https://news.example.com/2026/11/river-crossing"


@pytest.fixture(scope="module")
def pds() -> Iterator[RealPDS]:
    server = RealPDS()
    server.create_account(HANDLE, PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def sky(pds: RealPDS) -> Bluesky:
    bluesky._sessions.clear()
    os.environ["TEST_REAL_PDS_PASSWORD"] = PASSWORD
    channel = ChannelConfig(
        name="sky",
        platform="bluesky",
        url=pds.url,
        target=HANDLE,
        secret_env="TEST_REAL_PDS_PASSWORD",
        timeout_seconds=30,
    )
    return Bluesky(channel, requests.Session())


def share_image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 630), (12, 74, 110)).save(out, "PNG")
    return out.getvalue()


def composed_post(sky: Bluesky, title: str, summary: str) -> Draft:
    article = make_article(title=title, summary=summary, url=URL, tags=["Local Politics"])
    result = compose(article, sky.channel, sky, TEMPLATES)
    assert result.problems == []
    draft = result.draft
    draft.thumbnail = (share_image(), "image/png")
    return draft


def record_session_calls(sky: Bluesky) -> list[str]:
    """The names of the session calls (sign-in, refresh) the adapter makes from now on."""
    called: list[str] = []

    def note(response: requests.Response, *args: object, **kwargs: object) -> None:
        name = response.url.split("/xrpc/")[-1]
        if name.startswith("com.atproto.server."):
            called.append(name)

    sky.session.hooks["response"].append(note)
    return called


def stored(pds: RealPDS, did: str, rkey: str) -> requests.Response:
    return pds.get(
        "com.atproto.repo.getRecord", repo=did, collection="app.bsky.feed.post", rkey=rkey
    )


def test_the_pds_accepts_the_post_its_facets_and_its_card(pds: RealPDS, sky: Bluesky) -> None:
    title = "東京 and Zürich 👨‍👩‍👧‍👦 sign the river-crossing pact & more " * 8
    summary = "Après trois ans de débat, le conseil a voté 7 contre 2. 🎉 " * 10
    draft = composed_post(sky, title, summary)
    key = "syndicate-post-1-1764000000000001"

    receipt = sky.send(draft, key)

    did = receipt.remote_id.split("/")[2]
    record = stored(pds, did, record_key(key)).json()["value"]
    assert record["text"] == draft.text
    text = record["text"].encode()
    features = {
        text[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in record["facets"]
    }
    link = next(f for f in features.values() if f["$type"] == bluesky.LINK)
    assert link["uri"].startswith(URL)
    assert features["#LocalPolitics"] == {"$type": bluesky.TAG, "tag": "LocalPolitics"}
    external = record["embed"]["external"]
    assert external["uri"] == link["uri"]
    assert external["title"].startswith("東京 and Zürich")
    assert external["thumb"]["mimeType"] == "image/png"
    blob = pds.get("com.atproto.sync.getBlob", did=did, cid=external["thumb"]["ref"]["$link"])
    assert blob.content == draft.thumbnail[0]
    assert receipt.url == f"https://bsky.app/profile/{did}/post/{record_key(key)}"


def test_with_photo_on_the_share_image_is_attached_with_its_alt_text(
    pds: RealPDS, sky: Bluesky
) -> None:
    photo = Bluesky(sky.channel.model_copy(update={"photo": True}), requests.Session())
    draft = composed_post(photo, "Harbour bridge reopens", "Six months of works are over.")
    draft.extras["alt"] = "The harbour bridge at dawn, its towers lit"
    key = "syndicate-post-7-1764000000000007"

    receipt = photo.send(draft, key)

    did = receipt.remote_id.split("/")[2]
    embed = stored(pds, did, record_key(key)).json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == "The harbour bridge at dawn, its towers lit"
    assert image["aspectRatio"] == {"width": 1200, "height": 630}
    blob = pds.get("com.atproto.sync.getBlob", did=did, cid=image["image"]["ref"]["$link"])
    assert blob.content == draft.thumbnail[0]


def test_an_author_s_handle_becomes_a_mention_of_their_account(pds: RealPDS, sky: Bluesky) -> None:
    ada = pds.create_account("ada.test", "another long app password")
    authors = [
        {"name": "Ada Reporter", "handles": {"bluesky": "ada.test"}},
        {"name": "Nobody", "handles": {"bluesky": "@nobody.test"}},
    ]
    article = make_article(title="Ferry returns", summary="", url=URL, authors=authors)
    draft = compose(article, sky.channel, sky, TEMPLATES).draft
    assert "@ada.test @nobody.test" in draft.text
    key = "syndicate-post-8-1764000000000008"

    receipt = sky.send(draft, key)

    did = receipt.remote_id.split("/")[2]
    record = stored(pds, did, record_key(key)).json()["value"]
    text = record["text"].encode()
    mentions = {
        text[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in record["facets"]
        if f["features"][0]["$type"] == bluesky.MENTION
    }
    # The handle no account holds stays plain text.
    assert mentions == {"@ada.test": {"$type": bluesky.MENTION, "did": ada["did"]}}


def test_a_first_reply_is_threaded_under_the_post_once(pds: RealPDS, sky: Bluesky) -> None:
    draft = composed_post(sky, "Night trains return", "From Monday.")
    key = "syndicate-post-9-1764000000000009"
    receipt = sky.send(draft, key)
    parent = sent(receipt)
    reply = Draft(f"The full story: {URL}", URL)

    first = sky.reply(parent, reply, f"{key}-reply-1")
    again = sky.reply(parent, reply, f"{key}-reply-1")

    assert again.remote_id == first.remote_id
    did, rkey = first.remote_id.split("/")[2], first.remote_id.rsplit("/", 1)[1]
    record = stored(pds, did, rkey).json()["value"]
    post = stored(pds, did, record_key(key)).json()
    assert record["reply"]["root"] == {"uri": post["uri"], "cid": post["cid"]}
    assert record["reply"]["parent"] == record["reply"]["root"]
    assert record["facets"][0]["features"][0]["uri"] == URL
    listed = pds.get("com.atproto.repo.listRecords", repo=did, collection="app.bsky.feed.post")
    assert sum(1 for r in listed.json()["records"] if r["uri"] == first.remote_id) == 1


def test_a_thread_s_replies_name_the_post_as_root_and_the_part_before_as_parent(
    pds: RealPDS, sky: Bluesky
) -> None:
    key = "syndicate-post-10-1764000000000010"
    receipt = sky.send(composed_post(sky, "Budget night", "It ran late."), key)
    second = sky.reply(sent(receipt), Draft("2/3 The vote came at two.", URL), f"{key}-reply-1")
    third = sky.reply(sent(second), Draft("3/3 Then the mayor spoke.", URL), f"{key}-reply-2")

    did = receipt.remote_id.split("/")[2]
    post = stored(pds, did, record_key(key)).json()
    middle = stored(pds, did, second.remote_id.rsplit("/", 1)[1]).json()
    last = stored(pds, did, third.remote_id.rsplit("/", 1)[1]).json()["value"]
    assert last["reply"]["root"] == {"uri": post["uri"], "cid": post["cid"]}
    assert last["reply"]["parent"] == {"uri": middle["uri"], "cid": middle["cid"]}
    assert last["text"] == "3/3 Then the mayor spoke."


def test_sending_again_with_the_same_key_does_not_post_twice(pds: RealPDS, sky: Bluesky) -> None:
    draft = composed_post(sky, "Bridge opens on time", "The mayor cut the ribbon.")
    key = "syndicate-post-2-1764000000000002"
    first = sky.send(draft, key)
    again = sky.send(draft, key)
    assert again.remote_id == first.remote_id
    did = first.remote_id.split("/")[2]
    listed = pds.get(
        "com.atproto.repo.listRecords", repo=did, collection="app.bsky.feed.post", limit="100"
    ).json()["records"]
    assert [r["uri"] for r in listed].count(first.remote_id) == 1


def test_the_pds_refuses_a_post_longer_than_the_lexicon_allows(sky: Bluesky) -> None:
    draft = sky.finish(Draft(text="word " * 70, link=URL))
    with pytest.raises(DeliveryError) as error:
        sky.send(draft, "syndicate-post-3-1764000000000003")
    assert error.value.permanent and "grapheme" in error.value.message


def test_an_expired_access_token_is_refreshed_not_signed_in_again(
    pds: RealPDS, sky: Bluesky
) -> None:
    draft = composed_post(sky, "Ferry timetable changes", "Two more crossings a day.")
    sky.send(draft, "syndicate-post-4-1764000000000004")
    key = (pds.url.rstrip("/"), HANDLE)
    created_at, _access, refresh, did = bluesky._sessions[key]
    expired = pds.expired_access_token(did)
    bluesky._sessions[key] = (created_at, expired, refresh, did)
    called = record_session_calls(sky)

    receipt = sky.send(draft, "syndicate-post-5-1764000000000005")

    assert stored(pds, did, record_key("syndicate-post-5-1764000000000005")).ok
    assert receipt.remote_id.startswith(f"at://{did}/")
    renewed = bluesky._sessions[key]
    assert renewed[1] != expired and renewed[2] != refresh
    assert called == ["com.atproto.server.refreshSession"]


def test_a_deleted_post_is_gone_from_the_repository(pds: RealPDS, sky: Bluesky) -> None:
    draft = composed_post(sky, "Library hours extended", "Open until ten.")
    receipt = sky.send(draft, "syndicate-post-6-1764000000000006")
    did = receipt.remote_id.split("/")[2]
    rkey = record_key("syndicate-post-6-1764000000000006")
    assert stored(pds, did, rkey).ok

    sky.delete(sent(receipt))

    gone = stored(pds, did, rkey)
    assert gone.status_code == 400 and gone.json()["error"] == "RecordNotFound"


def test_a_channel_that_opts_in_replaces_an_edited_post_with_one_new_post(
    pds: RealPDS, runtime: Runtime, clean: None
) -> None:
    bluesky._sessions.clear()
    os.environ["TEST_REAL_PDS_PASSWORD"] = PASSWORD
    channel = ChannelConfig(
        name="sky",
        platform="bluesky",
        url=pds.url,
        target=HANDLE,
        secret_env="TEST_REAL_PDS_PASSWORD",
        timeout_seconds=30,
        auto_approve=True,
        edit_on_update=True,
        recreate_on_update=True,
    )
    config = SyndicateConfig(site=SiteConfig(title="Test"), channels=[channel])
    policy = DeliveryPolicy()
    art = article("sky-1", title="Library hours extended")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(session, "sky-1", config, runtime.templates, utcnow()).due
    assert delivery.deliver(runtime.factory, post_id, config, policy, utcnow()).status == "sent"
    first = post_uri(runtime, post_id)
    did = first.split("/")[2]

    edited = dict(
        art, title="Library hours extended to midnight", updated_at="2026-11-24T12:00:00Z"
    )
    articles.receive(runtime.factory, parse_generic(envelope(edited, "article.updated")), utcnow())
    with runtime.factory.begin() as session:
        (change_id,) = posts.compose_posts(
            session, "sky-1", config, runtime.templates, utcnow()
        ).changes
    assert lifecycle.apply(runtime.factory, change_id, config, policy, utcnow()).status == "edited"
    second = post_uri(runtime, post_id)
    assert second != first
    assert stored(pds, did, first.rsplit("/", 1)[-1]).json()["error"] == "RecordNotFound"
    record = stored(pds, did, second.rsplit("/", 1)[-1]).json()["value"]
    assert "to midnight" in record["text"]

    # As if the worker died after the new post was made and before it was recorded.
    with runtime.factory.begin() as session:
        session.get_one(Post, post_id).remote_id = first
        session.get_one(PostChange, change_id).status = ChangeStatus.PENDING
    assert lifecycle.apply(runtime.factory, change_id, config, policy, utcnow()).status == "edited"
    assert post_uri(runtime, post_id) == second
    listed = pds.get("com.atproto.repo.listRecords", repo=did, collection="app.bsky.feed.post")
    uris = [r["uri"] for r in listed.json()["records"]]
    assert second in uris and first not in uris


def post_uri(runtime: Runtime, post_id: int) -> str:
    with runtime.factory() as session:
        return str(session.get_one(Post, post_id).remote_id)


def test_recreating_is_refused_where_posts_can_be_edited_or_sent_twice() -> None:
    for platform in ("mastodon", "telegram"):
        with pytest.raises(ValidationError, match="recreate_on_update"):
            ChannelConfig(name="c", platform=platform, recreate_on_update=True)

"""Posts a person adds: an extra post for an article and channel, and a re-share of a sent
post; reviewed like any other, delivered once, never recomposed when the article changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from syndicate import articles, posts, review
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.models import Post, Role, utcnow
from syndicate.preview import preview
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.people import Person
from tests.pipeline.test_article_to_post import deliveries_for
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def the_composed(client: Client, article_id: str, channel: str) -> dict[str, Any] | None:
    return next(
        (
            p
            for p in client.posts(article_id=article_id)
            if p["channel"] == channel and p["sequence"] == 0
        ),
        None,
    )


def composed(client: Client, article_id: str, channel: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(lambda: the_composed(client, article_id, channel))
    return found


def test_an_extra_post_is_reviewed_delivered_once_and_never_recomposed(
    client: Client, receiver: Receiver, people: dict[Role, Person]
) -> None:
    art = article("extra-1", title="Ferry timetable changes")
    assert client.send(envelope(art)).status_code == 202
    first = composed(client, "extra-1", "newsroom-hook")

    text = f"Second look: what the new ferry times mean for you {art['url']}"
    added = client.api(
        "POST", "/articles/extra-1/posts", json={"channel": "newsroom-hook", "text": text}
    )
    assert added.status_code == 201, added.text
    extra = added.json()
    assert (extra["sequence"], extra["status"], extra["edited"]) == (1, "pending_review", True)
    assert extra["text"] == text and extra["id"] != first["id"]

    fresh = client.api("POST", "/articles/extra-1/posts", json={"channel": "newsroom-hook"})
    assert fresh.status_code == 201 and fresh.json()["sequence"] == 2
    assert "Ferry timetable changes" in fresh.json()["text"]

    assert client.api("POST", f"/posts/{extra['id']}/approve").status_code == 200
    wait_until(
        lambda: [
            r for r in deliveries_for(receiver, "/newsroom", "extra-1") if r.json()["text"] == text
        ]
    )
    # Received before the worker records it: the post is sent once that is written.
    wait_until(lambda: client.api("GET", f"/posts/{extra['id']}").json()["status"] == "sent")

    updated = {
        **art,
        "title": "Ferry timetable changes again",
        "updated_at": "2026-11-24T12:00:00Z",
    }
    assert client.send(envelope(updated, "article.updated")).status_code == 202
    wait_until(lambda: (the_composed(client, "extra-1", "newsroom-hook") or {})["revision"] == 2)
    kept = client.api("GET", f"/posts/{extra['id']}").json()
    assert kept["text"] == text and kept["status"] == "sent"
    assert (
        len(
            [
                r
                for r in deliveries_for(receiver, "/newsroom", "extra-1")
                if r.json()["text"] == text
            ]
        )
        == 1
    )


def test_a_sent_post_is_shared_again_with_fresh_copy(
    client: Client, receiver: Receiver, people: dict[Role, Person]
) -> None:
    art = article("again-1", title="Bridge opens")
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: deliveries_for(receiver, "/wire", "again-1"))
    sent = wait_until(
        lambda: (p := the_composed(client, "again-1", "wire")) and p["status"] == "sent" and p
    )
    again = client.api(
        "POST", f"/posts/{sent['id']}/reshare", json={"text": f"A week on: {art['url']}"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "approved"  # the wire approves its posts on its own
    both = wait_until(
        lambda: (
            len(deliveries_for(receiver, "/wire", "again-1")) == 2
            and deliveries_for(receiver, "/wire", "again-1")
        )
    )
    assert both[1].json()["text"] == f"A week on: {art['url']}"


def test_refusals_name_what_is_wrong(client: Client, people: dict[Role, Person]) -> None:
    assert client.send(envelope(article("refuse-1"))).status_code == 202
    review_post = composed(client, "refuse-1", "newsroom-hook")
    assert (
        client.api("POST", "/articles/missing/posts", json={"channel": "wire"}).status_code == 404
    )
    disabled = client.api("POST", "/articles/refuse-1/posts", json={"channel": "x-preview"})
    assert disabled.status_code == 422 and "x-preview" in disabled.json()["message"]
    empty = client.api("POST", "/articles/refuse-1/posts", json={"channel": "wire", "text": "  "})
    assert empty.status_code == 422 and "empty" in empty.json()["message"]
    not_sent = client.api("POST", f"/posts/{review_post['id']}/reshare", json={})
    assert not_sent.status_code == 409 and "only a sent post" in not_sent.json()["message"]
    viewer = client.http.post(
        "/api/articles/refuse-1/posts",
        json={"channel": "wire"},
        headers={"Authorization": f"Bearer {people[Role.VIEWER].token}"},
    )
    assert viewer.status_code == 403

    down = {"id": "refuse-1", "updated_at": "2026-11-25T00:00:00Z"}
    assert client.send(envelope(down, "article.unpublished")).status_code == 202
    gone = client.api("POST", "/articles/refuse-1/posts", json={"channel": "wire"})
    assert gone.status_code == 409 and "not published" in gone.json()["message"]


def test_the_article_page_adds_a_post_for_an_editor(
    client: Client, people: dict[Role, Person]
) -> None:
    art = article("form-1")
    assert client.send(envelope(art)).status_code == 202
    composed(client, "form-1", "newsroom-hook")
    editor = signed_in(client.base_url, "editor-1")
    page = editor.get("/review/articles/form-1")
    assert "New post" in page.text
    answer = editor.post(
        "/review/articles/form-1/posts",
        data={
            "csrf_token": csrf_of(page.text),
            "channel": "newsroom-hook",
            "text": f"By hand {art['url']}",
        },
    )
    assert answer.status_code == 303
    shown = editor.get(answer.headers["location"])
    assert "Post added." in shown.text and "Added by hand" in shown.text
    assert "Share again" not in shown.text  # not sent yet


def test_a_reviewer_describes_the_post_s_image(client: Client, people: dict[Role, Person]) -> None:
    art = article("alt-1", image={"url": "https://news.example/a.jpg", "alt": "A ferry"})
    assert client.send(envelope(art)).status_code == 202
    post = composed(client, "alt-1", "newsroom-hook")
    assert post["alt"] == "A ferry"
    described = client.api(
        "POST",
        f"/posts/{post['id']}/edit",
        json={"text": post["text"], "alt": "The new ferry at the quay"},
    )
    assert described.status_code == 200 and described.json()["alt"] == "The new ferry at the quay"
    retyped = client.api("POST", f"/posts/{post['id']}/edit", json={"text": post["text"] + " "})
    assert retyped.json()["alt"] == "The new ferry at the quay"  # kept when only the text changes
    editor = signed_in(client.base_url, "editor-1")
    assert 'value="The new ferry at the quay"' in editor.get(f"/review/posts/{post['id']}").text


def test_an_editor_splits_and_joins_a_thread_s_parts(
    runtime: Runtime, receiver: Receiver, people: dict[Role, Person], clean: None
) -> None:
    toots = ChannelConfig(name="toots", platform="mastodon", url=receiver.url, thread="auto")
    cfg = SyndicateConfig(site=SiteConfig(title="Test"), channels=[toots])
    long_summary = " ".join(f"Point {n} of the plan, explained at length." for n in range(30))
    data = article("split-1", summary=long_summary)
    articles.receive(runtime.factory, parse_generic(envelope(data)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, "split-1", cfg, runtime.templates, utcnow())
        post = session.scalars(select(Post)).one()
        post_id, parts = post.id, [post.text, *post.extras["thread"]]
    assert len(parts) >= 3

    joined = f"{parts[0]}\n---\n{parts[1]} {parts[2]}"  # parts 2 and 3 joined, the rest gone
    with runtime.factory.begin() as session:
        review.edit(session, post_id, joined, cfg, runtime.templates, utcnow())
    with runtime.factory() as session:
        edited = session.get_one(Post, post_id)
        assert edited.text == parts[0]
        assert edited.extras["thread"] == [f"{parts[1]} {parts[2]}"]
        too_long = f"{parts[0]}\n---\n" + "word " * 200
        shown = preview(edited.article, toots, runtime.templates, too_long)
    assert not shown.valid and shown.problems[0].startswith("part 2 of the thread is too long")

"""A post whose outcome is unknown is settled by the person who looked at the platform: marked
sent, with its live address, or not sent; through the API and the review page, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from syndicate.models import Post, PostStatus, Role
from syndicate.runtime import Runtime
from tests.client import Client
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.review.test_api_roles import pending_post

pytestmark = pytest.mark.usefixtures("worker")


def unknown_post(client: Client, runtime: Runtime, article_id: str) -> int:
    post_id = pending_post(client, article_id)
    with runtime.factory.begin() as session:
        session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(status=PostStatus.UNKNOWN, problem="the connection dropped")
        )
    return post_id


def resolve(client: Client, person: Person, post_id: int, **body: str) -> dict[str, object]:
    response = client.http.post(
        f"/api/posts/{post_id}/resolve",
        json=body,
        headers={"Authorization": f"Bearer {person.token}"},
    )
    return {**response.json(), "http": response.status_code}


def test_an_approver_marks_an_unknown_post_sent_with_its_live_address(
    client: Client, runtime: Runtime, people: dict[Role, Person]
) -> None:
    post_id = unknown_post(client, runtime, "resolve-1")
    approver = people[Role.APPROVER]

    missing = resolve(client, approver, post_id, outcome="sent")
    assert missing["http"] == 422 and "url" in str(missing["message"])
    unsafe = resolve(client, approver, post_id, outcome="sent", url="javascript:alert(1)")
    assert unsafe["http"] == 422
    wrong = resolve(client, approver, post_id, outcome="maybe")
    assert wrong["http"] == 422 and "outcome" in str(wrong)

    live = "https://social.example/@news/1"
    done = resolve(client, approver, post_id, outcome="sent", url=live, remote_id="1")
    assert (done["http"], done["status"], done["remote_url"]) == (200, "sent", live)
    post = client.api("GET", f"/posts/{post_id}").json()
    assert post["status"] == "sent" and post["problem"] == "marked sent by approver-1"

    again = resolve(client, approver, post_id, outcome="not_sent")
    assert again["http"] == 409 and "is sent" in str(again["message"])
    (entry,) = [e for e in client.api("GET", "/audit").json() if e["action"] == "resolve"]
    assert entry["actor"] == "approver-1" and entry["detail"]["outcome"] == "sent"
    assert entry["detail"]["url"] == live


def test_a_post_marked_not_sent_on_the_review_page_can_then_be_retried(
    client: Client, runtime: Runtime, people: dict[Role, Person]
) -> None:
    post_id = unknown_post(client, runtime, "resolve-2")
    viewer = signed_in(client.base_url, "viewer-1")
    assert "It is not there" not in viewer.get(f"/review/posts/{post_id}").text

    http = signed_in(client.base_url, "approver-1")
    page = http.get(f"/review/posts/{post_id}").text
    assert "It is on the platform" in page and "It is not there" in page
    response = http.post(
        f"/review/posts/{post_id}/resolve",
        data={"csrf_token": csrf_of(page), "outcome": "not_sent"},
    )
    assert response.status_code == 303
    page = http.get(response.headers["location"]).text
    assert "Recorded as you found it on the platform." in page
    assert client.api("GET", f"/posts/{post_id}").json()["status"] == "not_sent"

    retried = client.http.post(
        f"/api/posts/{post_id}/retry",
        headers={"Authorization": f"Bearer {people[Role.APPROVER].token}"},
    )
    assert retried.status_code == 200 and retried.json()["status"] == "approved"

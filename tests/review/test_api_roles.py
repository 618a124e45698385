"""The review API for every role: what each may do, what it may not (403), unknown posts
(404), and callers without a valid token (401)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.signin import revoke_token
from syndicate.users import set_disabled
from tests.client import Client, article, envelope
from tests.fakes.receiver import Fault, Receiver
from tests.people import Person
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")

# (method, path, body, the least role allowed); {id} is a pending post.
ACTIONS: list[tuple[str, str, dict[str, Any] | None, Role]] = [
    ("GET", "/api/posts", None, Role.VIEWER),
    ("GET", "/api/posts/{id}", None, Role.VIEWER),
    ("GET", "/api/audit", None, Role.VIEWER),
    ("GET", "/api/channels", None, Role.VIEWER),
    ("GET", "/api/articles/roles-1/shares", None, Role.VIEWER),
    ("POST", "/api/preview", {"channel": "x-preview", "article_id": "roles-1"}, Role.VIEWER),
    (
        "POST",
        "/api/posts/{id}/edit",
        {"text": "Edited https://news.example/2026/roles-1"},
        Role.EDITOR,
    ),
    ("POST", "/api/posts/{id}/reject", {"reason": "not today"}, Role.APPROVER),
    ("POST", "/api/posts/{id}/approve", None, Role.APPROVER),
    ("POST", "/api/posts/{id}/schedule", {"at": "2030-01-01T09:00:00+01:00"}, Role.APPROVER),
    ("POST", "/api/posts/{id}/send-now", None, Role.APPROVER),
    ("POST", "/api/posts/{id}/retry", None, Role.APPROVER),
    ("POST", "/api/posts/{id}/resolve", {"outcome": "not_sent"}, Role.APPROVER),
    ("POST", "/api/posts/bulk-approve", {"ids": ["{id}"]}, Role.APPROVER),
    ("POST", "/api/channels/wire/pause", {"reason": "role test"}, Role.ADMIN),
    ("POST", "/api/channels/wire/resume", None, Role.ADMIN),
    ("POST", "/api/pause", None, Role.ADMIN),
    ("POST", "/api/resume", None, Role.ADMIN),
]


def pending_post(client: Client, article_id: str = "roles-1", **fields: Any) -> int:
    """Publish an article; return the id of its post on the reviewed channel once composed."""
    assert client.send(envelope(article(article_id, **fields))).status_code == 202
    post = wait_until(
        lambda: next(
            (p for p in client.posts(article_id=article_id) if p["channel"] == "newsroom-hook"),
            None,
        )
    )
    assert post["status"] == "pending_review"
    return int(post["id"])


def call(
    client: Client, token: str | None, method: str, path: str, body: Any, post_id: int
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = path.replace("{id}", str(post_id))
    if body is not None:
        body = {k: ([post_id] if v == ["{id}"] else v) for k, v in body.items()}
    return client.http.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_what_it_allows_and_no_more(
    client: Client, people: dict[Role, Person], role: Role
) -> None:
    post_id = pending_post(client)
    person = people[role]
    for method, path, body, least in ACTIONS:
        response = call(client, person.token, method, path, body, post_id)
        if role.allows(least):
            assert response.status_code not in (401, 403), (path, response.text)
        else:
            assert response.status_code == 403, (path, response.text)
            assert response.json()["message"] == f"this needs the {least} role; you are {role}"
    assert call(client, people[Role.ADMIN].token, "POST", "/api/resume", None, 0).status_code == 204


def test_anonymous_and_bad_tokens_are_401(client: Client, people: dict[Role, Person]) -> None:
    post_id = pending_post(client)
    for method, path, body, _ in ACTIONS:
        for token in (None, "not-a-token"):
            response = call(client, token, method, path, body, post_id)
            assert response.status_code == 401, (path, token)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"] == "unauthorized"


def test_a_revoked_token_or_a_disabled_user_stops_working_at_once(
    client: Client, people: dict[Role, Person], runtime: Runtime
) -> None:
    approver, viewer = people[Role.APPROVER], people[Role.VIEWER]
    assert call(client, approver.token, "GET", "/api/posts", None, 0).status_code == 200
    with runtime.factory.begin() as session:
        revoke_token(session, approver.token_id, utcnow())
        set_disabled(session, viewer.username, True)
    for person in (approver, viewer):
        response = call(client, person.token, "GET", "/api/posts", None, 0)
        assert response.status_code == 401
        assert response.json()["message"] == "invalid or revoked bearer token"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [(m, p, b) for m, p, b, _ in ACTIONS if "{id}" in p],
)
def test_unknown_posts_are_404(
    client: Client, people: dict[Role, Person], method: str, path: str, body: Any
) -> None:
    response = call(client, people[Role.ADMIN].token, method, path, body, 999_999)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no post 999999"}


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+01:01", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z"],
)
def test_dates_outside_the_years_stored_are_refused_with_422(
    client: Client, people: dict[Role, Person], moment: str
) -> None:
    post_id = pending_post(client)
    token = people[Role.ADMIN].token
    for name in ("since", "until"):
        response = client.http.get(
            "/api/posts", params={name: moment}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 422, (name, response.text)
        assert "date out of range (1970 to 2199)" in response.text
    response = call(client, token, "POST", "/api/posts/{id}/schedule", {"at": moment}, post_id)
    assert response.status_code == 422, response.text
    assert "date out of range (1970 to 2199)" in response.text
    assert client.api("GET", f"/posts/{post_id}").json()["status"] == "pending_review"


def test_bulk_approve_reports_each_post_on_its_own(
    client: Client, people: dict[Role, Person]
) -> None:
    first, second = pending_post(client, "bulk-1"), pending_post(client, "bulk-2")
    response = call(
        client,
        people[Role.APPROVER].token,
        "POST",
        "/api/posts/bulk-approve",
        None,
        0,
    )
    assert response.status_code == 422
    response = client.http.post(
        "/api/posts/bulk-approve",
        json={"ids": [first, 999_999, second]},
        headers={"Authorization": f"Bearer {people[Role.APPROVER].token}"},
    )
    assert response.status_code == 200
    assert response.json() == [
        {"id": first, "ok": True, "status": "approved", "error": None},
        {"id": 999_999, "ok": False, "status": None, "error": "no post 999999"},
        {"id": second, "ok": True, "status": "approved", "error": None},
    ]


def as_person(client: Client, person: Person) -> Callable[..., httpx.Response]:
    def request(method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {person.token}"}
        return client.http.request(method, "/api" + path, headers=headers, **kwargs)

    return request


def test_an_edit_is_measured_and_audited_with_before_and_after(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client)
    editor = as_person(client, people[Role.EDITOR])
    approver = as_person(client, people[Role.APPROVER])
    original = client.api("GET", f"/posts/{post_id}").json()["text"]

    edited = editor("POST", f"/posts/{post_id}/edit", json={"text": "   "}).json()
    problem = "the post is empty; the article link is missing from the text"
    assert edited["status"] == "invalid" and edited["problem"] == problem
    refused = approver("POST", f"/posts/{post_id}/approve")
    assert refused.status_code == 409
    assert refused.json()["message"] == f"an invalid post cannot be approved: {problem}"

    text = "Fixed words https://news.example/2026/roles-1"
    edited = editor("POST", f"/posts/{post_id}/edit", json={"text": text}).json()
    assert edited["status"] == "pending_review" and edited["edited"] is True
    approved = approver("POST", f"/posts/{post_id}/approve").json()
    assert approved["status"] in ("approved", "sending", "sent")
    assert approved["approved_by"] == "approver-1"

    log = client.api("GET", "/audit", params={"post_id": post_id}).json()
    assert [(e["actor"], e["action"]) for e in log] == [
        ("approver-1", "approve"),
        ("editor-1", "edit"),
        ("editor-1", "edit"),
    ]
    assert log[2]["detail"]["before"] == original and log[2]["detail"]["after"] == "   "
    assert log[1]["detail"]["before"] == "   " and log[1]["detail"]["after"] == text
    assert log[0]["detail"]["text"] == text


def test_an_approval_is_withdrawn_when_the_article_changes(
    client: Client, people: dict[Role, Person]
) -> None:
    client.api("POST", "/channels/newsroom-hook/pause", json={"reason": "hold for the test"})
    post_id = pending_post(client)
    approver = as_person(client, people[Role.APPROVER])
    seen = client.api("GET", f"/posts/{post_id}").json()["revision"]
    approved = approver("POST", f"/posts/{post_id}/approve", json={"revision": seen}).json()
    assert approved["status"] == "approved" and approved["approved_revision"] == seen

    changed = article("roles-1", title="Council delays the river crossing")
    assert client.send(envelope(changed, event="article.updated")).status_code == 202
    post = wait_until(
        lambda: (p := client.api("GET", f"/posts/{post_id}").json())["revision"] > seen and p
    )
    assert post["status"] == "pending_review"
    assert post["approval_withdrawn"] is True and post["approved_revision"] == seen
    assert "Council delays the river crossing" in post["text"]
    assert post["problem"] == "the article changed after this post was approved: review the changes"

    stale = approver("POST", f"/posts/{post_id}/approve", json={"revision": seen})
    assert stale.status_code == 409
    assert stale.json()["message"] == (
        "the article changed since you opened this post: review it again"
    )
    again = approver(
        "POST", f"/posts/{post_id}/approve", json={"revision": post["revision"]}
    ).json()
    assert again["status"] == "approved" and again["approval_withdrawn"] is False
    client.api("POST", "/channels/newsroom-hook/resume")


def test_a_failed_post_can_be_retried_by_hand_and_goes_out_once(
    client: Client, people: dict[Role, Person], receiver: Receiver
) -> None:
    post_id = pending_post(client, "retry-1")
    approver = as_person(client, people[Role.APPROVER])
    # Only this post: the auto-approved "wire" channel sends the same article to /wire.
    refused = Fault(
        status=400,
        body=b'{"error": "bad request"}',
        when=lambda r: r.path == "/newsroom" and b"retry-1" in r.body,
    )
    receiver.fail_next(refused)
    assert approver("POST", f"/posts/{post_id}/approve").status_code == 200
    failed = wait_until(
        lambda: (p := client.api("GET", f"/posts/{post_id}").json())["status"] == "failed" and p
    )
    assert failed["problem"].startswith("HTTP 400")
    retried = approver("POST", f"/posts/{post_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] in (
        "approved",
        "sending",
        "sent",
    )
    wait_until(lambda: client.api("GET", f"/posts/{post_id}").json()["status"] == "sent")
    ours = [r for r in receiver.received("/newsroom") if r.json()["article"]["id"] == "retry-1"]
    assert len(ours) == 2  # the refused attempt and the retry, nothing more
    assert approver("POST", f"/posts/{post_id}/retry").status_code == 409

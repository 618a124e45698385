"""The review app over HTTP: signing in and out, sessions, CSRF, roles on pages, and the
queue, post, article, log and admin pages."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from syndicate.models import Role, UserSession, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.review.test_api_roles import pending_post
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def test_signing_in_sets_a_safe_session_cookie_and_signing_out_ends_it(
    client: Client, people: dict[Role, Person]
) -> None:
    http = httpx.Client(base_url=client.base_url)
    form = http.get("/review/", follow_redirects=True)
    assert form.url.path == "/review/login" and form.url.params["next"] == "/review/"
    response = http.post(
        "/review/login",
        data={
            "username": "Viewer-1",
            "password": "correct horse battery",
            "csrf_token": csrf_of(form.text),
            "next": "/review/queue",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/review/queue"
    cookie = response.headers["set-cookie"].lower()
    assert "syndicate_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    page = http.get("/review/")
    assert page.status_code == 200 and "viewer-1" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    out = http.post("/review/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert http.get("/review/").status_code == 303


def test_a_wrong_password_or_a_disabled_account_is_refused(
    client: Client, people: dict[Role, Person]
) -> None:
    http = httpx.Client(base_url=client.base_url)
    form = http.get("/review/login")
    wrong = http.post(
        "/review/login",
        data={
            "username": "viewer-1",
            "password": "nope nope nope",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    assert "syndicate_session" not in wrong.headers.get("set-cookie", "")


def test_login_needs_its_own_csrf_token_and_never_redirects_off_site(
    client: Client, people: dict[Role, Person]
) -> None:
    http = httpx.Client(base_url=client.base_url)
    forged = http.post(
        "/review/login", data={"username": "viewer-1", "password": "correct horse battery"}
    )
    assert forged.status_code == 403
    form = http.get("/review/login")
    response = http.post(
        "/review/login",
        data={
            "username": "viewer-1",
            "password": "correct horse battery",
            "csrf_token": csrf_of(form.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/review/"


def test_sessions_expire(client: Client, people: dict[Role, Person], runtime: Runtime) -> None:
    http = signed_in(client.base_url, "viewer-1")
    assert http.get("/review/").status_code == 200
    with runtime.factory.begin() as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert http.get("/review/").status_code == 303
    assert http.get("/api/posts").status_code == 401


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client)
    http = signed_in(client.base_url, "approver-1")
    refused = http.post(f"/review/posts/{post_id}/approve", data={"revision": "1"})
    assert refused.status_code == 403 and "CSRF token" in refused.text
    wrong = http.post(
        f"/review/posts/{post_id}/approve", data={"revision": "1", "csrf_token": "guess"}
    )
    assert wrong.status_code == 403
    # The API through the session cookie needs the header too.
    api = http.post(f"/api/posts/{post_id}/approve")
    assert (
        api.status_code == 403 and api.json()["message"] == "missing or wrong X-CSRF-Token header"
    )
    assert client.api("GET", f"/posts/{post_id}").json()["status"] == "pending_review"


def test_pages_show_what_each_role_may_do(client: Client, people: dict[Role, Person]) -> None:
    post_id = pending_post(client)
    shown = {}
    for role in Role:
        http = signed_in(client.base_url, f"{role.value}-1")
        page = http.get(f"/review/posts/{post_id}").text
        shown[role] = {
            "save": ">Save</button>" in page,
            "approve": ">Approve</button>" in page,
            "readonly": re.search(r"<textarea[^>]*readonly", page) is not None,
            "users": ">Users</a>" in page,
        }
        users = http.get("/review/users")
        assert users.status_code == (200 if role == Role.ADMIN else 403)
    assert shown[Role.VIEWER] == {"save": False, "approve": False, "readonly": True, "users": False}
    assert shown[Role.EDITOR] == {"save": True, "approve": False, "readonly": False, "users": False}
    assert shown[Role.APPROVER] == {
        "save": True,
        "approve": True,
        "readonly": False,
        "users": False,
    }
    assert shown[Role.ADMIN] == {"save": True, "approve": True, "readonly": False, "users": True}

    viewer = signed_in(client.base_url, "viewer-1")
    page = viewer.get(f"/review/posts/{post_id}")
    refused = viewer.post(
        f"/review/posts/{post_id}/approve", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403 and "needs the approver role" in refused.text


def test_the_post_page_measures_and_highlights_and_approving_sends_it(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client)
    http = signed_in(client.base_url, "approver-1")
    page = http.get(f"/review/posts/{post_id}").text
    assert re.search(
        r'data-counter class="counter" aria-live="polite">\d+ / 10000 characters<', page
    )
    assert '<span class="tok-link">https://news.example/2026/roles-1</span>' in page
    assert 'class="linkcard card-webhook" data-card="webhook"' in page  # drawn as it will be
    response = http.post(
        f"/review/posts/{post_id}/approve",
        data={
            "csrf_token": csrf_of(page),
            "revision": "1",
            "text": "A" * 5 + " https://news.example/2026/roles-1",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/review/posts/{post_id}?notice=approved"
    post = client.api("GET", f"/posts/{post_id}").json()
    assert post["text"] == "AAAAA https://news.example/2026/roles-1"
    assert post["approved_by"] == "approver-1"
    audit = http.get("/review/audit").text
    assert "approver-1" in audit and "<ins>AAAAA</ins>" in audit


def test_the_queue_groups_by_article_and_filters(
    client: Client, people: dict[Role, Person]
) -> None:
    first, second = pending_post(client, "queue-1"), pending_post(client, "queue-2")
    http = signed_in(client.base_url, "viewer-1")
    page = http.get("/review/queue").text
    assert page.count('<section class="group"') == 2
    assert page.index("queue-2") < page.index("queue-1")  # newest first
    one = http.get("/review/queue", params={"article": "queue-1"}).text
    assert f'data-post="{first}"' in one and f'data-post="{second}"' not in one
    rejected = http.get("/review/queue", params={"status": "rejected"}).text
    assert "No posts match." in rejected
    sent = http.get("/review/queue", params={"status": "sent", "channel": "wire"}).text
    assert sent.count('<section class="group"') == 2 and f'data-post="{first}"' not in sent
    by_channel = http.get("/review/queue", params={"status": "all", "channel": "wire"}).text
    assert f'data-post="{first}"' not in by_channel and "wire" in by_channel


def test_the_article_page_dashboard_and_logs_render(
    client: Client, people: dict[Role, Person]
) -> None:
    art = article("page-1", title="<script>alert(1)</script> Tides")
    assert client.send(envelope(art)).status_code == 202
    pending_post(client, "page-2")
    http = signed_in(client.base_url, "viewer-1")
    page = http.get("/review/articles/page-1")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert http.get("/review/articles/missing").status_code == 404
    dashboard = http.get("/review/").text
    assert re.search(r'data-count="pending_review">\d+<', dashboard)
    for path in ("/review/deliveries", "/review/audit", "/review/channels"):
        assert http.get(path).status_code == 200, path


def test_scheduling_reads_the_time_in_the_reviewers_time_zone(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client)
    http = signed_in(client.base_url, "approver-1")  # Europe/Paris
    page = http.get(f"/review/posts/{post_id}").text
    response = http.post(
        f"/review/posts/{post_id}/schedule",
        data={"csrf_token": csrf_of(page), "revision": "1", "at": "2030-07-01T09:30"},
    )
    assert response.status_code == 303
    post = client.api("GET", f"/posts/{post_id}").json()
    assert post["status"] == "approved"
    assert post["scheduled_at"] == "2030-07-01T07:30:00Z"  # 09:30 in Paris in summer
    shown = http.get(f"/review/posts/{post_id}").text
    assert "Scheduled for <strong>2030-07-01 09:30 CEST</strong>" in shown
    assert 'value="2030-07-01T09:30"' in shown


def test_a_time_outside_the_years_stored_is_refused_and_filters_on_such_days_are_ignored(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client)
    http = signed_in(client.base_url, "approver-1")  # Europe/Paris, an hour ahead of UTC
    page = http.get(f"/review/posts/{post_id}").text
    response = http.post(
        f"/review/posts/{post_id}/schedule",
        data={"csrf_token": csrf_of(page), "revision": "1", "at": "0001-01-01T00:30"},
    )
    assert response.status_code == 422
    assert "is not a date and time between 1970 and 2199" in response.text
    assert client.api("GET", f"/posts/{post_id}").json()["status"] == "pending_review"
    queue = http.get("/review/queue", params={"since": "0001-01-01", "until": "9999-12-31"})
    assert queue.status_code == 200
    assert f"/review/posts/{post_id}" in queue.text


def test_bulk_approve_and_reject_from_the_pages(client: Client, people: dict[Role, Person]) -> None:
    first, second = pending_post(client, "bulk-a"), pending_post(client, "bulk-b")
    third = pending_post(client, "bulk-c")
    client.api("POST", "/channels/newsroom-hook/pause", json={"reason": "hold"})
    http = signed_in(client.base_url, "approver-1")
    queue = http.get("/review/queue").text
    response = http.post(
        "/review/queue/approve",
        data={"csrf_token": csrf_of(queue), "ids": [str(first), str(second)]},
    )
    assert response.status_code == 303
    statuses = {p["id"]: p["status"] for p in client.posts()}
    assert statuses[first] == statuses[second] == "approved"
    assert statuses[third] == "pending_review"
    page = http.get(f"/review/posts/{third}").text
    rejected = http.post(
        f"/review/posts/{third}/reject", data={"csrf_token": csrf_of(page), "reason": "duplicate"}
    )
    assert rejected.status_code == 303
    post = client.api("GET", f"/posts/{third}").json()
    assert post["status"] == "rejected" and post["problem"] == "duplicate"
    again = http.post(f"/review/posts/{third}/approve", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409 and "a post that is rejected cannot be approved" in again.text
    client.api("POST", "/channels/newsroom-hook/resume")


def test_a_withdrawn_approval_shows_what_changed(
    client: Client, people: dict[Role, Person]
) -> None:
    client.api("POST", "/channels/newsroom-hook/pause", json={"reason": "hold"})
    post_id = pending_post(client, "diff-1", title="Council approves the crossing")
    http = signed_in(client.base_url, "approver-1")
    page = http.get(f"/review/posts/{post_id}").text
    http.post(
        f"/review/posts/{post_id}/approve", data={"csrf_token": csrf_of(page), "revision": "1"}
    )
    changed = article("diff-1", title="Council delays the crossing")
    assert client.send(envelope(changed, event="article.updated")).status_code == 202
    wait_until(lambda: client.api("GET", f"/posts/{post_id}").json()["approval_withdrawn"])
    shown = http.get(f"/review/posts/{post_id}").text
    assert "The article changed after approver-1 approved this post" in shown
    assert (
        '<dt>title</dt><dd><span class="diff">Council <del>approves</del><ins>delays</ins>' in shown
    )
    assert "<dt>post text</dt>" in shown
    client.api("POST", "/channels/newsroom-hook/resume")


def test_the_article_page_shows_readers_share_counts(
    client: Client, people: dict[Role, Person]
) -> None:
    assert client.send(envelope(article("counted-1"))).status_code == 202
    for reader, button in enumerate(("x", "x", "telegram")):
        readers_address = {"X-Forwarded-For": f"198.51.100.{reader + 1}"}
        response = client.http.get(f"/share/counted-1/go/{button}", headers=readers_address)
        assert response.status_code == 303
    http = signed_in(client.base_url, "viewer-1")
    page = http.get("/review/articles/counted-1").text
    assert "<li>telegram: <strong>1</strong></li><li>x: <strong>2</strong></li>" in page


def test_admins_add_users_change_roles_and_pause_channels(
    client: Client, people: dict[Role, Person]
) -> None:
    admin = signed_in(client.base_url, "admin-1")
    page = admin.get("/review/users").text
    added = admin.post(
        "/review/users",
        data={
            "csrf_token": csrf_of(page),
            "username": "newbie",
            "password": "a long password",
            "role": "viewer",
            "timezone": "America/New_York",
        },
    )
    assert added.status_code == 303
    bad = admin.post(
        "/review/users",
        data={
            "csrf_token": csrf_of(page),
            "username": "other",
            "password": "a long password",
            "role": "viewer",
            "timezone": "Mars/Olympus",
        },
    )
    assert bad.status_code == 422 and "unknown time zone" in bad.text
    assert (
        signed_in(client.base_url, "newbie", "a long password").get("/review/").status_code == 200
    )
    admin.post("/review/users/newbie", data={"csrf_token": csrf_of(page), "role": "approver"})
    listed = client.api("GET", "/audit").json()
    assert ("admin-1", "change_user") in [(e["actor"], e["action"]) for e in listed]

    channels = admin.get("/review/channels").text
    paused = admin.post(
        "/review/channels/wire/pause", data={"csrf_token": csrf_of(channels), "reason": "a test"}
    )
    assert paused.status_code == 303
    state = {c["name"]: c for c in client.api("GET", "/channels").json()}["wire"]
    assert state["paused"] and state["reason"] == "the channel is paused: a test"
    admin.post("/review/channels/wire/resume", data={"csrf_token": csrf_of(channels)})
    assert not {c["name"]: c for c in client.api("GET", "/channels").json()}["wire"]["paused"]


def test_repeated_wrong_passwords_lock_that_username_for_a_while(
    client: Client, people: dict[Role, Person], runtime: Runtime
) -> None:
    from syndicate.users import create_user

    with runtime.factory.begin() as session:
        create_user(session, "guess-me", "the real password", Role.VIEWER)
    http = httpx.Client(base_url=client.base_url)

    def attempt(password: str) -> httpx.Response:
        form = http.get("/review/login")
        data = {"username": "guess-me", "password": password, "csrf_token": csrf_of(form.text)}
        return http.post("/review/login", data=data)

    assert [attempt(f"guess {n}").status_code for n in range(10)] == [401] * 10
    locked = attempt("the real password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 min." in locked.text
    assert "syndicate_session" not in locked.headers.get("set-cookie", "")
    # Other accounts are not affected.
    assert signed_in(client.base_url, "viewer-1").get("/review/").status_code == 200


def test_a_post_with_no_history_says_so_without_a_numbered_list(
    client: Client, people: dict[Role, Person]
) -> None:
    from tests.review.test_api_roles import pending_post

    post_id = pending_post(client, "quiet-1")
    page = signed_in(client.base_url, "viewer-1").get(f"/review/posts/{post_id}").text
    assert '<p class="history-empty">Nothing yet.</p>' in page
    assert "<li>Nothing yet.</li>" not in page


def test_the_schedule_form_names_its_time_zone_and_remembers_the_one_chosen(
    client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client, "zones-1")
    http = signed_in(client.base_url, "approver-1")  # Europe/Paris
    page = http.get(f"/review/posts/{post_id}").text
    assert "<option selected>Europe/Paris</option>" in page
    response = http.post(
        f"/review/posts/{post_id}/schedule",
        data={
            "csrf_token": csrf_of(page),
            "revision": "1",
            "at": "2030-07-01T09:30",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 303
    post = client.api("GET", f"/posts/{post_id}").json()
    assert post["scheduled_at"] == "2030-07-01T13:30:00Z"  # 09:30 in New York in summer
    shown = http.get(f"/review/posts/{post_id}").text
    assert "<option selected>America/New_York</option>" in shown  # remembered for this person
    assert "Scheduled for <strong>2030-07-01 09:30 EDT</strong>" in shown

    unknown = http.post(
        f"/review/posts/{post_id}/schedule",
        data={"csrf_token": csrf_of(shown), "at": "2030-07-01T09:30", "timezone": "Mars/Olympus"},
    )
    assert unknown.status_code == 422 and "is not a time zone" in unknown.text


def test_the_dashboard_shows_each_channel_s_day(
    client: Client, people: dict[Role, Person], receiver: Receiver
) -> None:
    art = article("today-1", syndication={"exclude_channels": ["newsroom-hook"]})
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: receiver.received("/wire"))
    http = signed_in(client.base_url, "viewer-1")

    def wire_sent() -> str | None:
        page = http.get("/review/").text
        row = re.search(r'<tr data-channel="wire">(.*?)</tr>', page, re.S)
        return row.group(1) if row and "<td data-sent>1</td>" in row.group(1) else None

    wire = wait_until(wire_sent)
    assert '<td class="note-text" data-health>ok</td>' in wire
    assert "nothing waiting" in wire
    hook = re.search(
        r'<tr data-channel="newsroom-hook">(.*?)</tr>', http.get("/review/").text, re.S
    )
    assert hook and "<td data-excluded>1 article</td>" in hook.group(1)

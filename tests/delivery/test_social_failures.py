"""X, LinkedIn, Facebook Pages and Threads when things go wrong, and when a post is taken
back: each platform's own rate-limit signal, a server error followed by success, a refused
token, an answer that never comes, and the documented delete call."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest

from syndicate.platforms.base import DeliveryError, Platform, Receipt
from tests.delivery.sent import sent
from tests.delivery.test_social_apis import adapter, answer, draft
from tests.fakes.receiver import Fault, Received, Receiver


def graph_error(code: int, message: str) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A"}}
    ).encode()


@dataclass
class Case:
    platform: str
    target: str
    # The call that creates the post: the one whose lost answer leaves it unknown.
    create_path: str
    rate_limit: Callable[[], Fault]
    # The wait the platform asked for, in seconds, give or take the clock.
    expected_wait: float
    refused_token: Fault
    server_error: Fault
    receipt: Receipt
    delete_method: str
    delete_path: str


def usage_header(minutes: int) -> dict[str, str]:
    usage = {"call_count": 100, "total_cputime": 12, "total_time": 30, "type": "pages"}
    value = {"1234567890": [{**usage, "estimated_time_to_regain_access": minutes}]}
    return {"X-Business-Use-Case-Usage": json.dumps(value)}


CASES = {
    "x": Case(
        "x",
        "",
        "/2/tweets",
        lambda: Fault(
            status=429,
            headers={"x-rate-limit-reset": str(int(time.time()) + 900)},
            body=b'{"title": "Too Many Requests", "status": 429, "type": "about:blank"}',
        ),
        900,
        Fault(status=401, body=b'{"title": "Unauthorized", "status": 401, "type": "about:blank"}'),
        Fault(status=503, body=b'{"title": "Service Unavailable", "status": 503}'),
        Receipt(201, "1860000000000000001"),
        "DELETE",
        "/2/tweets/1860000000000000001",
    ),
    "linkedin": Case(
        "linkedin",
        "urn:li:organization:42",
        "/rest/posts",
        lambda: Fault(
            status=429,
            headers={"Retry-After": "120"},
            body=b'{"status": 429, "message": "Resource level throttle limit reached"}',
        ),
        120,
        Fault(
            status=401,
            body=b'{"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}',
        ),
        Fault(status=500, body=b'{"message": "Internal Server Error", "status": 500}'),
        Receipt(201, "urn:li:share:7000000000000000001"),
        "DELETE",
        "/rest/posts/urn%3Ali%3Ashare%3A7000000000000000001",
    ),
    "facebook": Case(
        "facebook",
        "1234567890",
        "/1234567890/feed",
        lambda: Fault(
            status=400,
            headers=usage_header(5),
            body=graph_error(32, "(#32) Page request limit reached"),
        ),
        300,
        Fault(status=400, body=graph_error(190, "Error validating access token")),
        Fault(status=500, body=graph_error(2, "An unexpected error has occurred.")),
        Receipt(200, "1234567890_998877"),
        "DELETE",
        "/1234567890_998877?access_token=user-token",
    ),
    "threads": Case(
        "threads",
        "17841400000",
        "/17841400000/threads_publish",
        lambda: Fault(
            status=400,
            headers=usage_header(2),
            body=graph_error(613, "Calls to this api have exceeded the rate limit."),
        ),
        120,
        Fault(status=400, body=graph_error(190, "Invalid OAuth access token.")),
        Fault(status=500, body=graph_error(1, "An unknown error occurred")),
        Receipt(200, "media-1"),
        "DELETE",
        "/media-1?access_token=user-token",
    ),
}


def answer_with_deletes(request: Received) -> tuple[object, ...]:
    if request.method == "DELETE":
        if request.path == "/2/tweets/1860000000000000001":
            return 200, b'{"data": {"deleted": true}}'
        if request.path.startswith("/rest/posts/"):
            return 204, b""
        post_id = request.path.split("?")[0].lstrip("/")
        return 200, json.dumps({"success": True, "deleted_id": post_id}).encode()
    return answer(request)


@pytest.fixture(params=sorted(CASES))
def case(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Case, Receiver, Platform]]:
    spec = CASES[request.param]
    monkeypatch.setenv("TEST_SOCIAL_TOKEN", "user-token")
    server = Receiver(answer_with_deletes).start()
    platform = adapter(spec.platform, server, target=spec.target)
    platform.status_delays = (0,)  # type: ignore[attr-defined]  # Threads looks at once
    yield spec, server, platform
    server.stop()


def at_create(spec: Case, fault: Fault) -> Fault:
    """The same fault, met only by the call that creates the post."""
    fault.when = lambda r: r.path == spec.create_path
    return fault


def test_a_rate_limit_waits_as_long_as_the_platform_says(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, platform = case
    server.fail_next(at_create(spec, spec.rate_limit()))
    with pytest.raises(DeliveryError) as error:
        platform.send(draft(platform), "k")
    assert not error.value.permanent and not error.value.ambiguous
    assert error.value.retry_after is not None
    assert spec.expected_wait - 5 <= error.value.retry_after <= spec.expected_wait
    assert platform.send(draft(platform), "k").remote_id == spec.receipt.remote_id


def test_a_server_error_is_tried_again_and_then_goes_through(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, platform = case
    server.fail_next(at_create(spec, spec.server_error))
    with pytest.raises(DeliveryError) as error:
        platform.send(draft(platform), "k")
    assert not error.value.permanent and not error.value.ambiguous
    assert error.value.status_code == spec.server_error.status
    assert error.value.retry_after is None  # no wait was named: delivery's backoff decides
    assert platform.send(draft(platform), "k").remote_id == spec.receipt.remote_id
    creates = [r for r in server.received() if r.path == spec.create_path]
    assert len(creates) == 2


def test_a_refused_token_is_permanent_and_asks_for_new_credentials(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, platform = case
    server.fail_next(spec.refused_token)
    with pytest.raises(DeliveryError) as error:
        platform.send(draft(platform), "k")
    assert error.value.permanent and error.value.credentials
    assert len(server.received()) == 1  # nothing more was tried with a refused token


def test_an_answer_that_never_comes_after_sending_is_ambiguous(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, platform = case
    server.fail_next(at_create(spec, Fault(hang_seconds=2)))
    with pytest.raises(DeliveryError) as error:
        platform.send(draft(platform), "k")
    assert error.value.ambiguous and not error.value.permanent
    assert platform.finds_own_posts  # so delivery looks on the account instead of guessing


def test_a_post_is_deleted_with_the_documented_call(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, platform = case
    assert platform.can_delete
    platform.delete(sent(spec.receipt))
    (request,) = server.received()
    assert (request.method, request.path) == (spec.delete_method, spec.delete_path)
    if spec.platform == "x":
        assert request.headers["authorization"] == "Bearer user-token"
    if spec.platform == "linkedin":
        assert request.headers["linkedin-version"] == "202510"
        assert request.headers["x-restli-protocol-version"] == "2.0.0"


def test_a_lost_answer_before_threads_publishes_is_not_ambiguous(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_SOCIAL_TOKEN", "user-token")
    server = Receiver(answer_with_deletes).start()
    try:
        threads = adapter("threads", server, target="17841400000")
        server.fail_next(Fault(hang_seconds=2, when=lambda r: r.path == "/17841400000/threads"))
        with pytest.raises(DeliveryError) as error:
            threads.send(draft(threads), "k")
        assert not error.value.ambiguous and not error.value.permanent
        assert [r.path for r in server.received()] == ["/17841400000/threads"]
    finally:
        server.stop()


def test_a_deletion_the_platform_refuses_says_why(case: tuple[Case, Receiver, Platform]) -> None:
    spec, server, platform = case
    server.fail_next(spec.refused_token)
    with pytest.raises(DeliveryError) as error:
        platform.delete(sent(spec.receipt))
    assert error.value.permanent and error.value.credentials
    assert error.value.message
    form = parse_qs(server.received()[0].path.partition("?")[2])
    if spec.platform in ("facebook", "threads"):
        assert form["access_token"] == ["user-token"]

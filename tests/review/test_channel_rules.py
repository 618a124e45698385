"""Admins change a channel's routing rules from the review app or the API: the new rules
apply to the next article at once (in the worker too), a malformed rule is refused naming
its field, and the site file's rules come back on reset."""

from __future__ import annotations

import pytest

from syndicate.models import AuditEntry, Role
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.people import Person
from tests.pipeline.test_article_to_post import count, pending_post
from tests.pipeline.test_cms_controls import excluded_from, posts_composed
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def test_rules_set_through_the_api_route_the_next_article_and_reset_restores_the_file(
    client: Client, runtime: Runtime, people: dict[Role, Person]
) -> None:
    assert client.api("GET", "/channels/wire/rules").json()["sections"] == []
    put = client.api("PUT", "/channels/wire/rules", json={"sections": ["Politics"]})
    assert put.status_code == 200, put.text
    assert client.api("GET", "/channels/wire/rules").json()["sections"] == ["Politics"]

    assert client.send(envelope(article("ruled-1", section="City"))).status_code == 202
    wait_until(lambda: posts_composed(runtime, "ruled-1"))
    assert pending_post(client, "ruled-1", "wire") is None
    assert excluded_from(runtime, "ruled-1") == {
        "wire": "the channel's rules.sections: the section 'City' is not one of Politics"
    }

    assert client.api("DELETE", "/channels/wire/rules").status_code == 204
    assert client.send(envelope(article("ruled-2", section="City"))).status_code == 202
    wait_until(lambda: pending_post(client, "ruled-2", "wire"))
    assert count(runtime, AuditEntry, action="set_rules") == 1
    assert count(runtime, AuditEntry, action="reset_rules") == 1


def test_a_malformed_rule_is_refused_naming_its_field_and_nothing_is_saved(
    client: Client, runtime: Runtime, people: dict[Role, Person]
) -> None:
    bad = client.api("PUT", "/channels/wire/rules", json={"quiet_hours": "11pm-6am"})
    assert bad.status_code == 422
    assert "quiet_hours" in bad.text
    assert client.api("PUT", "/channels/nope/rules", json={}).status_code == 404

    admin = signed_in(client.base_url, "admin-1")
    page = admin.get("/review/channels/wire/rules")
    assert page.status_code == 200 and 'data-source="file"' in page.text
    form = {"csrf_token": csrf_of(page.text), "timezone": "Europe/Berlin"}
    refused = admin.post(
        "/review/channels/wire/rules", data={**form, "quiet_hours": "11pm-6am", "max_per_day": "x"}
    )
    assert refused.status_code == 422
    assert (
        "<strong>quiet_hours</strong>" in refused.text or "<strong>numbers</strong>" in refused.text
    )
    assert client.api("GET", "/channels/wire/rules").json()["quiet_hours"] == ""

    saved = admin.post(
        "/review/channels/wire/rules",
        data={
            **form,
            "quiet_hours": "23:00-06:30",
            "max_per_day": "12",
            "tags_none": "Sponsored, Ads",
        },
    )
    assert saved.status_code == 303
    stored = client.api("GET", "/channels/wire/rules").json()
    assert stored["quiet_hours"] == "23:00-06:30" and stored["max_per_day"] == 12
    assert stored["tags_none"] == ["Sponsored", "Ads"] and stored["timezone"] == "Europe/Berlin"
    shown = admin.get("/review/channels/wire/rules").text
    assert 'data-source="stored"' in shown and "admin-1" in shown

    viewer = signed_in(client.base_url, "viewer-1")
    viewer_page = viewer.get("/review/channels/wire/rules")
    assert viewer_page.status_code == 200 and "Save rules" not in viewer_page.text
    refused_viewer = viewer.post(
        "/review/channels/wire/rules", data={"csrf_token": csrf_of(viewer_page.text)}
    )
    assert refused_viewer.status_code == 403
    client.api("DELETE", "/channels/wire/rules")

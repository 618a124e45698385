"""What other servers send to the actors' inboxes. Every request must carry a valid HTTP
Signature by the very actor the activity names, or it is refused (401) with nothing stored.
Handled: `Follow` (accepted at once, or held for an admin), `Undo` of a follow, a like or a
boost, `Delete` of the sending actor (its follows dropped) or of its reply, `Like` and
`Announce` of an article, and `Create` of a `Note` replying to one (kept as plain text,
counted, never republished). Anything else is taken (202) and ignored."""

from __future__ import annotations

import html
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import nh3
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from syndicate.activitypub import deliveries
from syndicate.activitypub.actors import AS_CONTEXT, Actor, Addresses
from syndicate.activitypub.bounds import Bounds, InboxBudget, follow_refused, reaction_refused
from syndicate.activitypub.followers import follower_values
from syndicate.activitypub.hosts import host_of
from syndicate.activitypub.remote import KeyCache, KeysBusy, Remote
from syndicate.activitypub.signatures import Incoming, SignatureRefused, verify
from syndicate.db import insert_ignoring_conflicts, upsert
from syndicate.models import ApFollower, ApReaction, Article

MAX_ACTIVITY_BYTES = 256 * 1024
MAX_ADDRESS = 500
MAX_REPLY = 5000
REACTIONS = {"Like": "like", "Announce": "announce"}


class Refused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


@dataclass(frozen=True)
class Handled:
    what: str  # for the log and the answer: "accepted follow", "ignored Like", …
    deliveries: tuple[int, ...] = ()  # activities to send now


@dataclass(frozen=True)
class Inbox:
    factory: sessionmaker[Session]
    actors: dict[str, Actor]
    where: Addresses
    remote: Remote
    keys: KeyCache
    approve_followers: bool
    bounds: Bounds = field(default_factory=Bounds)
    budget: InboxBudget | None = None

    def receive(self, request: Incoming, now: datetime) -> Handled:
        activity = _activity(request.body)
        sender = _id_of(activity.get("actor"))
        try:
            key_id = verify(request, self.keys.lookup, now)
        except SignatureRefused as exc:
            raise Refused(401, str(exc)) from None
        except KeysBusy:
            busy = "too many senders' keys are being fetched; try again shortly"
            raise Refused(503, busy, retry_after=5) from None
        if sender is None or self.keys.owner(key_id) != sender:
            raise Refused(401, "the activity is not signed by the actor it names")
        self._spend(sender)
        with self.factory.begin() as session:
            deliveries.heard_from(session, sender)
        kind = activity.get("type")
        if kind == "Follow":
            return self._follow(activity, sender, now)
        if kind == "Undo" and isinstance(activity.get("object"), dict | str):
            return self._undo(activity, sender)
        if kind == "Delete" and _id_of(activity.get("object")) == sender:
            with self.factory.begin() as session:
                session.execute(delete(ApFollower).where(ApFollower.follower == sender))
                session.execute(delete(ApReaction).where(ApReaction.actor == sender))
            return Handled("dropped a deleted actor's follows")
        if kind == "Delete":
            gone = _id_of(activity.get("object"))
            with self.factory.begin() as session:
                session.execute(
                    delete(ApReaction).where(
                        ApReaction.actor == sender, ApReaction.activity == gone
                    )
                )
            return Handled("removed a deleted reply")
        if kind in REACTIONS:
            return self._react(REACTIONS[str(kind)], activity, sender, now)
        if kind == "Create" and isinstance(activity.get("object"), dict):
            return self._reply(activity["object"], sender, now)
        return Handled(f"ignored {str(kind)[:40]}")

    def _spend(self, sender: str) -> None:
        if self.budget is None:
            return
        wait = self.budget.spend(host_of(sender), time.time())
        if wait is not None:
            limit = self.budget.per_minute
            message = f"at most {limit} activities a minute are taken from one server"
            raise Refused(429, message, retry_after=wait)

    def _article(self, target: Any) -> str | None:
        """The id of our article an object names, or None."""
        address = _id_of(target)
        prefix = f"{self.where.base}/ap/articles/"
        if address is None or not address.startswith(prefix):
            return None
        return unquote(address.removeprefix(prefix)) or None

    def _react(self, kind: str, activity: dict[str, Any], sender: str, now: datetime) -> Handled:
        article_id = self._article(activity.get("object"))
        if article_id is None:
            return Handled(f"ignored a {kind} of something else")
        refused = self._keep(
            article_id, kind, sender, _id_of(activity.get("id")) or sender, "", "", now
        )
        return Handled(f"ignored a {kind}: {refused}" if refused else f"counted a {kind}")

    def _reply(self, note: dict[str, Any], sender: str, now: datetime) -> Handled:
        article_id = self._article(note.get("inReplyTo"))
        if note.get("type") != "Note" or article_id is None:
            return Handled("ignored a Create of something else")
        text = nh3.clean(str(note.get("content") or ""), tags=set())[:MAX_REPLY]
        url = _id_of(note.get("url")) or _id_of(note.get("id")) or ""
        refused = self._keep(
            article_id,
            "reply",
            sender,
            _id_of(note.get("id")) or url,
            html.unescape(text),
            url,
            now,
        )
        return Handled(f"ignored a reply: {refused}" if refused else "kept a reply")

    def _keep(
        self,
        article_id: str,
        kind: str,
        sender: str,
        activity: str,
        text: str,
        url: str,
        now: datetime,
    ) -> str | None:
        """Keep a reaction; why it was not kept, if it was not."""
        server = host_of(sender)
        with self.factory.begin() as session:
            if session.get(Article, article_id) is None:
                return "no such article"
            refused = reaction_refused(session, self.bounds, article_id, kind, sender, server)
            if refused is not None:
                return refused
            insert_ignoring_conflicts(
                session,
                ApReaction,
                [
                    {
                        "article_id": article_id,
                        "kind": kind,
                        "actor": sender,
                        "server": server,
                        "activity": activity,
                        "text": text,
                        "url": url,
                        "created_at": now,
                    }
                ],
            )
        return None

    def _ours(self, target: str | None) -> str | None:
        for name in self.actors:
            if target == self.where.actor(name):
                return name
        return None

    def _follow(self, activity: dict[str, Any], sender: str, now: datetime) -> Handled:
        name = self._ours(_id_of(activity.get("object")))
        if name is None:
            raise Refused(404, "no such actor here")
        server = host_of(sender)
        with self.factory() as session:
            refused = follow_refused(session, self.bounds, name, sender, server)
        if refused is not None:
            raise Refused(403, refused)
        follower = self.remote.document(sender)
        inbox = follower.get("inbox") if follower else None
        if not isinstance(inbox, str) or len(inbox) > MAX_ADDRESS:
            raise Refused(400, "the follower's actor document names no inbox")
        endpoints = follower.get("endpoints") if follower else None
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
        status = "pending" if self.approve_followers else "accepted"
        follow_id = str(activity.get("id") or "")[:MAX_ADDRESS]
        with self.factory.begin() as session:
            shared_inbox = shared if isinstance(shared, str) and len(shared) <= MAX_ADDRESS else ""
            values = follower_values(name, sender, inbox, shared_inbox, status, now, follow_id)
            session.execute(
                upsert(session, ApFollower)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["actor", "follower"],
                    set_={k: values[k] for k in ("inbox", "shared_inbox", "follow_id")},
                )
            )
            if status == "pending":
                return Handled("held a follow for an admin")
            accept = accept_of(self.where, name, activity, sender)
            delivery = deliveries.enqueue(session, name, inbox, accept, now)
        return Handled("accepted a follow", (delivery,))

    def _undo(self, activity: dict[str, Any], sender: str) -> Handled:
        undone = activity["object"]
        if isinstance(undone, dict) and undone.get("type") in REACTIONS:
            with self.factory.begin() as session:
                session.execute(
                    delete(ApReaction).where(
                        ApReaction.actor == sender,
                        ApReaction.kind == REACTIONS[str(undone["type"])],
                        ApReaction.activity == (_id_of(undone.get("id")) or sender),
                    )
                )
            return Handled("took back a reaction")
        if isinstance(undone, dict) and undone.get("type") not in (None, "Follow"):
            return Handled(f"ignored Undo of {str(undone.get('type'))[:40]}")
        with self.factory.begin() as session:
            found = delete(ApFollower).where(ApFollower.follower == sender)
            name = self._ours(_id_of(undone.get("object"))) if isinstance(undone, dict) else None
            if name is not None:
                found = found.where(ApFollower.actor == name)
            elif isinstance(undone, str):
                found = found.where(ApFollower.follow_id == undone)
            session.execute(found)
        return Handled("removed a follow")


def accept_of(where: Addresses, name: str, follow: dict[str, Any], follower: str) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{where.actor(name)}#accepts/{uuid.uuid4()}",
        "type": "Accept",
        "actor": where.actor(name),
        "object": {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow},
        "to": [follower],
    }


def _activity(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_ACTIVITY_BYTES:
        raise Refused(413, f"an activity is at most {MAX_ACTIVITY_BYTES} bytes")
    try:
        found = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(found, dict) or not isinstance(found.get("type"), str):
        raise Refused(400, "the body is not an activity (a JSON object with a type)")
    return found


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value[:MAX_ADDRESS]
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])[:MAX_ADDRESS]
    return None

"""After a post is out: edit it when its article changes, delete it when the article is
unpublished, and post the channel's first reply under it, where the platform allows and the
channel asks for it.

Each edit or delete is a `PostChange` row, written in the transaction that decides it. A worker
claims it like a delivery, writes a `Delivery` row for the call, calls the platform and settles
both. A change whose worker died goes back to be made again once its lease runs out; where the
platform can read the post back, that next attempt looks first, so nothing is applied twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate import channels
from syndicate.adapters import adapter
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy, Outcome, idempotency_key
from syndicate.http import make_session
from syndicate.models import (
    OPEN_CHANGES,
    Card,
    ChangeKind,
    ChangeStatus,
    Delivery,
    DeliveryOutcome,
    Post,
    PostChange,
    PostStatus,
    utcnow,
)
from syndicate.platforms.activitypub import Outbox
from syndicate.platforms.base import (
    DeliveryError,
    Draft,
    Platform,
    Receipt,
    SentPost,
    nothing_posted,
)
from syndicate.tokens import TokenVault

OUTCOMES = {
    ChangeKind.EDIT: DeliveryOutcome.EDITED,
    ChangeKind.DELETE: DeliveryOutcome.DELETED,
    ChangeKind.REPLY: DeliveryOutcome.REPLIED,
}
# How long a change waits while another change of the same post is being made.
QUEUED_BEHIND_SECONDS = 5.0
DELETED_PROBLEM = "deleted from the platform: the article was unpublished"


def request_edit(session: Session, post: Post) -> PostChange | None:
    """Decide to carry the post's current text to the platform. A waiting edit already will
    (it reads the text when it is made), and nothing is edited once a delete is decided."""
    waiting = _open_changes(session, post.id)
    if any(c.kind == ChangeKind.DELETE for c in waiting):
        return None
    if any(c.kind == ChangeKind.EDIT and c.status == ChangeStatus.PENDING for c in waiting):
        return None
    return _add(session, post, ChangeKind.EDIT)


def request_delete(session: Session, post: Post, now: datetime) -> PostChange | None:
    """Decide to take the post down; an edit not yet begun is dropped in its favour."""
    waiting = _open_changes(session, post.id)
    for change in waiting:
        if change.kind == ChangeKind.EDIT and change.status == ChangeStatus.PENDING:
            change.status, change.finished_at = ChangeStatus.SUPERSEDED, now
    if any(c.kind == ChangeKind.DELETE for c in waiting):
        return None
    return _add(session, post, ChangeKind.DELETE)


def _open_changes(session: Session, post_id: int) -> list[PostChange]:
    return list(
        session.scalars(
            select(PostChange).where(
                PostChange.post_id == post_id, PostChange.status.in_(OPEN_CHANGES)
            )
        )
    )


def _add(session: Session, post: Post, kind: ChangeKind) -> PostChange:
    change = PostChange(post_id=post.id, kind=kind, status=ChangeStatus.PENDING, attempts=0)
    session.add(change)
    session.flush()
    return change


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    kind: str
    channel: ChannelConfig
    sent: SentPost
    draft: Draft
    look_first: bool


def apply(
    factory: sessionmaker[Session],
    change_id: int,
    config: SyndicateConfig,
    policy: DeliveryPolicy,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
    outbox: Outbox | None = None,
) -> Outcome:
    """Make the change if it is waiting and due; safe to call twice, concurrently or not."""
    with factory.begin() as session:
        claimed = _claim(session, change_id, config, now)
    if isinstance(claimed, Outcome):
        return claimed
    started = time.monotonic()
    platform = adapter(claimed.channel, http(), TokenVault(factory), outbox)
    receipt = None
    try:
        if claimed.kind == ChangeKind.REPLY:
            receipt, made_before = _reply_once(platform, claimed)
        else:
            made_before = claimed.look_first and _made_before(platform, claimed)
            if not made_before:
                receipt = _call(platform, claimed)
    except DeliveryError as error:
        if claimed.kind == ChangeKind.DELETE and platform.already_gone(error):
            return _settle(factory, change_id, claimed, started, "the post was already gone")
        return _settle_failure(factory, change_id, claimed, error, started, policy)
    note = "an earlier attempt had made it" if made_before else ""
    if receipt is not None and claimed.kind != ChangeKind.REPLY:
        note = "deleted and posted again with the new text"
    return _settle(factory, change_id, claimed, started, note, receipt)


def _reply_once(platform: Platform, claimed: _Claimed) -> tuple[Receipt, bool]:
    """Post the reply, unless an attempt whose answer was lost posted it: then its receipt,
    found on the platform. Where sends are idempotent it is made again under the same key."""
    if claimed.look_first and not platform.idempotent_sends:
        if not platform.finds_own_replies:
            raise DeliveryError(
                "an earlier attempt may have posted this reply and the platform cannot be "
                "asked; look under the post before trying again",
                permanent=True,
            )
        with nothing_posted():
            found = platform.find_reply(claimed.sent, claimed.draft)
        if found is not None:
            return found, True
    return platform.reply(claimed.sent, claimed.draft, claimed.sent.change_key), False


def _made_before(platform: Platform, claimed: _Claimed) -> bool:
    """Whether an attempt whose answer was lost made the change after all."""
    if not platform.reads_posts:
        return False  # made again: an edit to the same text, or a delete of a deleted post
    shown = platform.shows(claimed.sent, claimed.draft)
    if claimed.kind == ChangeKind.DELETE:
        return shown is None
    if shown is None:
        raise DeliveryError("the post is no longer on the platform", permanent=True)
    return shown


def _call(platform: Platform, claimed: _Claimed) -> Receipt | None:
    """Make the edit or the delete; a post sent again in place of the old one comes back as
    its receipt."""
    if claimed.kind == ChangeKind.DELETE:
        if not platform.can_delete:
            raise DeliveryError(f"{platform.name} posts cannot be deleted", permanent=True)
        platform.delete(claimed.sent)
    elif platform.can_edit:
        platform.edit(claimed.sent, claimed.draft)
    elif claimed.channel.recreate_on_update:
        return _recreate(platform, claimed)
    else:
        raise DeliveryError(f"{platform.name} posts cannot be edited", permanent=True)
    return None


def _recreate(platform: Platform, claimed: _Claimed) -> Receipt:
    """Delete the post and send the new text under the change's own key. Made again after a
    lost answer, the delete finds nothing and the send finds the post it made (the platform's
    sends are idempotent by key), so there is still one post."""
    try:
        platform.delete(claimed.sent)
    except DeliveryError as error:
        if not platform.already_gone(error):
            raise
    return platform.send(claimed.draft, claimed.sent.change_key)


def _claim(
    session: Session, change_id: int, config: SyndicateConfig, now: datetime
) -> _Claimed | Outcome:
    change = session.get(PostChange, change_id)
    if change is None:
        return Outcome("skipped")
    # One change of a post at a time: the post's row lock orders them.
    post = session.scalars(select(Post).where(Post.id == change.post_id).with_for_update()).one()
    session.refresh(change)
    if change.status != ChangeStatus.PENDING:
        return Outcome("skipped")
    if change.next_attempt_at is not None and change.next_attempt_at > now:
        return Outcome("skipped")
    if post.status != PostStatus.SENT:
        change.status, change.finished_at = ChangeStatus.SUPERSEDED, now
        return Outcome("skipped")
    busy = session.scalar(
        select(func.count()).where(
            PostChange.post_id == post.id, PostChange.status == ChangeStatus.WORKING
        )
    )
    if busy:
        return Outcome("waiting", retry_in=QUEUED_BEHIND_SECONDS)
    if channels.paused_because(session, post.channel):
        return Outcome("paused")
    channel = config.channel(post.channel)
    if channel is None or not channel.enabled:
        change.status, change.finished_at = ChangeStatus.FAILED, now
        change.error = f"channel {post.channel!r} is not configured"
        return Outcome(ChangeStatus.FAILED)
    parent = _parent_of(session, change) if change.kind == ChangeKind.REPLY else None
    if isinstance(parent, Outcome):
        return parent
    change.status, change.claimed_at = ChangeStatus.WORKING, now
    change.attempts += 1
    number = session.scalar(select(func.count()).where(Delivery.post_id == post.id)) or 0
    delivery = Delivery(
        post_id=post.id,
        attempt=number + 1,
        action=change.kind,
        change_id=change.id,
        outcome=DeliveryOutcome.SENDING,
        started_at=now,
    )
    session.add(delivery)
    session.flush()
    post_key = idempotency_key(post)
    receipt = parent or Receipt(200, post.remote_id, post.remote_url)
    if change.kind == ChangeKind.REPLY:
        draft = Draft(change.text or str(post.extras.get("first_reply", "")), post.link, {})
    else:
        draft = Draft(post.text, post.link, dict(post.extras), _thumbnail(session, post, channel))
    change_key = f"{post_key}-{change.kind}-{change.id}"
    return _Claimed(
        delivery.id,
        change.kind,
        channel,
        SentPost(receipt, post_key, change_key, draft),
        draft,
        change.look_first,
    )


def _parent_of(session: Session, change: PostChange) -> Receipt | Outcome | None:
    """What a reply answers: the reply before it in the thread (None: the post itself), or an
    outcome saying to wait for it, or that it failed."""
    if change.position <= 1:
        return None
    before = session.scalars(
        select(PostChange).where(
            PostChange.post_id == change.post_id,
            PostChange.kind == ChangeKind.REPLY,
            PostChange.position == change.position - 1,
        )
    ).first()
    if before is None:
        return None
    if before.status == ChangeStatus.FAILED:
        change.status, change.finished_at = ChangeStatus.FAILED, utcnow()
        change.error = "the reply before it in the thread did not go out"
        return Outcome(ChangeStatus.FAILED)
    made = session.scalars(
        select(Delivery).where(
            Delivery.change_id == before.id, Delivery.outcome == DeliveryOutcome.REPLIED
        )
    ).first()
    if before.status != ChangeStatus.DONE or made is None:
        return Outcome("waiting", retry_in=QUEUED_BEHIND_SECONDS)
    return Receipt(200, made.remote_id, made.remote_url)


def _thumbnail(session: Session, post: Post, channel: ChannelConfig) -> tuple[bytes, str] | None:
    """The share image, for a post that may be sent again in place of the old one."""
    if not channel.recreate_on_update:
        return None
    card = session.get(Card, post.article_id)
    return (card.image, card.image_type) if card and card.image else None


def _settle(
    factory: sessionmaker[Session],
    change_id: int,
    claimed: _Claimed,
    started: float,
    note: str,
    receipt: Receipt | None = None,
) -> Outcome:
    finished = utcnow()
    with factory.begin() as session:
        change = session.get_one(PostChange, change_id)
        post = session.get_one(Post, change.post_id)
        delivery = session.get_one(Delivery, claimed.delivery_id)
        delivery.outcome = OUTCOMES[ChangeKind(claimed.kind)]
        delivery.error = note
        delivery.latency_ms = int((time.monotonic() - started) * 1000)
        delivery.finished_at = finished
        change.status, change.error, change.finished_at = ChangeStatus.DONE, "", finished
        if claimed.kind == ChangeKind.REPLY:
            if receipt is not None:  # the reply's own address; the post keeps its own
                delivery.status_code = receipt.status_code
                delivery.remote_id, delivery.remote_url = receipt.remote_id, receipt.url
            following = session.scalars(
                select(PostChange.id).where(
                    PostChange.post_id == post.id,
                    PostChange.kind == ChangeKind.REPLY,
                    PostChange.position == change.position + 1,
                    PostChange.status == ChangeStatus.PENDING,
                )
            ).first()
            return Outcome(delivery.outcome, changes=(following,) if following else ())
        edit = claimed.kind == ChangeKind.EDIT
        if receipt is not None:
            delivery.status_code = receipt.status_code
            delivery.remote_id, delivery.remote_url = receipt.remote_id, receipt.url
            post.remote_id, post.remote_url = receipt.remote_id, receipt.url
        if edit:
            post.problem = ""
        else:
            post.status, post.problem = PostStatus.DELETED, DELETED_PROBLEM
        return Outcome(delivery.outcome)


def _settle_failure(
    factory: sessionmaker[Session],
    change_id: int,
    claimed: _Claimed,
    error: DeliveryError,
    started: float,
    policy: DeliveryPolicy,
) -> Outcome:
    finished = utcnow()
    doing = f"the {claimed.kind}"
    with factory.begin() as session:
        change = session.get_one(PostChange, change_id)
        post = session.get_one(Post, change.post_id)
        delivery = session.get_one(Delivery, claimed.delivery_id)
        delivery.status_code, delivery.error = error.status_code, error.message
        delivery.latency_ms = int((time.monotonic() - started) * 1000)
        delivery.finished_at = finished
        change.error = error.message
        if error.credentials:
            reason = f"the platform refused the credentials: {error.message}"
            channels.pause(session, post.channel, reason, finished, needs_credentials=True)
            delivery.outcome, change.status = DeliveryOutcome.FAILED, ChangeStatus.PENDING
            post.problem = f"{doing} waits: {reason}"
            return Outcome("paused")
        wait = (
            error.retry_after if error.retry_after is not None else policy.backoff(change.attempts)
        )
        too_late = finished + timedelta(seconds=wait) > change.created_at + timedelta(
            seconds=policy.deadline_seconds
        )
        if error.permanent or change.attempts >= policy.max_attempts or too_late:
            delivery.outcome, change.status = DeliveryOutcome.FAILED, ChangeStatus.FAILED
            change.finished_at = finished
            post.problem = f"{doing} did not reach the platform: {error.message}"
            return Outcome(ChangeStatus.FAILED)
        delivery.outcome, change.status = DeliveryOutcome.RETRY, ChangeStatus.PENDING
        change.next_attempt_at = finished + timedelta(seconds=wait)
        # An attempt that got no answer may have been made: the next one looks first where it
        # can, so the platform sees one edit or one delete.
        change.look_first = change.look_first or error.ambiguous or error.status_code is None
        return Outcome("retry", retry_in=wait)


def changes_of(session: Session, post_id: int) -> list[PostChange]:
    """Every edit and delete decided for the post, newest first."""
    return list(
        session.scalars(
            select(PostChange).where(PostChange.post_id == post_id).order_by(PostChange.id.desc())
        )
    )


def due_changes(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Changes waiting to be made whose time has come: what a lost message would have made."""
    return list(
        session.scalars(
            select(PostChange.id)
            .where(
                PostChange.status == ChangeStatus.PENDING,
                or_(PostChange.next_attempt_at.is_(None), PostChange.next_attempt_at <= now),
            )
            .order_by(PostChange.id)
            .limit(limit)
        )
    )


def reconcile_stuck(session: Session, now: datetime, lease_seconds: int) -> list[int]:
    """Send changes left `working` past their lease (a worker died mid-call) back to be made
    again, looking first where the platform allows."""
    cutoff = now - timedelta(seconds=lease_seconds)
    stuck = list(
        session.scalars(
            select(PostChange).where(
                PostChange.status == ChangeStatus.WORKING, PostChange.claimed_at < cutoff
            )
        )
    )
    for change in stuck:
        change.status, change.look_first, change.next_attempt_at = ChangeStatus.PENDING, True, None
        change.error = "interrupted; it is made again, after a look where the platform allows"
        session.execute(
            update(Delivery)
            .where(Delivery.change_id == change.id, Delivery.outcome == DeliveryOutcome.SENDING)
            .values(outcome=DeliveryOutcome.RETRY, error=change.error, finished_at=now)
        )
    return [c.id for c in stuck]

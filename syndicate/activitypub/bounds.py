"""What other servers can make the inbox keep, and how fast: a follow, a like, a boost or a
reply costs a row, so every kind is capped for one server and for everyone together, and each
server may send so many signed activities a minute (counted in Redis, so every web process
agrees). A follow past a cap is refused; a reaction past one is taken and not kept."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import redis
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from syndicate.models import ApFollower, ApReaction
from syndicate.redis_keys import RedisKeys
from syndicate.settings import Settings

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Bounds:
    followers_per_server: int = 50_000
    followers: int = 1_000_000
    reactions_per_server: int = 1_000  # to one article
    reactions: int = 50_000  # to one article, from every server
    replies_per_actor: int = 20  # to one article

    @classmethod
    def from_settings(cls, settings: Settings) -> Bounds:
        return cls(
            followers_per_server=settings.activitypub_max_followers_per_server,
            followers=settings.activitypub_max_followers,
            reactions_per_server=settings.activitypub_max_reactions_per_server,
            reactions=settings.activitypub_max_reactions,
        )


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(ApFollower).where(*where)) or 0)


def follow_refused(
    session: Session, bounds: Bounds, actor: str, follower: str, server: str
) -> str | None:
    """Why a follow cannot be kept; None if it can (a follow already kept is renewed)."""
    kept = session.scalar(
        select(ApFollower.id).where(ApFollower.actor == actor, ApFollower.follower == follower)
    )
    if kept is not None:
        return None
    if _count(session, ApFollower.server == server) >= bounds.followers_per_server:
        return f"this site keeps at most {bounds.followers_per_server} followers from one server"
    if _count(session) >= bounds.followers:
        return f"this site keeps at most {bounds.followers} followers"
    return None


def reaction_refused(
    session: Session, bounds: Bounds, article_id: str, kind: str, sender: str, server: str
) -> str | None:
    """Why a reaction to an article is not kept; None if it is. A like or a boost counts once
    for each actor, whatever activity ids it sends them under."""

    def count(*where: ColumnElement[bool]) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(ApReaction)
                .where(ApReaction.article_id == article_id, *where)
            )
            or 0
        )

    if kind != "reply" and count(ApReaction.kind == kind, ApReaction.actor == sender):
        return f"the {kind} is counted already"
    if (
        kind == "reply"
        and count(ApReaction.kind == kind, ApReaction.actor == sender) >= bounds.replies_per_actor
    ):
        return f"at most {bounds.replies_per_actor} replies from one actor are kept"
    if count(ApReaction.server == server) >= bounds.reactions_per_server:
        return f"at most {bounds.reactions_per_server} reactions from one server are kept"
    if count() >= bounds.reactions:
        return f"at most {bounds.reactions} reactions to one article are kept"
    return None


class InboxBudget:
    """Signed activities a minute from each server."""

    def __init__(self, client: redis.Redis, keys: RedisKeys, per_minute: int) -> None:
        self.client, self.keys, self.per_minute = client, keys, per_minute

    def spend(self, server: str, now: float) -> int | None:
        """Take one activity from the server's budget: None, or the seconds until it has more.
        Redis being away lets the activity through (the caps above still hold)."""
        window = int(now // WINDOW_SECONDS)
        digest = hashlib.sha256(server.encode()).hexdigest()[:32]
        key = self.keys.inbox_budget(f"{digest}:{window}")
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, 2 * WINDOW_SECONDS)
            spent = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("inbox budget unavailable: %s", type(exc).__name__)
            return None
        if spent <= self.per_minute:
            return None
        return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))

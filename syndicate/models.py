"""Tables: articles, revisions, inbound deliveries, posts, delivery attempts, rendered output."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, defer, mapped_column, relationship

from syndicate.db import Base
from syndicate.secretbox import Sealed


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every database, always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class ArticleStatus(StrEnum):
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class PostStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    INVALID = "invalid"
    DELETED = "deleted"  # sent, then taken down from the platform after an unpublish
    NOT_SENT = "not_sent"  # its outcome was unknown, and a person found it is not there


# Posts whose text may still change and which can still be stopped.
UNSENT_STATUSES = (PostStatus.PENDING_REVIEW, PostStatus.APPROVED, PostStatus.INVALID)


class DeliveryOutcome(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    EDITED = "edited"
    DELETED = "deleted"
    REPLIED = "replied"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=ArticleStatus.PUBLISHED)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    # `content_html` made safe for feed readers, stored by the worker when the content changes
    # so that rebuilding a feed never sanitises the other articles in it again.
    feed_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    authors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    section: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_alt: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The CMS's own times of the newest version applied and of the unpublish applied since, so
    # that an older delivery arriving late (or replayed) never overwrites a newer one.
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source_unpublished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # `version` counts every change (publish, edit, unpublish); each pipeline step records
    # the version it last finished, so a sweeper can find work a lost message left undone.
    version: Mapped[int] = mapped_column(Integer, default=0)
    feeds_version: Mapped[int] = mapped_column(Integer, default=0)
    card_version: Mapped[int] = mapped_column(Integer, default=0)
    posts_version: Mapped[int] = mapped_column(Integer, default=0)
    # False for history brought in by `syndicate import` without --share: it is in the
    # feeds and has a card, but no social posts are ever composed for it.
    shareable: Mapped[bool] = mapped_column(Boolean, default=True)
    # The channels whose rules keep this article off them, and the rule that does.
    excluded_from: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The CMS's `syndication` object as sent (empty when it sent none), and its embargo.
    syndication: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a sweep last sent the article's unfinished work on again.
    swept_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    posts: Mapped[list[Post]] = relationship(back_populates="article")

    __table_args__ = (
        Index("ix_articles_status_published", "status", "published_at"),
        # Articles whose feeds have not caught up: few at any moment, found without a scan.
        Index(
            "ix_articles_feeds_behind",
            "changed_at",
            postgresql_where=text("feeds_version < version"),
            sqlite_where=text("feeds_version < version"),
        ),
    )


class ArticleRevision(Base):
    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("article_id", "number"),)


class InboundDelivery(Base):
    """One accepted webhook delivery, kept so a repeated delivery id gets the first answer."""

    __tablename__ = "inbound_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    article_id: Mapped[str] = mapped_column(String(128))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(63))
    # 0 for the post composed for the article; 1, 2, … for posts a person added (extra posts
    # and re-shares), which are never recomposed.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    platform: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text, default="")
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True)
    problem: Mapped[str] = mapped_column(Text, default="")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remote_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The article revision a reviewer approved, and who: an approval holds for that revision
    # only. When the article changes, the approval is withdrawn and `approved_revision` stays
    # so the reviewer can see what changed since.
    approved_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(100), default="")
    approval_withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # Attempts made before the last retry by hand: the retry budget counts from there.
    attempt_base: Mapped[int] = mapped_column(Integer, default=0)
    # The last attempt may have reached the platform: look for the post on the account before
    # sending it again.
    look_before_sending: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the platform's crawler found on the article page: its card and what it will miss.
    preflight: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    preflight_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    article: Mapped[Article] = relationship(back_populates="posts")
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="post", order_by="Delivery.attempt"
    )

    __table_args__ = (
        UniqueConstraint(
            "article_id", "channel", "sequence", name="uq_posts_article_id_channel_sequence"
        ),
    )


ALL_CHANNELS = "*"


class ChannelState(Base):
    """What operators and platforms have said about a channel: paused, and why. The row named
    `*` pauses every channel at once (the emergency stop)."""

    __tablename__ = "channel_states"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_credentials: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelHealth(Base):
    """The last of the regular credential checks of a channel: what it found, since when it has
    been failing, and when a sweep last handed it to a worker (so it is handed once)."""

    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(63), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(16), default="")  # ok, attention, unchecked
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChangeKind(StrEnum):
    EDIT = "edit"
    DELETE = "delete"
    # The channel's first reply (a link, context) to the post once it is live.
    REPLY = "reply"


class ChangeStatus(StrEnum):
    PENDING = "pending"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"
    # Overtaken before it was made: a delete replaces a waiting edit, or the post is gone.
    SUPERSEDED = "superseded"


OPEN_CHANGES = (ChangeStatus.PENDING, ChangeStatus.WORKING)


class PostChange(Base):
    """An edit, a delete or the first reply of a post already out, recorded when it is decided
    and settled once the platform has answered: what the sweeper finds again if its message is
    lost."""

    __tablename__ = "post_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ChangeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # An earlier attempt may have reached the platform: look at the post before changing it.
    look_first: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    # A reply's text and its place under the post: 1 answers the post, 2 answers 1, and so on
    # (the parts of a thread, then the first reply).
    text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    post: Mapped[Post] = relationship()

    __table_args__ = (Index("ix_post_changes_status_next", "status", "next_attempt_at"),)


class DeliveryAction(StrEnum):
    SEND = "send"
    EDIT = ChangeKind.EDIT.value
    DELETE = ChangeKind.DELETE.value
    REPLY = ChangeKind.REPLY.value


class Delivery(Base):
    """One call to a platform about a post (its send, or an edit or delete of it): written
    before the call, completed after it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16), default=DeliveryAction.SEND)
    change_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_changes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    outcome: Mapped[str] = mapped_column(String(16), default=DeliveryOutcome.SENDING)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    post: Mapped[Post] = relationship(back_populates="deliveries")

    __table_args__ = (UniqueConstraint("post_id", "attempt"),)


class PurgeStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Purge(Base):
    """Keys to purge from one edge cache: written before the purge is tried, settled after, so
    a purge a lost message left undone is found again."""

    __tablename__ = "purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cache: Mapped[str] = mapped_column(String(63))
    keys: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PurgeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_purges_status_next", "status", "next_attempt_at"),)


class Engagement(Base):
    """What a sent post had earned at one checkpoint after it went out (1 h, 6 h, 24 h, 7 d):
    written `pending` when the checkpoint comes, filled when the platform answers."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    checkpoint: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    likes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reposts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replies: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quotes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("post_id", "checkpoint", name="uq_engagement_post_id_checkpoint"),
        Index("ix_engagement_status_next", "status", "next_attempt_at"),
    )


class StoredRules(Base):
    """A channel's routing rules as an admin set them in the review app: they replace the
    site file's `[channels.rules]` for that channel until removed."""

    __tablename__ = "channel_rules"

    channel: Mapped[str] = mapped_column(String(63), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredChannel(Base):
    """A channel an admin added in the review app, the API or the command line (the site
    file's channels stay in the file). Its options are ChannelConfig's fields; its credentials
    (token, app password, webhook URL, refresh token, client secret) are one sealed JSON
    object, never stored in the clear."""

    __tablename__ = "channels"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    credentials: Mapped[str] = mapped_column(Sealed, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConnectAttempt(Base):
    """An admin's connection of an account, between the app sending them to the platform's
    consent page and the platform sending them back: found by the hash of its `state`, used
    once, and void after a few minutes."""

    __tablename__ = "connect_attempts"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(63))
    server: Mapped[str] = mapped_column(String(300), default="")
    code_verifier: Mapped[str] = mapped_column(Sealed, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthClient(Base):
    """The app's registration on a server that registers apps itself (Mastodon's
    POST /api/v1/apps), kept per server and redirect address so it is made once."""

    __tablename__ = "oauth_clients"

    server: Mapped[str] = mapped_column(String(300), primary_key=True)
    redirect_uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret: Mapped[str] = mapped_column(Sealed, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApActor(Base):
    """One of the newsroom's ActivityPub actors (the site, or an author): its key pair, the
    private half sealed."""

    __tablename__ = "ap_actors"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    private_key: Mapped[str] = mapped_column(Sealed)
    public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApFollower(Base):
    """A remote actor following one of ours: where to deliver to it (its shared inbox first),
    and whether the follow was accepted or waits for an admin."""

    __tablename__ = "ap_followers"
    __table_args__ = (UniqueConstraint("actor", "follower"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(30), index=True)
    follower: Mapped[str] = mapped_column(String(500))
    server: Mapped[str] = mapped_column(String(300), index=True)  # the follower's host
    inbox: Mapped[str] = mapped_column(String(500))
    shared_inbox: Mapped[str] = mapped_column(String(500), default="")
    follow_id: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="accepted")  # or "pending"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApRemoteKey(Base):
    """A remote actor's public key, fetched to verify its signatures, kept for a while."""

    __tablename__ = "ap_remote_keys"

    key_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    owner: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApObject(Base):
    """An article as the fediverse has it: which revision went out (Create, then Update),
    whether it was taken back (Delete), who was told of it, and the post or change that sent
    it last."""

    __tablename__ = "ap_objects"

    article_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="published")  # or "deleted"
    actors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The inboxes of accounts elsewhere it mentioned, which hear its Updates and Delete too.
    told: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_key: Mapped[str] = mapped_column(String(200), default="")


class ApReaction(Base):
    """What the fediverse did with an article: a like, a boost (Announce) or a reply, by whom;
    replies kept as plain text, never republished."""

    __tablename__ = "ap_reactions"
    __table_args__ = (
        UniqueConstraint("article_id", "kind", "actor", "activity"),
        Index("ix_ap_reactions_article_server", "article_id", "server"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # like, announce, reply
    actor: Mapped[str] = mapped_column(String(500))
    server: Mapped[str] = mapped_column(String(300))  # the actor's host
    # The Like or Announce activity's id, or the reply's own id.
    activity: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApHost(Base):
    """A server the actors deliver to: since when it has been failing. One that has failed for
    a week is dropped from delivery (its followers are kept) until it is heard from again."""

    __tablename__ = "ap_hosts"

    host: Mapped[str] = mapped_column(String(300), primary_key=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Pacing: the next request to the server goes no sooner than this.
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApDelivery(Base):
    """An activity on its way to one inbox: written before the request, settled after, found
    again by the sweep if a worker dies between."""

    __tablename__ = "ap_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(30))
    inbox: Mapped[str] = mapped_column(String(500))
    activity: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The article the activity is about (none for an Accept).
    article_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # next_attempt_at is a turn reserved at the server (pacing): the request goes then.
    paced: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # A worker died while sending to a receiver that cannot tell a repeat: a person decides.
    UNKNOWN = "unknown"


class Notification(Base):
    """One message to one `[[notifications]]` target: written when what it reports is found,
    before anything is sent, and unique per target and key, so it is never made twice."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(63))
    event: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("target", "key", name="uq_notifications_target_key"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_target_event_created", "target", "event", "created_at"),
    )


class Feed(Base):
    """A feed scope: the whole site, or one tag, author or section."""

    __tablename__ = "feeds"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)  # "site", "tags/<slug>"
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    # A change bumps `generation`; a rebuild records the generation it rendered, so a burst
    # of changes costs one rebuild rather than one each.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    built_generation: Mapped[int] = mapped_column(Integer, default=0)
    # Every article entering the scope takes the next number; archive pages are fixed runs
    # of these numbers, so a new article never changes an archive page.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedArchive(Base):
    """One full page of a scope's history (an RFC 5005 archive document)."""

    __tablename__ = "feed_archives"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    built_generation: Mapped[int] = mapped_column(Integer, default=0)


class FeedTombstone(Base):
    """An entry an unpublish took out of a feed scope, announced in its Atom feed for a while
    (RFC 6721) so that readers who keep entries can drop theirs."""

    __tablename__ = "feed_tombstones"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_feed_tombstones_scope_deleted", "scope", "deleted_at"),)


class FeedMembership(Base):
    """That an article is in a feed scope, with the date the scope is ordered by."""

    __tablename__ = "feed_memberships"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_feed_memberships_scope_published", "scope", "published_at"),
        Index("ix_feed_memberships_scope_seq", "scope", "seq"),
        Index("ix_feed_memberships_article", "article_id"),
    )


class FeedDocument(Base):
    """A rendered feed, served byte for byte (and pre-compressed): requests never render."""

    __tablename__ = "feed_documents"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(80), default="")
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    body_gzip: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    etag: Mapped[str] = mapped_column(String(80), default="")
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Card(Base):
    """An article's rendered Open Graph card: the standalone page and the head snippet."""

    __tablename__ = "cards"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    page_html: Mapped[str] = mapped_column(Text)
    meta_html: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(80))
    # The share image, addressed by the hash of its bytes so its URL changes with it.
    image: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    image_type: Mapped[str] = mapped_column(String(40), default="")
    image_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelToken(Base):
    """A channel's OAuth 2.0 user tokens. Refresh tokens are single-use and rotate on every
    refresh, so the newest pair lives here rather than in the environment; both are stored
    encrypted."""

    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(63), primary_key=True)
    access_token: Mapped[str] = mapped_column(Sealed, default="")
    refresh_token: Mapped[str] = mapped_column(Sealed, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ShareCount(Base):
    """How often readers used each share button on an article: a plain counter, nothing else."""

    __tablename__ = "share_counts"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    button: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Role(StrEnum):
    """What a person may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER)
    # IANA time zone the person reads and enters times in; stored times are UTC.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A token for automation, acting with its user's role until revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """Who did what to which post or channel, and when; edits keep their before and after."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    post_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    article_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SiteDetails(Base):
    """The site's details as set in the browser (one row); the site file wins where it sets
    one."""

    __tablename__ = "site_details"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(35), default="")
    link: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    # As for articles: every feed is rendered again until feeds_version catches up.
    version: Mapped[int] = mapped_column(Integer, default=0)
    feeds_version: Mapped[int] = mapped_column(Integer, default=0)


# An article without its body (as received, and as made safe for feeds), for what never shows
# it: cards and posts; read in an open session, it still comes, by a query of its own. (Here at
# the end: a loader option needs every mapped class defined.)
BODY_UNREAD = (defer(Article.content_html), defer(Article.feed_html))

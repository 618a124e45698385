"""What the review pages show about a post, gathered from the database in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate import audit, channels
from syndicate.compose import CompositionError
from syndicate.models import (
    Article,
    ArticleRevision,
    AuditEntry,
    Card,
    Delivery,
    Post,
)
from syndicate.preview import Preview, preview
from syndicate.runtime import Runtime
from syndicate.web.ui.display import Change, Piece, article_changes, word_diff


@dataclass(frozen=True)
class LinkCard:
    title: str
    description: str
    domain: str
    image: str | None


@dataclass
class PostView:
    post: Post
    article: Article
    measured: Preview | None
    problems: list[str] = field(default_factory=list)
    paused: str | None = None
    needs_credentials: bool = False
    card: LinkCard | None = None
    changes: list[Change] = field(default_factory=list)
    text_diff: list[Piece] = field(default_factory=list)

    @property
    def can_approve(self) -> bool:
        return bool(self.measured and self.measured.valid) and self.post.status in (
            "pending_review",
            "approved",
        )


def image_path(card: Card | None, article_id: str) -> str | None:
    if card is None or not card.image:
        return None
    extension = "png" if card.image_type == "image/png" else "jpg"
    return f"/cards/{article_id}/image-{card.image_hash}.{extension}"


def link_card(session: Session, article: Article) -> LinkCard:
    card = session.get(Card, article.id)
    return LinkCard(
        title=article.title,
        description=article.summary,
        domain=urlsplit(article.url).hostname or "",
        image=image_path(card, article.id),
    )


def _revision_data(session: Session, article_id: str, number: int) -> dict[str, object]:
    found = session.scalars(
        select(ArticleRevision.data).where(
            ArticleRevision.article_id == article_id, ArticleRevision.number == number
        )
    ).one_or_none()
    return found or {}


def _approved_text(session: Session, post_id: int) -> str | None:
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.post_id == post_id, AuditEntry.action.in_(["approve", "schedule"]))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).one_or_none()
    return str(entry.detail.get("text", "")) if entry else None


def post_view(session: Session, runtime: Runtime, post: Post) -> PostView:
    article = post.article
    channel = runtime.config.channel(post.channel)
    measured, problems = None, []
    if channel is None:
        problems.append(f"channel {post.channel!r} is no longer configured")
    else:
        try:
            measured = preview(article, channel, runtime.templates, post.text)
            problems.extend(measured.problems)
        except CompositionError as exc:
            problems.append(str(exc))
    view = PostView(post, article, measured, problems)
    view.paused = channels.paused_because(session, post.channel)
    state = channels.states(session).get(post.channel)
    view.needs_credentials = bool(state and state.needs_credentials)
    view.card = link_card(session, article)
    if post.approval_withdrawn and post.approved_revision:
        before = _revision_data(session, article.id, post.approved_revision)
        after = _revision_data(session, article.id, article.revision)
        view.changes = article_changes(before, after)
        approved_text = _approved_text(session, post.id)
        if approved_text is not None and approved_text != post.text:
            view.text_diff = word_diff(approved_text, post.text)
    return view


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    kind: str  # "delivery" or "audit"
    entry: Delivery | AuditEntry


def history(session: Session, post: Post) -> list[HistoryItem]:
    items = [HistoryItem(d.started_at, "delivery", d) for d in post.deliveries]
    items += [HistoryItem(e.at, "audit", e) for e in audit.entries(session, post_id=post.id)]
    return sorted(items, key=lambda item: item.at, reverse=True)

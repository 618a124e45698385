"""Articles on the fediverse: each article an ActivityStreams `Article` (its title, summary,
sanitised content, link, dates, authors, hashtags and share image with its alt text), sent
as a `Create` to every follower's inbox when it is published, an `Update` of the same object
when it changes, and a `Delete` with a `Tombstone` when it is unpublished. The fediverse is a
channel (`platform = "activitypub"`): which articles go, when, and with what summary follows
its rules, the CMS's controls and the review queue like any channel's posts; sending the post
writes the activity here. An inbox is sent each activity once, however many of its
users follow, and a server that has not answered for a week is skipped until it is heard
from again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.activitypub import deliveries, mentions
from syndicate.activitypub.actors import AS_CONTEXT, PUBLIC, Addresses, actors_of
from syndicate.activitypub.hosts import host_of
from syndicate.config import SiteConfig
from syndicate.feeds.scopes import KIND_PREFIX
from syndicate.models import ApFollower, ApHost, ApObject, Article, ArticleStatus, Card
from syndicate.slugs import slugify

CONTEXT: list[Any] = [AS_CONTEXT, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}]


def object_id(where: Addresses, article_id: str) -> str:
    return f"{where.base}/ap/articles/{quote(article_id, safe='')}"


def senders(site: SiteConfig, article: Article) -> list[str]:
    """The actors an article goes out from: the site's, and each of its authors' that has one."""
    authors = site.activitypub.authors
    named = [authors[a["name"]] for a in article.authors if a.get("name") in authors]
    return [site.activitypub.username, *dict.fromkeys(named)]


def article_object(
    article: Article, site: SiteConfig, where: Addresses, card: Card | None
) -> dict[str, Any]:
    authors = senders(site, article)[1:]
    attributed = [where.actor(n) for n in authors] or [where.actor(site.activitypub.username)]
    found: dict[str, Any] = {
        "@context": CONTEXT,
        "id": object_id(where, article.id),
        "type": "Article",
        "name": article.title,
        "summary": article.summary,
        "content": nh3.clean(article.content_html or f"<p>{nh3.clean_text(article.summary)}</p>"),
        "mediaType": "text/html",
        "url": article.url,
        "published": _iso(article.published_at),
        "attributedTo": attributed[0] if len(attributed) == 1 else attributed,
        "to": [PUBLIC],
        "cc": [f"{where.actor(site.activitypub.username)}/followers"],
        "tag": [
            {
                "type": "Hashtag",
                "name": f"#{slugify(tag).replace('-', '')}",
                "href": f"{where.base}/feeds/{KIND_PREFIX['tag']}/{slugify(tag)}/atom.xml",
            }
            for tag in article.tags
            if slugify(tag)
        ],
    }
    if article.updated_at:
        found["updated"] = _iso(article.updated_at)
    if article.language:
        found["contentMap"] = {article.language: found["content"]}
    if card is not None and card.image:
        extension = "png" if card.image_type == "image/png" else "jpg"
        card_page = f"{where.base}/cards/{quote(article.id, safe='')}"
        image = {
            "type": "Image",
            "mediaType": card.image_type,
            "url": f"{card_page}/image-{card.image_hash}.{extension}",
            "name": article.image_alt or article.title,
        }
        found["image"], found["attachment"] = image, [image]
    return found


def tombstone(where: Addresses, article_id: str, now: datetime) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": object_id(where, article_id),
        "type": "Tombstone",
        "formerType": "Article",
        "deleted": _iso(now),
    }


def publish(
    session: Session,
    article_id: str,
    summary: str,
    key: str,
    site: SiteConfig,
    where: Addresses,
    now: datetime,
    elsewhere: Sequence[mentions.Mentioned] = (),
) -> list[int]:
    """The article to every follower's inbox, with `summary` as the desk wrote it: a `Create`,
    or an `Update` of the same object once it is out; a delivery per inbox, their ids. Nothing
    new when `key` (the post's, or its change's) already went out. `elsewhere`: the authors'
    accounts on other servers, mentioned and told."""
    article = _article_on_the_fediverse(session, article_id, site)
    row = session.get(ApObject, article_id, with_for_update=True)
    if row is not None and row.change_key == key:
        return []
    kind = "Update" if row is not None and row.state == "published" else "Create"
    body = article_object(article, site, where, session.get(Card, article_id))
    body["summary"] = summary
    if kind == "Update":
        body["updated"] = _iso(now)  # servers take an Update only if it is newer
    mentioned = [*mentions.local(article, site, where), *elsewhere]
    if mentioned:
        body["tag"] = [*body["tag"], *mentions.tags(mentioned)]
        body["cc"] = [*body["cc"], *dict.fromkeys(m.actor for m in mentioned)]
    names = senders(site, article)
    # Whoever heard of the article before hears of its change, mentioned now or not.
    earlier = list(row.told) if row is not None and row.state == "published" else []
    told = list(dict.fromkeys([*earlier, *(m.inbox for m in elsewhere)]))
    made = _to_followers(session, kind, body, names, where, now, article_id, told)
    if row is None:
        row = ApObject(article_id=article_id)
        session.add(row)
    row.revision, row.actors, row.state = article.revision, names, "published"
    row.told, row.updated_at, row.change_key = told, now, key
    return made


def retract(
    session: Session, article_id: str, key: str, where: Addresses, now: datetime
) -> list[int]:
    """A `Delete` of the article, from every actor that sent it, to their followers and to
    the accounts elsewhere it mentioned; nothing when it is not out."""
    row = session.get(ApObject, article_id, with_for_update=True)
    if row is None or row.state != "published":
        return []
    made = _to_followers(
        session,
        "Delete",
        tombstone(where, article_id, now),
        list(row.actors),
        where,
        now,
        article_id,
        list(row.told),
    )
    row.state, row.updated_at, row.change_key = "deleted", now, key
    return made


def _article_on_the_fediverse(session: Session, article_id: str, site: SiteConfig) -> Article:
    if not actors_of(site):
        raise NotOnTheFediverse("the site is not on the fediverse: [site.activitypub] is off")
    article = session.get(Article, article_id)
    if article is None or article.status != ArticleStatus.PUBLISHED:
        raise NotOnTheFediverse(f"article {article_id!r} is not published")
    return article


class NotOnTheFediverse(Exception):
    """The article cannot go out: the site has no actors, or the article is not published."""


def _to_followers(
    session: Session,
    kind: str,
    body: dict[str, Any],
    names: list[str],
    where: Addresses,
    now: datetime,
    article_id: str,
    told: Sequence[str] = (),
) -> list[int]:
    """A delivery of the activity from each actor to each of its followers' inboxes; the
    inboxes in `told` (the people it mentions) hear it once, from the first actor."""
    made = []
    stamp = int(now.timestamp() * 1000)
    extra = [i for i in dict.fromkeys(told) if i != where.shared_inbox]
    for name in names:
        activity = {
            "@context": CONTEXT,
            "id": f"{body['id']}#{kind.lower()}-{stamp}-{name}",
            "type": kind,
            "actor": where.actor(name),
            "published": _iso(now),
            "to": [PUBLIC],
            "cc": [f"{where.actor(name)}/followers", *body.get("cc", [])[1:]],
            "object": body,
        }
        reached = inboxes(session, name)
        for inbox in [*reached, *(i for i in extra if i not in reached)]:
            made.append(deliveries.enqueue(session, name, inbox, activity, now, article_id))
        extra = []
    return made


def inboxes(session: Session, actor: str) -> list[str]:
    """Where the actor's accepted followers are reached: each server's shared inbox once, or
    a follower's own inbox where its server has none."""
    rows = session.execute(
        select(ApFollower.shared_inbox, ApFollower.inbox).where(
            ApFollower.actor == actor, ApFollower.status == "accepted"
        )
    ).all()
    dropped = set(session.scalars(select(ApHost.host).where(ApHost.dropped.is_(True))))
    found = {shared or own for shared, own in rows}
    return sorted(inbox for inbox in found if host_of(inbox) not in dropped)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

"""The fediverse channel's outbox: a post sent (or edited, or deleted) becomes the article's
`Create` (`Update`, `Delete`), written with a delivery per follower inbox in one transaction,
then handed to the workers that deliver them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from syndicate.activitypub import articles, mentions
from syndicate.activitypub.actors import Addresses
from syndicate.config import SiteConfig
from syndicate.models import ApObject, Article, utcnow
from syndicate.platforms.base import DeliveryError


class Outbox:
    def __init__(
        self,
        factory: sessionmaker[Session],
        site_of: Callable[[Session], SiteConfig],
        where: Addresses,
        dispatch: Callable[[list[int]], None],
        resolve: Callable[[str], mentions.Mentioned | None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.site_of = site_of
        self.where = where
        # Starts the deliveries once they are stored; one lost here is found by the sweep.
        self.dispatch = dispatch
        # Finds an author's account on another server (it is read there, so outside any
        # transaction).
        self.resolve = resolve
        self.clock = clock

    def publish(self, article_id: str, summary: str, key: str) -> str:
        with self.factory() as session:
            article = session.get(Article, article_id)
            out = session.get(ApObject, article_id)
            if out is not None and out.change_key == key:  # a repeat: nothing to look up or send
                return articles.object_id(self.where, article_id)
            named = mentions.accounts(article) if article is not None else []
        elsewhere = [found for account in named if (found := self.resolve(account))]
        try:
            with self.factory.begin() as session:
                made = articles.publish(
                    session,
                    article_id,
                    summary,
                    key,
                    self.site_of(session),
                    self.where,
                    self.clock(),
                    elsewhere,
                )
        except articles.NotOnTheFediverse as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        self.dispatch(made)
        return articles.object_id(self.where, article_id)

    def retract(self, article_id: str, key: str) -> None:
        with self.factory.begin() as session:
            made = articles.retract(session, article_id, key, self.where, self.clock())
        self.dispatch(made)

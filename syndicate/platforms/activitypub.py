"""The newsroom's own actors on the fediverse as a channel: the post is the article's summary
as its followers read it (the article itself, its title, content and image, travels with it).
Sending it writes the `Create` to the site's outbox, an edit an `Update` of the same object, a
delete a `Delete` with a `Tombstone`; the outbox delivers them to every follower's inbox."""

from __future__ import annotations

from typing import ClassVar, Protocol

from syndicate.platforms.base import DeliveryError, Draft, Limits, Platform, Receipt, SentPost


class Outbox(Protocol):
    """Where the fediverse channel's posts become activities for the followers' inboxes.
    `key` names the post or the change: a second call under one key writes nothing new."""

    def publish(self, article_id: str, summary: str, key: str) -> str:
        """A `Create` of the article (an `Update` once it is out); the object's id."""
        ...

    def retract(self, article_id: str, key: str) -> None:
        """A `Delete` of the article, replaced by a `Tombstone`."""
        ...


class ActivityPub(Platform):
    name = "activitypub"
    # Mastodon shows an Article's summary in full; longer text is the article's content.
    limits: ClassVar[Limits] = Limits(max_length=5000)
    can_edit = True
    can_delete = True
    link_travels_separately = True  # the object's `url`
    idempotent_sends = True  # by the post's key
    follows_articles = True

    outbox: Outbox | None = None

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        object_id = self._outbox().publish(_article_id(draft), draft.text, idempotency_key)
        return Receipt(status_code=202, remote_id=object_id, url=object_id)

    def edit(self, sent: SentPost, draft: Draft) -> None:
        self._outbox().publish(_article_id(sent.draft), draft.text, sent.change_key)

    def delete(self, sent: SentPost) -> None:
        self._outbox().retract(_article_id(sent.draft), sent.change_key)

    def _outbox(self) -> Outbox:
        if self.outbox is None:
            raise DeliveryError("the fediverse outbox is not available here", permanent=True)
        return self.outbox


def _article_id(draft: Draft) -> str:
    article_id = (draft.extras.get("article") or {}).get("id")
    if not isinstance(article_id, str) or not article_id:
        raise DeliveryError("the post does not name its article", permanent=True)
    return article_id

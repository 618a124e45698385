"""What every platform adapter is: its limits, how it measures and builds a post, how it sends."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from syndicate.http import TIMEOUT
from syndicate.platforms.options import ChannelOptions, Grant, NoTokens, TokenStore, VaultClosed
from syndicate.weblinks import live_link


@dataclass(frozen=True)
class Limits:
    max_length: int
    unit: str = "characters"


@dataclass
class Draft:
    """A post as composed or edited: its text, the link it shares, and platform extras."""

    text: str
    link: str
    extras: dict[str, Any] = field(default_factory=dict)
    # The article's share image (bytes, media type), for platforms that upload a thumbnail.
    thumbnail: tuple[bytes, str] | None = None


@dataclass(frozen=True)
class Receipt:
    """What the platform answered to a successful send."""

    status_code: int
    remote_id: str | None = None
    url: str | None = None  # kept only if it is safe to link to

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", live_link(self.url))


@dataclass(frozen=True)
class SentPost:
    """A post already out, as an edit or a delete of it needs it: what the platform answered
    to the send, the key the post was sent under, the change's own idempotency key, and the
    post as it stands."""

    receipt: Receipt
    post_key: str
    change_key: str
    draft: Draft


class DeliveryError(Exception):
    """A send that did not succeed.

    `permanent`: trying again will not help. `ambiguous`: the request may have reached the
    platform, so a blind retry could post twice. `retry_after`: the platform's own wait, seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        ambiguous: bool = False,
        retry_after: float | None = None,
        status_code: int | None = None,
        credentials: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.ambiguous = ambiguous
        self.retry_after = retry_after
        self.status_code = status_code
        # The platform refused our credentials: the channel needs new ones.
        self.credentials = credentials


@contextmanager
def nothing_posted() -> Iterator[None]:
    """Around calls that cannot create a post (an upload, a read): a lost answer there is a
    plain transient failure, never an ambiguous one."""
    try:
        yield
    except DeliveryError as error:
        if not error.ambiguous:
            raise
        raise DeliveryError(
            error.message, retry_after=error.retry_after, status_code=error.status_code
        ) from error


@dataclass(frozen=True)
class Counts:
    """What a post has earned so far, as its platform counts it (None: it does not say)."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None


class EditRefused(ValueError):
    """Text a person wrote that the platform would refuse, and cannot be mended without
    guessing what they meant; the message says what is wrong and where."""


class NotCheckable(Exception):
    """The platform offers no harmless call to check a channel's credentials."""


def retry_after_seconds(value: str | None) -> float | None:
    """Parse an HTTP Retry-After value: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Platform:
    """Base adapter. Subclasses declare `name` and `limits`, say how they count, escape and
    finish a post, and implement `payload` and `send`."""

    name: ClassVar[str]
    limits: ClassVar[Limits]
    can_edit: ClassVar[bool] = False
    can_delete: ClassVar[bool] = False
    # Platforms that carry the link outside the text (a card, a field) set this.
    link_travels_separately: ClassVar[bool] = False
    # Platforms whose create call cannot post twice for one idempotency key (Mastodon's
    # Idempotency-Key, Bluesky's record key) may retry a send whose outcome is unknown.
    idempotent_sends: ClassVar[bool] = False
    # Platforms that can list the account's recent posts, so a send whose answer was lost can
    # be looked for instead of marked unknown.
    finds_own_posts: ClassVar[bool] = False
    # Platforms that can read a sent post back, so an edit or a delete that may already have
    # been made is looked at before it is made again.
    reads_posts: ClassVar[bool] = False
    # Platforms whose posts follow their article (edited when it changes, deleted when it is
    # unpublished) unless the channel says otherwise.
    follows_articles: ClassVar[bool] = False

    def __init__(
        self,
        channel: ChannelOptions,
        session: requests.Session,
        vault: TokenStore | None = None,
    ) -> None:
        self.channel = channel
        self.session = session
        # Where rotating OAuth tokens are kept; adapters that need one say so when it is absent.
        self.vault = vault

    @property
    def max_length(self) -> int:
        return self.channel.max_length or self.limits.max_length

    def measure(self, text: str) -> int:
        """The length of `text` in the platform's own unit."""
        return len(text)

    def escape(self, text: str) -> str:
        """Make plain text safe inside the platform's markup; plain-text platforms need none."""
        return text

    def hashtag(self, word: str) -> str:
        return f"#{word}"

    def mention(self, name: str, handle: str) -> str:
        """How the platform's text names an author by their handle there, so that they are
        told (a mention)."""
        return self.escape(handle)

    # Whether `counts` can read a sent post's likes, reposts and replies back.
    reads_counts: ClassVar[bool] = False

    def counts(self, sent: SentPost) -> Counts:
        raise DeliveryError(f"{self.name} counts cannot be read", permanent=True)

    # Whether `reply` can post under a post of the account's (the channel's first reply).
    can_reply: ClassVar[bool] = False
    # Whether a reply can itself be replied to, so a long story can go out as a thread.
    can_thread: ClassVar[bool] = False
    # Platforms without idempotent sends that can list the account's replies to a post, so a
    # reply whose answer was lost is looked for instead of made again.
    finds_own_replies: ClassVar[bool] = False

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        """Post `draft` as a reply to `parent` (a comment, where the platform has no replies);
        where sends are idempotent, the same key never makes a second reply."""
        raise DeliveryError(f"{self.name} replies are not supported", permanent=True)

    def find_reply(self, parent: SentPost, draft: Draft) -> Receipt | None:
        """The account's reply to `parent` that reads as `draft`, or None if there is none."""
        raise NotImplementedError

    def edited_text(self, text: str) -> str:
        """A reviewer's text made safe for the platform's markup (what is unambiguous is
        escaped), or EditRefused; plain-text platforms take it as typed."""
        return text

    def finish(self, draft: Draft) -> Draft:
        """Add what the platform needs besides text (facets, cards, embeds) to a rendered post."""
        return draft

    def problems(self, draft: Draft) -> list[str]:
        """What would make the platform reject or cut this post, in words a reviewer reads."""
        found = []
        if not draft.text.strip():
            found.append("the post is empty")
        length = self.measure(draft.text)
        if length > self.max_length:
            found.append(f"too long: {length} {self.limits.unit}, the limit is {self.max_length}")
        if draft.link and draft.link not in draft.text and not self.link_travels_separately:
            found.append("the article link is missing from the text")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        raise NotImplementedError

    def check(self) -> str:
        """Make one harmless call that proves the credentials work; say whose they are.
        Platforms without such a call raise `NotCheckable`."""
        raise NotCheckable(f"{self.name} has no way to check credentials without posting")

    def find_sent(self, draft: Draft) -> Receipt | None:
        """The account's recent post that carries `draft.link`, or None if there is none."""
        raise NotImplementedError

    def edit(self, sent: SentPost, draft: Draft) -> None:
        raise DeliveryError(f"{self.name} posts cannot be edited", permanent=True)

    def delete(self, sent: SentPost) -> None:
        """Take the post down; a post already gone raises a `DeliveryError` with status 404."""
        raise DeliveryError(f"{self.name} posts cannot be deleted", permanent=True)

    def already_gone(self, error: DeliveryError) -> bool:
        """Whether a delete failed because the post is not there any more."""
        return error.status_code == 404

    def shows(self, sent: SentPost, draft: Draft) -> bool | None:
        """Whether the post on the platform already reads as `draft` (None: it is gone).
        Only platforms that set `reads_posts` answer."""
        raise NotImplementedError

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One HTTP call, with transport failures turned into `DeliveryError`s."""
        started = time.monotonic()
        try:
            timeout = (TIMEOUT[0], self.channel.timeout_seconds)
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.ConnectTimeout as exc:
            raise DeliveryError("timed out connecting to the platform") from exc
        except requests.Timeout as exc:
            raise DeliveryError(
                "the platform did not answer in time; the post may have been received",
                ambiguous=not self.idempotent_sends,
            ) from exc
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise DeliveryError("could not connect to the platform") from exc
            raise DeliveryError(
                "the connection dropped; the post may have been received",
                ambiguous=not self.idempotent_sends,
            ) from exc
        self.elapsed_ms = int((time.monotonic() - started) * 1000)
        self.raise_for_response(response)
        return response

    def raise_for_response(self, response: requests.Response) -> None:
        """Turn an HTTP error answer into a `DeliveryError`; platforms refine this."""
        code = response.status_code
        if code < 400:
            return
        detail = response.text[:300].strip() or response.reason
        message = f"HTTP {code}: {detail}"
        if code == 429 or code == 408 or code >= 500:
            raise DeliveryError(message, retry_after=self.wait_signal(response), status_code=code)
        raise DeliveryError(
            message, permanent=True, status_code=code, credentials=code in (401, 403)
        )

    def wait_signal(self, response: requests.Response) -> float | None:
        """How long the platform asked us to wait; platforms with their own signal override."""
        return retry_after_seconds(response.headers.get("Retry-After"))

    # How long before a stored token expires it is renewed (platforms with long-lived tokens
    # renew them days ahead).
    refresh_margin: ClassVar[timedelta] = timedelta(minutes=2)

    def renew(self, refresh_token: str) -> Grant:
        """Spend a stored refresh token on new tokens; platforms whose tokens can be renewed
        say how."""
        raise DeliveryError(
            f"{self.name} tokens cannot be renewed; connect the account again",
            permanent=True,
            credentials=True,
        )

    def stored_token(self) -> str:
        """The access token kept in the database for a channel connected in the app, renewed
        first when it is about to expire."""
        if self.vault is None:
            raise DeliveryError("stored OAuth tokens need the database", permanent=True)
        try:
            return self.vault.access_token(
                self.channel.name, None, self.renew, margin=self.refresh_margin
            )
        except VaultClosed as exc:
            raise DeliveryError(str(exc), permanent=True, credentials=True) from exc
        except NoTokens as exc:
            raise DeliveryError(
                f"the token of channel {self.channel.name!r} has expired or is gone; connect "
                "the account again",
                permanent=True,
                credentials=True,
            ) from exc

    def token(self) -> str:
        """The channel's credential: its stored OAuth token, or the one in the environment
        variable it names."""
        if self.channel.oauth_tokens:
            return self.stored_token()
        secret = self.channel.secret()
        if not secret:
            raise DeliveryError(
                f"no credential: set the environment variable named by secret_env for "
                f"channel {self.channel.name!r}",
                permanent=True,
                credentials=True,
            )
        return secret


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the failure happened before a byte of the request could reach the platform."""
    pending: list[BaseException] = [exc]
    for _ in range(12):
        if not pending:
            break
        item = pending.pop()
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        linked = (getattr(item, "reason", None), item.__cause__, item.__context__, *item.args)
        pending.extend(x for x in linked if isinstance(x, BaseException))
    return False

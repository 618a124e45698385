"""Each share button's intent URL, with text composed and fitted the way the team's posts are,
and the article link tagged `utm_medium=share_button&utm_source=<button>`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlencode

import requests

from syndicate.compose import compose, with_tracking
from syndicate.config import ChannelConfig
from syndicate.http import make_session
from syndicate.models import Article
from syndicate.platforms.base import Platform
from syndicate.platforms.mastodon import Mastodon
from syndicate.platforms.threads import Threads
from syndicate.platforms.x import X
from syndicate.share.composers import (
    BlueskyShare,
    EmailShare,
    RedditShare,
    TelegramShare,
    WhatsAppShare,
)
from syndicate.templating import Templates


@dataclass(frozen=True)
class Shared:
    """What a button shares: the composed text, the tagged link, and the plain title."""

    text: str
    url: str
    title: str


def _query(base: str, **params: str) -> str:
    # %20 rather than "+": mailto: (RFC 6068) and several intents read "+" literally.
    return f"{base}?{urlencode(params, quote_via=quote, safe='')}"


@dataclass(frozen=True)
class Button:
    name: str
    label: str
    # The platform whose rules fit the text; None for buttons that share the link alone.
    composer: type[Platform] | None
    intent: Callable[[Shared], str]


BUTTONS: dict[str, Button] = {
    b.name: b
    for b in (
        Button("x", "X", X, lambda s: _query("https://x.com/intent/tweet", text=s.text)),
        Button(
            "bluesky",
            "Bluesky",
            BlueskyShare,
            lambda s: _query("https://bsky.app/intent/compose", text=s.text),
        ),
        # Mastodon has no central site: the reader names an instance on our own page first.
        Button("mastodon", "Mastodon", Mastodon, lambda s: mastodon_intent("", s)),
        Button(
            "threads",
            "Threads",
            Threads,
            lambda s: _query("https://www.threads.net/intent/post", text=s.text),
        ),
        Button(
            "linkedin",
            "LinkedIn",
            None,
            lambda s: _query("https://www.linkedin.com/sharing/share-offsite/", url=s.url),
        ),
        Button(
            "facebook",
            "Facebook",
            None,
            lambda s: _query("https://www.facebook.com/sharer/sharer.php", u=s.url),
        ),
        Button(
            "telegram",
            "Telegram",
            TelegramShare,
            lambda s: _query("https://t.me/share/url", url=s.url, text=s.text),
        ),
        Button(
            "whatsapp", "WhatsApp", WhatsAppShare, lambda s: _query("https://wa.me/", text=s.text)
        ),
        Button(
            "reddit",
            "Reddit",
            RedditShare,
            lambda s: _query("https://www.reddit.com/submit", url=s.url, title=s.text),
        ),
        Button(
            "email", "Email", EmailShare, lambda s: _query("mailto:", subject=s.title, body=s.text)
        ),
        Button("copy", "Copy link", None, lambda s: s.url),
    )
}


def mastodon_intent(instance: str, shared: Shared) -> str:
    return _query(f"https://{instance}/share", text=shared.text)


def tagged_url(article: Article, button: str) -> str:
    return with_tracking(article.url, {"utm_medium": "share_button", "utm_source": button})


@lru_cache(maxsize=1)
def _no_network() -> requests.Session:
    # Share composers measure and fit; they never send, so this session is never used.
    return make_session()


def shared_text(article: Article, button: Button, templates: Templates) -> Shared:
    url = tagged_url(article, button.name)
    if button.composer is None:
        return Shared(text="", url=url, title=article.title)
    # Not a configured channel: built unvalidated because the share-only targets (Reddit,
    # WhatsApp, email) are not delivery platforms.
    channel = ChannelConfig.model_construct(
        name=f"share-{button.name}",
        platform=button.name,
        template=f"share/text/{button.name}.txt.j2",
        tracking={"utm_medium": "share_button", "utm_source": button.name},
        max_hashtags=2,
    )
    composed = compose(article, channel, button.composer(channel, _no_network()), templates)
    return Shared(text=composed.draft.text, url=url, title=article.title)


@dataclass(frozen=True)
class ShareLink:
    button: str
    label: str
    # What the reader's browser follows: our counting redirect (or the bare link to copy).
    href: str
    # Where the redirect lands: the platform's own share intent.
    intent: str
    text: str
    url: str


def share_links(
    article: Article,
    buttons: list[str],
    labels: dict[str, str],
    base_url: str,
    templates: Templates,
) -> list[ShareLink]:
    links = []
    for name in buttons:
        button = BUTTONS[name]
        shared = shared_text(article, button, templates)
        intent = button.intent(shared)
        href = intent if name == "copy" else go_url(base_url, article.id, name)
        label = labels.get(name, button.label)
        links.append(ShareLink(name, label, href, intent, shared.text, shared.url))
    return links


def go_url(base_url: str, article_id: str, button: str) -> str:
    return f"{base_url.rstrip('/')}/share/{quote(article_id, safe='')}/go/{button}"

"""The people an article names on the fediverse: its authors, by the actor of their own the site
gives them, and by the account they keep elsewhere (their `fediverse` or `mastodon` handle in
the article: `@ada@mastodon.example`, found by WebFinger, or the actor's own address). Each is
a `Mention` tag, and the article is delivered to their inbox too, so that they are told."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from syndicate.activitypub.actors import Addresses
from syndicate.activitypub.remote import Remote
from syndicate.config import SiteConfig
from syndicate.models import Article

# Where an author's account elsewhere is named, first found first.
HANDLE_KEYS = ("fediverse", "mastodon")
# At most so many accounts are looked up for one article.
MAX_MENTIONS = 5
ACCOUNT = re.compile(
    r"^@?(?P<user>[A-Za-z0-9_.~-]{1,64})@(?P<host>[A-Za-z0-9.-]{1,253}(:\d{1,5})?)$"
)
JRD_ACTOR_TYPES = ("application/activity+json", "application/ld+json")


@dataclass(frozen=True)
class Mentioned:
    actor: str  # the actor's id
    name: str  # @user@host
    inbox: str  # where it is told: its server's shared inbox, or its own


def local(article: Article, site: SiteConfig, where: Addresses) -> list[Mentioned]:
    """The article's authors that are actors of the site's own."""
    names = site.activitypub.authors
    found = [names[a["name"]] for a in article.authors if a.get("name") in names]
    return [
        Mentioned(where.actor(n), f"@{where.handle(n)}", where.shared_inbox)
        for n in dict.fromkeys(found)
    ]


def accounts(article: Article) -> list[str]:
    """The authors' accounts elsewhere, as the article names them."""
    found = []
    for author in article.authors:
        handles = author.get("handles") or {}
        named = next((str(handles[k]) for k in HANDLE_KEYS if handles.get(k)), "")
        if named:
            found.append(named.strip())
    return list(dict.fromkeys(found))[:MAX_MENTIONS]


def webfinger_url(account: str) -> str | None:
    """Where `@user@host` is looked up (RFC 7033: over HTTPS), or None if it is no account."""
    matched = ACCOUNT.match(account)
    if matched is None:
        return None
    user, host = matched["user"], matched["host"].lower()
    return f"https://{host}/.well-known/webfinger?resource={quote(f'acct:{user}@{host}')}"


def resolve(remote: Remote, account: str) -> Mentioned | None:
    """The actor an account names, with its inbox; None when it cannot be found."""
    actor_id = account if account.startswith(("https://", "http://")) else _finger(remote, account)
    if actor_id is None:
        return None
    document = remote.document(actor_id)
    if document is None or document.get("id") != actor_id:
        return None
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    inbox = shared if isinstance(shared, str) else document.get("inbox")
    if not isinstance(inbox, str) or urlsplit(inbox).scheme not in ("http", "https"):
        return None
    return Mentioned(actor_id, _name(account, actor_id, document), inbox)


def _name(account: str, actor_id: str, document: dict[str, Any]) -> str:
    if not account.startswith("http"):
        return account if account.startswith("@") else f"@{account}"
    username = document.get("preferredUsername")
    return f"@{username}@{urlsplit(actor_id).netloc}" if isinstance(username, str) else actor_id


def _finger(remote: Remote, account: str) -> str | None:
    url = webfinger_url(account)
    jrd = remote.document(url) if url else None
    links = jrd.get("links") if jrd else None
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and str(link.get("type", "")).startswith(JRD_ACTOR_TYPES)
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    return None


def tags(mentioned: list[Mentioned]) -> list[dict[str, Any]]:
    return [{"type": "Mention", "href": m.actor, "name": m.name} for m in mentioned]

"""The fediverse pieces assembled from the runtime: the actors, where they live, how other
servers are reached, and the inbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from syndicate.activitypub import mentions
from syndicate.activitypub.actors import Actor, Addresses, actors_of, key_pair
from syndicate.activitypub.bounds import Bounds, InboxBudget
from syndicate.activitypub.inbox import Inbox
from syndicate.activitypub.outbox import Outbox
from syndicate.activitypub.remote import FetchSlots, KeyCache, Remote
from syndicate.config import SiteConfig
from syndicate.fetch import GuardedFetcher
from syndicate.models import utcnow
from syndicate.runtime import Runtime


def site_of(runtime: Runtime, session: Session | None = None) -> SiteConfig:
    return runtime.site(session)


def actors(runtime: Runtime) -> dict[str, Actor]:
    return actors_of(site_of(runtime))


def addresses(runtime: Runtime) -> Addresses:
    return Addresses(runtime.settings.base_url, runtime.file_config.site)


def fetcher(runtime: Runtime) -> GuardedFetcher:
    settings = runtime.settings
    return GuardedFetcher(
        settings.activitypub_allow_private, settings.activitypub_allowed_hosts(), timeout=10.0
    )


def remote(runtime: Runtime) -> Remote:
    """Other servers, read as the site's actor."""
    name = runtime.file_config.site.activitypub.username
    with runtime.factory.begin() as session:
        private_key = key_pair(session, name).private_key
    return Remote(fetcher(runtime), addresses(runtime).key(name), private_key, utcnow)


def inbox(runtime: Runtime, slots: FetchSlots, budget: InboxBudget | None = None) -> Inbox:
    """The inbox; `slots` are the web process's for fetching senders' keys, `budget` counts
    each server's activities a minute."""
    reader = remote(runtime)
    return Inbox(
        runtime.factory,
        actors(runtime),
        addresses(runtime),
        reader,
        KeyCache(runtime.factory, reader, slots),
        runtime.file_config.site.activitypub.approve_followers,
        Bounds.from_settings(runtime.settings),
        budget,
    )


def outbox(runtime: Runtime, dispatch: Callable[[list[int]], None]) -> Outbox:
    """The fediverse channel's outbox; `dispatch` starts the deliveries it writes."""
    reader: list[Remote] = []

    def resolve(account: str) -> mentions.Mentioned | None:
        if not reader:
            reader.append(remote(runtime))
        return mentions.resolve(reader[0], account)

    return Outbox(
        runtime.factory,
        lambda session: site_of(runtime, session),
        addresses(runtime),
        dispatch,
        resolve,
    )

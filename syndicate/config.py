"""The site and channel file (TOML): schema, loading, and errors that name file, key and value."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from syndicate.notifiers import EVENTS, NOTIFIERS
from syndicate.platforms import PLATFORMS
from syndicate.preflight import checks_posts_on
from syndicate.purgers import PURGERS

CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _is_name(value: str) -> str:
    if not CHANNEL_NAME.match(value):
        raise ValueError("must be lower-case letters, digits and hyphens (at most 63)")
    return value


# What a channel or a cache is called: it appears in URLs, logs and metrics.
Name = Annotated[str, AfterValidator(_is_name)]


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message says where."""


SHARE_BUTTONS = (
    "x",
    "bluesky",
    "mastodon",
    "threads",
    "linkedin",
    "facebook",
    "telegram",
    "whatsapp",
    "reddit",
    "email",
    "copy",
)


class ShareConfig(BaseModel):
    """The readers' share buttons: which, in what order, with what labels."""

    model_config = ConfigDict(extra="forbid", strict=True)

    buttons: list[str] = list(SHARE_BUTTONS)
    labels: dict[str, str] = {}
    # A heading shown before the buttons; empty for none.
    heading: str = "Share this:"
    # A stylesheet URL to use instead of the built-in styles.
    stylesheet: str = ""

    @field_validator("buttons")
    @classmethod
    def _buttons_are_known(cls, buttons: list[str]) -> list[str]:
        unknown = [b for b in buttons if b not in SHARE_BUTTONS]
        if unknown:
            raise ValueError(
                f"unknown share button {unknown[0]!r}; known: {', '.join(SHARE_BUTTONS)}"
            )
        if len(set(buttons)) != len(buttons):
            raise ValueError("a share button is listed twice")
        return buttons

    @field_validator("labels")
    @classmethod
    def _labels_name_buttons(cls, labels: dict[str, str]) -> dict[str, str]:
        unknown = [b for b in labels if b not in SHARE_BUTTONS]
        if unknown:
            raise ValueError(f"label for unknown share button {unknown[0]!r}")
        return labels


UNTITLED = "Untitled publication"


QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class ChannelRules(BaseModel):
    """Which articles a channel posts, and when it may send: see syndicate.routing."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sections: list[str] = []
    tags_any: list[str] = []
    tags_none: list[str] = []
    authors: list[str] = []
    max_age_hours: float | None = Field(default=None, gt=0)
    max_per_day: int | None = Field(default=None, gt=0)
    quiet_hours: str = ""
    timezone: str = "UTC"
    auto_approve_tags: list[str] = []

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_are_a_range(cls, value: str) -> str:
        if value and not QUIET_HOURS.match(value):
            raise ValueError('quiet_hours is a range of 24-hour times, like "23:00-06:30"')
        if value and value[:5] == value[6:]:
            raise ValueError("quiet_hours starts and ends at the same time")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name, like Europe/Berlin)"
            ) from None
        return value


ACTOR_NAME = re.compile(r"^[a-z0-9_]{1,30}$")


def _is_actor_name(value: str) -> str:
    if not ACTOR_NAME.match(value):
        raise ValueError("an actor's username is 1 to 30 lowercase letters, digits or _")
    return value


ActorName = Annotated[str, AfterValidator(_is_actor_name)]


class ActivityPubConfig(BaseModel):
    """The newsroom on the fediverse: the site as an actor, and authors as actors of their own."""

    model_config = ConfigDict(extra="forbid", strict=True)

    enabled: bool = False
    # The site's actor: @<username>@<domain>.
    username: ActorName = "news"
    # The host in the actors' handles, when it is not the base URL's (the newsroom's own domain,
    # forwarding /.well-known/webfinger and /ap/ to Syndicate).
    domain: str = ""
    # Hold follow requests for an admin instead of accepting them.
    approve_followers: bool = False
    # Authors who are actors of their own: their name in the articles -> their username.
    authors: dict[str, ActorName] = {}

    @model_validator(mode="after")
    def _usernames_are_unique(self) -> ActivityPubConfig:
        names = [self.username, *self.authors.values()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"actor username {twice[0]!r} is used twice")
        return self


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # Title, description, language and link may instead be set in the browser (/review/start);
    # where this file sets one, the file wins.
    title: str = Field(default=UNTITLED, min_length=1)
    description: str = ""
    language: str = "en"
    link: str = ""
    icon: str = ""
    logo: str = ""
    websub_hubs: list[str] = []
    # A folder of templates searched before the built-in ones (cards/, posts/, feeds/).
    templates: str = ""
    # The site's X handle (twitter:site), and the share image's look.
    x_handle: str = ""
    brand_color: str = "#14213d"
    accent_color: str = "#fca311"
    text_color: str = "#ffffff"
    font: str = ""
    bold_font: str = ""
    share: ShareConfig = ShareConfig()
    activitypub: ActivityPubConfig = ActivityPubConfig()


class ChannelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    platform: str
    url: str = ""
    # Where on the platform: a Telegram chat, a LinkedIn author URN, a Facebook Page id.
    target: str = ""
    # A dated API version where the platform asks for one (LinkedIn-Version: YYYYMM).
    api_version: str = ""
    secret_env: str = ""
    # OAuth 2.0 with rotating refresh tokens (X): the first refresh token, and the app's client
    # id and (for a confidential client) the variable holding its secret. Syndicate keeps the
    # newest tokens in its database from then on.
    refresh_token_env: str = ""
    client_id: str = ""
    client_secret_env: str = ""
    # The channel's OAuth tokens are kept in the database (an account connected in the app),
    # refreshed there before they expire where the platform allows it.
    oauth_tokens: bool = False
    auto_approve: bool = False
    enabled: bool = True
    template: str = ""
    # A template for a reply posted under each post once it is live (the link, or context),
    # where the platform takes replies.
    first_reply: str = ""
    # "auto": a story too long for one post goes out as a thread of replies under it.
    thread: Literal["auto", "never"] = "never"
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # Composition
    tracking: dict[str, str] = {}
    max_hashtags: int = Field(default=3, ge=0, le=30)
    max_length: int | None = Field(default=None, gt=0)
    content_warning: str = ""
    visibility: str = "public"
    photo: bool = False
    # Lifecycle: edit sent posts when the article changes, delete them when it is unpublished
    # (where the platform allows it).
    edit_on_update: bool = False
    delete_on_unpublish: bool = False
    # Where posts cannot be edited (Bluesky): with edit_on_update, delete the sent post and post
    # the new text in its place. The new post starts without the old one's likes and replies.
    recreate_on_update: bool = False
    # Refuse approval while the card check (the platform's crawler on the article page) finds
    # problems, or has not run.
    preflight_blocks: bool = False
    rules: ChannelRules = ChannelRules()
    # Pacing: at least this many seconds between two posts, and at most so many an hour.
    min_gap_seconds: int = Field(default=0, ge=0)
    max_per_hour: int | None = Field(default=None, gt=0)

    @field_validator("platform")
    @classmethod
    def _platform_is_known(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"unknown platform; known: {', '.join(sorted(PLATFORMS))}")
        return value

    @model_validator(mode="after")
    def _replies_only_where_the_platform_takes_them(self) -> ChannelConfig:
        adapter = PLATFORMS[self.platform]
        if self.first_reply and not adapter.can_reply:
            replying = sorted(name for name, p in PLATFORMS.items() if p.can_reply)
            raise ValueError(
                f"first_reply: {self.platform} replies are not supported; "
                f"{', '.join(replying)} take them"
            )
        if self.thread == "auto" and not adapter.can_thread:
            threading = sorted(name for name, p in PLATFORMS.items() if p.can_thread)
            raise ValueError(
                f"thread: {self.platform} posts cannot be threaded; {', '.join(threading)} can"
            )
        return self

    @model_validator(mode="after")
    def _follows_its_articles_unless_told(self) -> ChannelConfig:
        if PLATFORMS[self.platform].follows_articles:
            for option in ("edit_on_update", "delete_on_unpublish"):
                if option not in self.model_fields_set:
                    setattr(self, option, True)
        return self

    @model_validator(mode="after")
    def _recreates_only_where_it_is_safe(self) -> ChannelConfig:
        adapter = PLATFORMS[self.platform]
        if self.recreate_on_update and (
            adapter.can_edit or not adapter.can_delete or not adapter.idempotent_sends
        ):
            raise ValueError(
                "recreate_on_update is for platforms whose posts cannot be edited but can be "
                "deleted and sent again safely (bluesky)"
            )
        return self

    @model_validator(mode="after")
    def _card_check_blocks_a_reviewed_channel(self) -> ChannelConfig:
        if self.preflight_blocks and self.auto_approve:
            raise ValueError("preflight_blocks holds approvals: it needs auto_approve = false")
        if self.preflight_blocks and not checks_posts_on(self.platform):
            raise ValueError(
                f"{self.platform} posts carry their own card: there is no crawler to check"
            )
        return self

    # A channel added in the app keeps its credentials in the database (sealed) rather than in
    # environment variables: "secret", "refresh_token", "client_secret".
    _credentials: dict[str, str] = PrivateAttr(default_factory=dict)
    _from_app: bool = PrivateAttr(default=False)

    @classmethod
    def from_app(cls, fields: dict[str, Any], credentials: dict[str, str]) -> ChannelConfig:
        channel = cls.model_validate(fields)
        channel._credentials = dict(credentials)
        channel._from_app = True
        return channel

    @property
    def added_in_app(self) -> bool:
        return self._from_app

    def credential_set(self, name: str) -> bool:
        """Whether the credential is there to use (kept by the app, or in the environment)."""
        return bool(getattr(self, name)())

    def secret(self) -> str:
        """The channel's secret: kept by the app, or read from the variable the file names."""
        return self._credentials.get("secret") or _env(self.secret_env)

    def refresh_token(self) -> str:
        return self._credentials.get("refresh_token") or _env(self.refresh_token_env)

    def client_secret(self) -> str:
        return self._credentials.get("client_secret") or _env(self.client_secret_env)


class CacheConfig(BaseModel):
    """An edge cache in front of the service, purged by key when a feed or card changes."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    kind: str
    # Varnish: where its PURGE requests go. Fastly, Cloudflare: their API, if not the public one.
    url: str = ""
    service_id: str = ""  # Fastly
    zone: str = ""  # Cloudflare
    token_env: str = ""  # the variable holding Fastly's or Cloudflare's API token
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("kind")
    @classmethod
    def _kind_is_known(cls, value: str) -> str:
        if value not in PURGERS:
            raise ValueError(f"unknown cache kind; known: {', '.join(sorted(PURGERS))}")
        return value

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> CacheConfig:
        needed = {"varnish": ["url"], "fastly": ["service_id", "token_env"]}
        needed["cloudflare"] = ["zone", "token_env"]
        missing = [field for field in needed[self.kind] if not getattr(self, field)]
        if missing:
            raise ValueError(f"a {self.kind} cache needs {' and '.join(missing)}")
        return self

    def token(self) -> str:
        return _env(self.token_env)


class NotificationConfig(BaseModel):
    """Somewhere the social desk hears about what needs it: an inbox, a Slack channel, a URL."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    name: Name
    kind: str
    events: list[str] = Field(min_length=1)
    # Email: the addresses, and who it is from (SMTP itself is SYNDICATE_SMTP_URL).
    to: list[str] = []
    sender: str = Field(default="", alias="from")
    # Webhook: the URL and the variable holding its signing secret. Slack: the variable
    # holding the incoming webhook's URL (it is a secret).
    url: str = ""
    url_env: str = ""
    secret_env: str = ""
    # post.pending: at most one message per so many minutes, listing the new posts.
    batch_minutes: int = Field(default=10, ge=1, le=1440)
    # delivery.backlog: approved posts waiting longer than this past their time.
    backlog_minutes: int = Field(default=30, ge=1, le=1440)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("kind")
    @classmethod
    def _kind_is_known(cls, value: str) -> str:
        if value not in NOTIFIERS:
            raise ValueError(f"unknown notification kind; known: {', '.join(sorted(NOTIFIERS))}")
        return value

    @field_validator("events")
    @classmethod
    def _events_are_known(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}; known: {', '.join(EVENTS)}")
        return values

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> NotificationConfig:
        needed = {"email": ["to", "sender"], "slack": ["url_env"], "webhook": ["url"]}
        missing = [field for field in needed[self.kind] if not getattr(self, field)]
        if missing:
            names = ["from" if f == "sender" else f for f in missing]
            raise ValueError(f"{self.kind} notifications need {' and '.join(names)}")
        return self

    def secret(self) -> str:
        return _env(self.secret_env)

    def target_url(self) -> str:
        return _env(self.url_env) if self.kind == "slack" else self.url


def _env(name: str) -> str:
    return os.environ.get(name, "") if name else ""


class SyndicateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    site: SiteConfig
    channels: list[ChannelConfig] = []
    caches: list[CacheConfig] = []
    notifications: list[NotificationConfig] = []

    @field_validator("channels")
    @classmethod
    def _names_are_unique(cls, channels: list[ChannelConfig]) -> list[ChannelConfig]:
        seen: set[str] = set()
        for channel in channels:
            if channel.name in seen:
                raise ValueError(f"channel name {channel.name!r} is used twice")
            seen.add(channel.name)
        return channels

    @field_validator("caches")
    @classmethod
    def _cache_names_are_unique(cls, caches: list[CacheConfig]) -> list[CacheConfig]:
        names = [cache.name for cache in caches]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"cache name {twice[0]!r} is used twice")
        return caches

    @field_validator("notifications")
    @classmethod
    def _notification_names_are_unique(
        cls, targets: list[NotificationConfig]
    ) -> list[NotificationConfig]:
        names = [target.name for target in targets]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"notification name {twice[0]!r} is used twice")
        return targets

    @model_validator(mode="after")
    def _one_fediverse_channel_for_a_site_on_it(self) -> SyndicateConfig:
        fediverse = [c.name for c in self.channels if c.platform == "activitypub"]
        if len(fediverse) > 1:
            raise ValueError(
                f"channels {fediverse[0]!r} and {fediverse[1]!r} are both the site's actors: "
                "one activitypub channel at most"
            )
        if fediverse and not self.site.activitypub.enabled:
            raise ValueError(
                f"channel {fediverse[0]!r} is on the fediverse: set [site.activitypub] "
                "enabled = true"
            )
        return self

    def notification(self, name: str) -> NotificationConfig | None:
        return next((n for n in self.notifications if n.name == name), None)

    def cache(self, name: str) -> CacheConfig | None:
        return next((c for c in self.caches if c.name == name), None)

    def channel(self, name: str) -> ChannelConfig | None:
        return next((c for c in self.channels if c.name == name), None)

    @property
    def active_channels(self) -> list[ChannelConfig]:
        return [c for c in self.channels if c.enabled]


def _child(value: Any, part: str | int) -> Any:
    """What `part` names inside `value` in the file, or None."""
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return None


def _describe(path: Path, data: dict[str, Any], error: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        key = ""
        value: Any = data
        for part in item["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
            value = _child(value, part)
        shown = "" if value is None else f" = {value!r}"
        lines.append(f"  {key}{shown}: {item['msg']}")
    return "\n".join(lines)


def load_config(path: Path) -> SyndicateConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return SyndicateConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, data, exc)) from exc

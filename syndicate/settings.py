"""Typed settings: the only module that reads the environment."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
_PROCESS_KEY = secrets.token_bytes(32)
# Secrets shorter than this can be guessed; `secrets.token_urlsafe(32)` makes a good one.
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNDICATE_", extra="ignore")

    database_url: str = ""
    redis_url: str = ""
    # Put before every Redis key, channel and Celery queue name; empty: one derived from the
    # database URL, so installations sharing a Redis keep apart without being told to.
    redis_prefix: str = Field(default="", max_length=100)
    base_url: str = "http://127.0.0.1:8000"
    webhook_secrets: SecretStr = SecretStr("")
    api_token: SecretStr = SecretStr("")
    # Signs the tokens the service hands out (the Mastodon share form's, say) and encrypts the
    # credentials it stores; comma-separated keys, the first in use, the others still read.
    secret_key: SecretStr = SecretStr("")
    # Lets /setup be used from another machine, typed into its form (until an admin exists).
    setup_token: SecretStr = SecretStr("")
    # A bearer token for /metrics alone (the API token works too).
    metrics_token: SecretStr = SecretStr("")
    # Where email notifications are sent from: smtp://user:password@host:port (STARTTLS with
    # ?starttls=true, or port 587), or smtps:// for TLS from the start.
    smtp_url: SecretStr = SecretStr("")
    # Whether /metrics answers without a token: by default only in the embedded mode.
    public_metrics: bool | None = None
    # Whether the API's documentation (/docs, /redoc, /openapi.json) is served to anyone.
    public_docs: bool = True
    # Connecting a Bluesky account: where its handle is resolved, and where did:plc documents
    # (which name the account's own PDS) are read.
    bluesky_entryway_url: str = "https://bsky.social"
    plc_directory_url: str = "https://plc.directory"
    # The newsroom's own app on each platform connected through OAuth 2.0, as
    # "client_id:client_secret"; a platform without one is not offered on the connect page.
    x_oauth_client: SecretStr = SecretStr("")
    linkedin_oauth_client: SecretStr = SecretStr("")
    threads_oauth_client: SecretStr = SecretStr("")
    facebook_oauth_client: SecretStr = SecretStr("")
    # Stand-ins for a platform's hosts (its consent page, token endpoint and API), by platform,
    # as JSON ({"x": "http://127.0.0.1:8081"}): for a proxy, or a test server.
    oauth_servers: dict[str, str] = {}
    # Other fediverse servers' documents (actors, keys) and inboxes are reached at public
    # addresses only, unless this allows private ones, or names hosts to trust.
    activitypub_allow_private: bool = False
    activitypub_allow_hosts: str = ""
    # What other servers can make the inbox keep: followers from one server and from all of
    # them, reactions (likes, boosts, replies) to one article from one server and from all;
    # and how many signed activities one server may send a minute.
    activitypub_max_followers_per_server: int = Field(default=50_000, ge=1)
    activitypub_max_followers: int = Field(default=1_000_000, ge=1)
    activitypub_max_reactions_per_server: int = Field(default=1_000, ge=1)
    activitypub_max_reactions: int = Field(default=50_000, ge=1)
    activitypub_inbox_per_server_per_minute: int = Field(default=600, ge=1)
    # How often every channel's credentials are checked (the beat hands the checks out).
    channel_check_interval_seconds: float = Field(default=3600.0, ge=60)
    # How often a process looks for channels added, changed or removed in the app.
    channel_refresh_seconds: float = Field(default=1.0, ge=0, le=60)
    config: Path = PROJECT_ROOT / "config" / "syndicate.example.toml"
    templates_dir: Path = PROJECT_ROOT / "templates"
    data_dir: Path = DEFAULT_DATA_DIR
    # The largest request body any route accepts (413 beyond it).
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # The largest request head (request line and headers): 431 beyond it.
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # How long a client may take to send a request's head, and then its body.
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)
    webhook_tolerance_seconds: int = Field(default=300, gt=0)
    feed_items: int = Field(default=50, gt=0, le=1000)
    feed_max_age: int = Field(default=300, ge=0)
    # How long edge caches may keep feeds, cards and share pages (they are purged on change).
    edge_max_age: int = Field(default=86400, ge=0)
    # Items per RFC 5005 archive page. Changing it re-partitions history: rebuild the feeds.
    feed_archive_page_size: int = Field(default=100, gt=0, le=1000)
    # How stale a web process's copy of a feed may be before it reads the database again.
    feed_cache_seconds: float = Field(default=1.0, ge=0)
    # Where stored feeds are also written as static files for nginx (see config/nginx.conf).
    feed_export_dir: Path | None = None
    delivery_max_attempts: int = Field(default=8, gt=0)
    delivery_lease_seconds: int = Field(default=300, gt=0)
    # Retries wait a random time up to base * 2^attempt seconds, never more than the cap,
    # unless the platform names its own wait.
    delivery_backoff_base_seconds: float = Field(default=2.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=300.0, gt=0)
    # How long to wait before looking on the account for a post whose send went unanswered:
    # a platform's list of recent posts can lag behind its create call.
    delivery_look_delay_seconds: float = Field(default=20.0, ge=0)
    # A post stops being retried once the next try would come this long after its first.
    delivery_deadline_seconds: float = Field(default=6 * 3600.0, gt=0)
    dispatch_interval_seconds: float = Field(default=15.0, gt=0)
    sweep_grace_seconds: float = Field(default=60.0, ge=0)
    # Article images are fetched from public addresses only, unless this allows private ones.
    image_fetch_allow_private: bool = False
    # Comma-separated host names whose images are fetched even from private addresses.
    image_fetch_allow_hosts: str = ""
    image_fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # "json" (one object per line, for log collectors) or "text" (for a terminal).
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"
    # How long a review-app sign-in lasts before the person signs in again.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        """The database URL, normalised to the drivers we ship (psycopg 3, SQLite file)."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'syndicate.db'}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def embedded(self) -> bool:
        """Running on the embedded default, SQLite: one machine, usually a person trying it."""
        return self.effective_database_url.startswith("sqlite")

    @property
    def metrics_are_public(self) -> bool:
        return self.embedded if self.public_metrics is None else self.public_metrics

    def weak_secrets(self) -> list[str]:
        """The secrets that are set but shorter than MIN_SECRET_BYTES, by variable name; the
        service refuses to start with any outside the embedded mode."""
        if self.embedded:
            return []
        named = {
            "SYNDICATE_WEBHOOK_SECRETS": [s.decode() for s in self.webhook_secret_list()],
            "SYNDICATE_API_TOKEN": [self.api_token.get_secret_value()],
            "SYNDICATE_METRICS_TOKEN": [self.metrics_token.get_secret_value()],
            "SYNDICATE_SECRET_KEY": self.secret_key_list(),
            "SYNDICATE_SETUP_TOKEN": [self.setup_token.get_secret_value()],
        }
        return [
            name
            for name, values in named.items()
            if any(v and len(v.encode()) < MIN_SECRET_BYTES for v in values)
        ]

    @property
    def broker_url(self) -> str:
        return self.redis_url or DEFAULT_BROKER

    @property
    def redis_key_prefix(self) -> str:
        if self.redis_prefix:
            return self.redis_prefix
        digest = hashlib.sha256(self.effective_database_url.encode()).hexdigest()[:12]
        return f"syndicate:{digest}:"

    def activitypub_allowed_hosts(self) -> frozenset[str]:
        return frozenset(
            part.strip().lower() for part in self.activitypub_allow_hosts.split(",") if part.strip()
        )

    def image_fetch_allowed_hosts(self) -> frozenset[str]:
        return frozenset(
            part.strip().lower() for part in self.image_fetch_allow_hosts.split(",") if part.strip()
        )

    def signing_key(self) -> bytes:
        """SYNDICATE_SECRET_KEY; without one, a key every process of the installation derives
        alike from its webhook secrets, or else one of this process's own."""
        own = self.secret_key_list()
        if own:
            return own[0].encode()
        shared = self.webhook_secrets.get_secret_value()
        if shared:
            return hashlib.sha256(b"syndicate signing key\n" + shared.encode()).digest()
        return _PROCESS_KEY

    def secret_key_list(self) -> list[str]:
        """SYNDICATE_SECRET_KEY's comma-separated keys: the first signs and encrypts, every one
        decrypts what an earlier key encrypted."""
        raw = self.secret_key.get_secret_value()
        return [part.strip() for part in raw.split(",") if part.strip()]

    def oauth_client(self, platform: str) -> tuple[str, str] | None:
        """The newsroom's app on the platform, (client id, client secret), if it has one."""
        setting = getattr(self, f"{platform}_oauth_client", None)
        value = setting.get_secret_value() if isinstance(setting, SecretStr) else ""
        client_id, _, client_secret = value.partition(":")
        return (client_id, client_secret) if client_id and client_secret else None

    def webhook_secret_list(self) -> list[bytes]:
        raw = self.webhook_secrets.get_secret_value()
        return [part.strip().encode() for part in raw.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

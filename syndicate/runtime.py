"""The composition root: settings, the site and channel file, and the database, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from syndicate import sitedetails
from syndicate.channelstore import ChannelDirectory
from syndicate.config import ConfigError, SiteConfig, SyndicateConfig, load_config
from syndicate.db import make_engine, make_session_factory
from syndicate.delivery import DeliveryPolicy
from syndicate.feeds.build import FeedSettings
from syndicate.settings import MIN_SECRET_BYTES, Settings, get_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    file_config: SyndicateConfig
    engine: Engine
    factory: sessionmaker[Session]
    channels: ChannelDirectory = field(default_factory=ChannelDirectory, compare=False)

    @property
    def config(self) -> SyndicateConfig:
        """The site file's configuration with the channels admins added in the app."""
        return self.channels.config(self.file_config, self.factory)

    def site(self, session: Session | None = None) -> SiteConfig:
        """The site as it stands: the file's details, and the browser's where the file is
        silent (read from the database each time, so every process sees a change)."""
        if session is not None:
            return sitedetails.effective(self.file_config.site, sitedetails.stored(session))
        with self.factory() as own:
            return sitedetails.effective(self.file_config.site, sitedetails.stored(own))

    @property
    def templates(self) -> tuple[Path, ...]:
        """Where post and share texts come from: the site's own template folder first, if it
        has one, then the built-in templates."""
        site = self.file_config.site
        own = (Path(site.templates),) if site.templates else ()
        return (*own, self.settings.templates_dir)

    @property
    def html_templates(self) -> Path:
        """Where the app's own pages and cards come from: the built-in templates only."""
        return self.settings.templates_dir

    @property
    def feed_settings(self) -> FeedSettings:
        return FeedSettings(
            base_url=self.settings.base_url,
            items=self.settings.feed_items,
            archive_page_size=self.settings.feed_archive_page_size,
            export_dir=self.settings.feed_export_dir,
        )

    @property
    def delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            max_attempts=self.settings.delivery_max_attempts,
            lease_seconds=self.settings.delivery_lease_seconds,
            backoff_base_seconds=self.settings.delivery_backoff_base_seconds,
            backoff_cap_seconds=self.settings.delivery_backoff_cap_seconds,
            look_delay_seconds=self.settings.delivery_look_delay_seconds,
            deadline_seconds=self.settings.delivery_deadline_seconds,
        )


def build_runtime(settings: Settings) -> Runtime:
    weak = settings.weak_secrets()
    if weak:
        raise ConfigError(
            f"{', '.join(weak)}: each secret must be at least {MIN_SECRET_BYTES} bytes long "
            "outside the embedded mode; make one with: python3 -c "
            "'import secrets; print(secrets.token_urlsafe(32))'"
        )
    config = load_config(settings.config)
    engine = make_engine(settings.effective_database_url, settings.secret_key.get_secret_value())
    directory = ChannelDirectory(settings.channel_refresh_seconds)
    return Runtime(settings, config, engine, make_session_factory(engine), directory)


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    return build_runtime(get_settings())

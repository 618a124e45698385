"""The site as work is handed it: its details, or how to read them (the file's and the
browser's, sitedetails) in a session the work opens anyway, once it knows it needs them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from syndicate.config import SiteConfig

SiteSource = SiteConfig | Callable[[Session], SiteConfig]


def site_in(site: SiteSource, session: Session) -> SiteConfig:
    return site if isinstance(site, SiteConfig) else site(session)

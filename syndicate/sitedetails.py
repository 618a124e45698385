"""The site's details (title, description, language, link) as the first administrator sets
them in the browser. They are stored in the database; a detail the site file sets wins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from syndicate import audit
from syndicate.config import SiteConfig
from syndicate.feeds.build import FeedSettings, RebuiltAll, rebuild_all
from syndicate.models import SiteDetails

EDITABLE = ("title", "description", "language", "link")
ROW_ID = 1
LANGUAGE_TAG = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
WEB_ADDRESS = r"^https?://[^\s/?#]+[^\s]*$"

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class SiteDetailsForm(BaseModel):
    """What the browser may set; every field bounded as the database column is."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=500)] = ""
    language: Annotated[Text, Field(max_length=35, pattern=LANGUAGE_TAG)] = "en"
    link: Annotated[Text, Field(max_length=2000, pattern=WEB_ADDRESS)] | None = None


def fixed_by_file(site: SiteConfig) -> frozenset[str]:
    """The details the site file sets, which the browser cannot change."""
    return frozenset(name for name in EDITABLE if name in site.model_fields_set)


def effective(site: SiteConfig, stored: SiteDetails | None) -> SiteConfig:
    """The file's site, with each detail it leaves unset taken from `stored` where set."""
    if stored is None:
        return site
    fixed = fixed_by_file(site)
    changes = {
        name: getattr(stored, name)
        for name in EDITABLE
        if name not in fixed and getattr(stored, name)
    }
    return site.model_copy(update=changes) if changes else site


def stored(session: Session) -> SiteDetails | None:
    return session.get(SiteDetails, ROW_ID)


def save(
    session: Session, site: SiteConfig, form: SiteDetailsForm, actor: str, now: datetime
) -> list[str]:
    """Store the details the file leaves to the browser; returns the names that changed."""
    row = session.get(SiteDetails, ROW_ID, with_for_update=True) or SiteDetails(
        id=ROW_ID, title="", description="", language="", link="", version=0, feeds_version=0
    )
    fixed = fixed_by_file(site)
    changed: list[str] = []
    for name in EDITABLE:
        value = getattr(form, name) or ""
        if name not in fixed and getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.updated_at, row.updated_by = now, actor
        row.version += 1
        session.add(row)
        audit.record(session, actor, "site.changed", now, changed=changed)
    return changed


def rebuild_feeds(
    factory: sessionmaker[Session], file_site: SiteConfig, settings: FeedSettings
) -> RebuiltAll | None:
    """Render every feed again if the details changed since they were last rendered."""
    with factory() as session:
        row = stored(session)
        if row is None or row.feeds_version >= row.version:
            return None
        version, site = row.version, effective(file_site, row)
    rebuilt = rebuild_all(factory, site, settings)
    with factory.begin() as session:
        session.execute(
            update(SiteDetails)
            .where(SiteDetails.id == ROW_ID, SiteDetails.feeds_version < version)
            .values(feeds_version=version)
        )
    return rebuilt


def feeds_behind(session: Session, now: datetime, grace_seconds: float) -> bool:
    """Whether the details changed a while ago and the feeds never caught up (the sweeper)."""
    cutoff = now - timedelta(seconds=grace_seconds)
    row = stored(session)
    return row is not None and row.feeds_version < row.version and row.updated_at < cutoff

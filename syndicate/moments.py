"""Moments that arrive from outside (CMS dates, filters, schedules), kept within the years
the service stores, so that converting one to UTC can never overflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "date out of range (1970 to 2199)"


def in_range(value: datetime) -> datetime:
    """`value` in UTC; ValueError if it is not between 1970 and 2199."""
    if not EARLIEST <= value < LATEST:
        raise ValueError(OUT_OF_RANGE)
    return value.astimezone(UTC)


Moment = Annotated[AwareDatetime, AfterValidator(in_range)]

"""Path and form parameters shared by the API and the pages, bounded like the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # the database's integer
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="a post's id")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]
Page = Annotated[int, Query(ge=1, le=MAX_ID // 1000, description="page number, from 1")]

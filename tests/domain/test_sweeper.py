"""The sweep sends an article's unfinished work on again once per grace period, however many
sweeps run meanwhile: a backlog longer than the grace does not multiply queued tasks."""

from __future__ import annotations

from datetime import timedelta

from syndicate import articles, sweeper
from syndicate.cms import parse_generic
from syndicate.models import utcnow
from syndicate.runtime import Runtime
from tests.client import article, envelope


def test_an_article_left_behind_is_swept_once_per_grace(runtime: Runtime, clean: None) -> None:
    articles.receive(runtime.factory, parse_generic(envelope(article("behind-1"))), utcnow())
    grace = 10.0
    first = utcnow() + timedelta(seconds=grace + 1)
    with runtime.factory.begin() as session:
        assert sweeper.stale_articles(session, first, grace) == ["behind-1"]
    for later in (1, 5, 9):  # the sweeps that follow within the grace leave it to that task
        with runtime.factory.begin() as session:
            assert sweeper.stale_articles(session, first + timedelta(seconds=later), grace) == []
    with runtime.factory.begin() as session:
        again = first + timedelta(seconds=grace + 1)
        assert sweeper.stale_articles(session, again, grace) == ["behind-1"]

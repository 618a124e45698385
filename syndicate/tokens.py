"""OAuth 2.0 user tokens that expire and rotate, kept in the database for every worker to share.

A platform such as X issues an access token that lives two hours and a refresh token that can be
used once. Whoever refreshes must store the new pair before anyone else uses the old one, so a
refresh happens under a row lock, and a worker that waited for the lock takes the pair the other
one stored instead of spending the spent refresh token again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from syndicate.models import ChannelToken, utcnow
from syndicate.platforms.base import DeliveryError
from syndicate.platforms.options import Grant, NoTokens, Refresher, VaultClosed
from syndicate.secretbox import NoSecretKey, UnreadableSecret

# Refresh this long before the platform's expiry, so a token never runs out mid-request.
MARGIN = timedelta(minutes=2)


class TokenVault:
    def __init__(
        self, factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.factory = factory
        self.clock = clock

    def access_token(
        self,
        channel: str,
        seed: Grant | None,
        refresher: Refresher,
        margin: timedelta | None = None,
    ) -> str:
        """A live access token for the channel, refreshed first if it expires within `margin`
        (two minutes unless the platform wants longer). `seed` is the pair the operator
        configured, used only before anything is stored."""
        with _opened():
            return self._access_token(channel, seed, refresher, margin or MARGIN)

    def _access_token(
        self, channel: str, seed: Grant | None, refresher: Refresher, margin: timedelta
    ) -> str:
        with self.factory() as session:
            row = session.get(ChannelToken, channel)
            if row is not None and self._live(row, margin):
                return row.access_token
        if row is None:
            self._store_seed(channel, seed)
        stale = row.access_token if row else None
        return self.refresh(channel, stale=stale, refresher=refresher, margin=margin)

    def refresh(
        self,
        channel: str,
        stale: str | None,
        refresher: Refresher,
        margin: timedelta = MARGIN,
    ) -> str:
        """Swap the refresh token for a new pair, unless someone already replaced `stale`."""
        with _opened(), self.factory.begin() as session:
            row = session.get(ChannelToken, channel, with_for_update=True)
            if row is None:
                raise NoTokens(channel)
            if row.access_token and row.access_token != stale and self._live(row, margin):
                return row.access_token
            if not row.refresh_token:
                if row.access_token and self._live(row, MARGIN):
                    return row.access_token  # it cannot be renewed, but it still works
                raise NoTokens(channel)
            try:
                grant = refresher(row.refresh_token)
            except DeliveryError:
                if self._live(row):
                    return row.access_token  # renewed ahead of time: the old one still works
                raise
            row.access_token = grant.access_token
            row.refresh_token = grant.refresh_token or row.refresh_token
            row.expires_at = grant.expires_at
            row.refreshed_at = self.clock()
            return grant.access_token

    def store(self, channel: str, grant: Grant) -> None:
        """Replace the channel's tokens, as after the operator authorises the app again."""
        with _opened(), self.factory.begin() as session:
            row = session.get(ChannelToken, channel, with_for_update=True) or ChannelToken(
                channel=channel
            )
            row.access_token, row.refresh_token = grant.access_token, grant.refresh_token
            row.expires_at, row.refreshed_at = grant.expires_at, self.clock()
            session.add(row)

    def _store_seed(self, channel: str, seed: Grant | None) -> None:
        if seed is None or not (seed.access_token or seed.refresh_token):
            raise NoTokens(channel)
        try:
            with self.factory.begin() as session:
                session.add(
                    ChannelToken(
                        channel=channel,
                        access_token=seed.access_token,
                        refresh_token=seed.refresh_token,
                        expires_at=seed.expires_at,
                    )
                )
        except IntegrityError:
            pass  # another worker stored it first; theirs is as good

    def _live(self, row: ChannelToken, margin: timedelta = MARGIN) -> bool:
        if not row.access_token:
            return False
        return row.expires_at is None or row.expires_at - margin > self.clock()


@contextmanager
def _opened() -> Iterator[None]:
    """Tokens that cannot be sealed or opened are a vault that is closed, in the words of the
    platforms' protocol."""
    try:
        yield
    except (NoSecretKey, UnreadableSecret) as exc:
        raise VaultClosed(str(exc)) from exc
    except StatementError as exc:  # sealing a value failed as the statement was built
        if isinstance(exc.orig, NoSecretKey | UnreadableSecret):
            raise VaultClosed(str(exc.orig)) from exc
        raise

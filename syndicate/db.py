"""Engine, session factory and the declarative base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, MetaData, Table, bindparam, create_engine, event, update
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Web, worker and beat share one file: WAL lets readers run beside the writer,
    # and the busy timeout makes writers wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def upsert(session: Session, model: type[Any]) -> Any:
    """An INSERT that can take ON CONFLICT clauses, for PostgreSQL or SQLite, whichever the
    session is bound to."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def insert_ignoring_conflicts(
    session: Session, model: type[Any], rows: list[dict[str, Any]]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike; returns the number of
    rows inserted."""
    if not rows:
        return 0
    keys = model.__table__.primary_key.columns
    statement = upsert(session, model).values(rows).on_conflict_do_nothing().returning(*keys)
    return len(session.execute(statement).all())


def update_many_by_key(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by primary key, one cached statement run for each; every row names the
    same columns, its key among them."""
    if not rows:
        return
    (key,) = table.primary_key.columns
    names = [name for name in rows[0] if name != key.name]
    statement = (
        update(table)
        .where(key == bindparam(f"key_{key.name}", type_=key.type))
        .values({name: bindparam(name, type_=table.c[name].type) for name in names})
    )
    session.execute(statement, [{**row, f"key_{key.name}": row[key.name]} for row in rows])


def make_engine(url: str, secret_keys: str | None = None) -> Engine:
    """An engine for the database; `secret_keys` (SYNDICATE_SECRET_KEY) open the credentials
    stored in it, or else the process's settings do."""
    engine = _engine(url)
    # Read by the sealed column type, which is handed only the dialect, one per engine.
    engine.dialect.syndicate_secret_keys = secret_keys  # type: ignore[attr-defined]
    return engine


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        # Statements are prepared on the server after a few runs, and PostgreSQL then settles on
        # one generic plan per statement. Chosen while a table is nearly empty, that plan is a
        # sequential scan, and it stays one as the table grows: every lookup by key would read
        # the whole table. Planning each run for the table as it is costs microseconds.
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def one_connection(factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A session factory whose sessions share one pooled connection, so work made of many
    short transactions checks a connection out (and pings it) once, not once per transaction.
    Each session still commits or rolls back its own transaction."""
    engine = factory.kw["bind"]
    with engine.connect() as connection:
        yield sessionmaker(connection, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""`syndicate doctor`: each part the service needs, with a verdict a person can act on."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from syndicate import health
from syndicate.config import ConfigError, load_config
from syndicate.db import make_engine
from syndicate.health import Check
from syndicate.migrate import alembic_config
from syndicate.settings import Settings


def check_configuration(settings: Settings) -> list[Check]:
    try:
        config = load_config(settings.config)
    except ConfigError as exc:
        return [Check("configuration", False, str(exc))]
    checks = [
        Check(
            "configuration",
            True,
            f"{settings.config}: site {config.site.title!r}, {len(config.active_channels)} "
            f"active channel(s)",
        )
    ]
    missing = [
        f"{c.name} ({c.secret_env})"
        for c in config.active_channels
        if c.secret_env and not c.secret()
    ]
    if missing:
        checks.append(
            Check("credentials", False, "not set in the environment: " + ", ".join(missing))
        )
    else:
        checks.append(Check("credentials", True, "every active channel's secret is set"))
    if not settings.webhook_secret_list():
        checks.append(
            Check("webhooks", False, "SYNDICATE_WEBHOOK_SECRETS is empty: every webhook is refused")
        )
    return checks


def check_schema(settings: Settings) -> Check:
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        reachable = health.check_database(engine)
        if not reachable.ok:
            return reachable
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    finally:
        engine.dispose()
    if current != head:
        return Check(
            "database",
            False,
            f"schema at {current or 'nothing'}, code needs {head}: run 'syndicate migrate'",
        )
    return Check("database", True, f"reachable, schema up to date ({head})")


def diagnose(settings: Settings) -> list[Check]:
    from syndicate.redis_keys import RedisKeys, connect

    checks = check_configuration(settings)
    checks.append(check_schema(settings))
    broker = connect(settings.broker_url)
    keys = RedisKeys(settings.redis_key_prefix)
    checks.append(health.check_broker(broker))
    checks.append(
        health.check_worker(broker, keys, max(60.0, 3 * settings.dispatch_interval_seconds))
    )
    return checks

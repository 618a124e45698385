"""The long-running processes: migrate, serve, worker, beat, and up for all of them at once."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from syndicate.cli.common import runtime_with_logs
from syndicate.settings import DEFAULT_DATA_DIR, PROJECT_ROOT, Settings, get_settings


@click.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from syndicate.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    click.echo("database is up to date")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="web processes")
def serve(host: str, port: int, workers: int) -> None:
    """Run the web app (webhooks, feeds, cards, API)."""
    import uvicorn

    from syndicate.web.server import uvicorn_options

    runtime_with_logs()
    uvicorn.run(
        "syndicate.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # keep the JSON logging set up above
        **uvicorn_options(),
    )


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker; extra arguments go to `celery worker`.

    It consumes every queue unless given `-Q`: `-Q celery` for feeds and composition,
    `-Q images` for cards and share images, `-Q delivery` for talking to the platforms."""
    runtime_with_logs()
    from workers.app import QUEUES, celery_app

    queues = (
        []
        if {"-Q", "--queues"} & {a.split("=")[0] for a in celery_args}
        else [
            "-Q",
            ",".join(QUEUES),
        ]
    )
    celery_app.worker_main(["worker", "--loglevel=INFO", *queues, *celery_args])


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run the scheduler that dispatches due posts and sweeps up lost work."""
    runtime_with_logs()
    from workers.app import celery_app

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = str(settings.data_dir / "celerybeat-schedule")
    celery_app.start(["beat", "--loglevel=INFO", "--schedule", schedule, *celery_args])


def _ensure_secrets(settings: Settings, env: dict[str, str]) -> Path:
    """Embedded mode invents its own secrets once and keeps them in the data folder."""
    path = settings.data_dir / "secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            stored[key.strip()] = value.strip()
    for key in ("SYNDICATE_WEBHOOK_SECRETS", "SYNDICATE_API_TOKEN", "SYNDICATE_SECRET_KEY"):
        if not env.get(key):
            env[key] = stored.setdefault(key, secrets.token_urlsafe(32))
    path.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
    path.chmod(0o600)
    return path


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def up(host: str, port: int) -> None:
    """Run everything: web, worker and scheduler, on an embedded broker and SQLite by default."""
    from syndicate import embedded

    env = dict(os.environ)
    if not env.get("SYNDICATE_BASE_URL"):
        env["SYNDICATE_BASE_URL"] = f"http://{host}:{port}"
    env.setdefault("SYNDICATE_LOG_FORMAT", "text")  # a person is reading this terminal
    settings = Settings(**{})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secrets_file = _ensure_secrets(settings, env)
    redis = None
    if not env.get("SYNDICATE_REDIS_URL"):
        redis = embedded.start_redis(settings.data_dir)
        env["SYNDICATE_REDIS_URL"] = redis.url
    env.setdefault("SYNDICATE_DATABASE_URL", settings.effective_database_url)
    command = [sys.executable, "-m", "syndicate.cli"]
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*command, "migrate"], env=env, check=True)
        children.append(subprocess.Popen([*command, "worker", "--concurrency=2"], env=env))
        children.append(subprocess.Popen([*command, "beat"], env=env))
        base = env["SYNDICATE_BASE_URL"]
        on_sqlite = env["SYNDICATE_DATABASE_URL"].startswith("sqlite")
        database = f"SQLite in {settings.data_dir}" if on_sqlite else "external"
        click.echo(
            f"\nSyndicate is up.\n"
            f"  Home:     {base}/\n"
            f"  Review:   {base}/review/\n"
            f"            first an admin: {admin_command(settings, env)}\n"
            f"  Webhook:  POST {base}/hooks/articles\n"
            f"  Feed:     {base}/feeds/rss.xml\n"
            f"  API docs: {base}/docs\n"
            f"  Secrets:  {secrets_file} (webhook secret and API token)\n"
            f"  Database: {database}\n"
            f"  Broker:   {'embedded Redis' if redis else 'external Redis'}\n",
            err=True,
        )
        web = subprocess.Popen([*command, "serve", "--host", host, "--port", str(port)], env=env)
        children.append(web)
        _wait(children)
    finally:
        _stop(children)
        if redis is not None:
            redis.stop()


def admin_command(settings: Settings, env: dict[str, str]) -> str:
    """The command, runnable as printed, that creates the first review-app admin."""
    script = PROJECT_ROOT / "scripts" / "syndicate"
    shown = "scripts/syndicate" if Path.cwd() == PROJECT_ROOT else str(script)
    prefix = []
    if settings.data_dir.resolve() != DEFAULT_DATA_DIR.resolve():
        prefix.append(f"SYNDICATE_DATA_DIR={shlex.quote(str(settings.data_dir))}")
    if not env["SYNDICATE_DATABASE_URL"].startswith("sqlite"):
        prefix.append("SYNDICATE_DATABASE_URL=<the same as here>")
    return " ".join([*prefix, shown, "users create NAME --role admin"])


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    stop = {"now": False}

    def _on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop["now"] and all(child.poll() is None for child in children):
        time.sleep(0.2)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

"""A real WebSub hub (Flask-WebSub) on loopback, to receive our pings and push to subscribers."""

from __future__ import annotations

import threading
from pathlib import Path

from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from werkzeug.serving import make_server


class WebSubHub:
    def __init__(self, data_dir: Path) -> None:
        app = Flask("websub-hub")
        app.config["PUBLISH_SUPPORTED"] = True
        # The hub's own background jobs run inline: this Celery belongs to the third-party hub,
        # not to Syndicate's pipeline, and has no broker of its own here.
        celery = Celery("websub-hub")
        celery.conf.task_always_eager = True
        self.hub = Hub(
            SQLite3HubStorage(str(data_dir / "hub.sqlite3")),
            celery,
            PUBLISH_SUPPORTED=True,
            MAX_ATTEMPTS=2,
            BACKOFF_BASE=0.1,
        )
        app.register_blueprint(self.hub.build_blueprint(url_prefix="/hub"))
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hub"

    def start(self) -> WebSubHub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

"""The system's WordPress (Debian's `wordpress` package) on loopback: a copy of its files with
a config of our own, a database of its own in the machine's MariaDB, PHP's built-in server,
and the project's plugin and a plain theme activated. Driven through PHP, as WordPress itself
saves posts, and over HTTP, as a person and WP-Cron reach it."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import requests

from tests.servers import free_port, wait_until

ROOT = Path(__file__).parents[2]
PACKAGE = Path("/usr/share/wordpress")
PLUGIN = ROOT / "integrations" / "wordpress" / "syndicate"
MARIADB = "/usr/sbin/mariadbd"
ADMIN, PASSWORD = "editor", "a long wordpress password"

THEME_CSS = "/*\nTheme Name: Plain\n*/\n"
THEME_INDEX = """<!doctype html><html><head><?php wp_head(); ?></head><body>
<?php while ( have_posts() ) : the_post(); ?><article><h1><?php the_title(); ?></h1>
<?php the_content(); ?></article><?php endwhile; ?><?php wp_footer(); ?></body></html>
"""
RUNNER = """<?php
// Runs the PHP read from standard input inside WordPress, as a request to the site would.
$_SERVER['HTTP_HOST'] = getenv('WP_TEST_HOST');
$_SERVER['REQUEST_URI'] = '/';
if ( getenv('WP_TEST_INSTALLING') ) { define( 'WP_INSTALLING', true ); }
require __DIR__ . '/wp-load.php';
eval( stream_get_contents( STDIN ) );
"""


def mariadb(sql: str) -> str:
    done = subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-e", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done.stdout


def ensure_mariadb() -> None:
    try:
        mariadb("SELECT 1")
        return
    except RuntimeError:
        pass
    subprocess.run(
        ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", MARIADB],
        check=True,
        timeout=30,
    )

    def answers() -> bool:
        try:
            mariadb("SELECT 1")
            return True
        except RuntimeError:
            return False

    wait_until(answers, timeout=60)


class RealWordPress:
    def __init__(self, workdir: Path) -> None:
        subprocess.run([str(ROOT / "scripts" / "peers")], check=True, timeout=600)
        ensure_mariadb()
        self.port = free_port()
        self.root = workdir / "wordpress"
        self.database = f"syndicate_wp_{uuid.uuid4().hex[:10]}"
        mariadb(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        shutil.copytree(PACKAGE, self.root, symlinks=True)
        content = self.root / "wp-content"
        (content / "plugins" / "syndicate").symlink_to(PLUGIN, target_is_directory=True)
        theme = content / "themes" / "plain"
        theme.mkdir(parents=True)
        (theme / "style.css").write_text(THEME_CSS)
        (theme / "index.php").write_text(THEME_INDEX)
        (self.root / "wp-config.php").write_text(self._config())
        (self.root / "run.php").write_text(RUNNER)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = (workdir / "php-server.log").open("wb")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> str:
        salts = "\n".join(
            f"define('{name}', '{secrets.token_hex(32)}');"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        return f"""<?php
define('DB_NAME', '{self.database}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
$table_prefix = 'wp_';
{salts}
define('WP_HOME', '{self.url}');
define('WP_SITEURL', '{self.url}');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
// WP-Cron runs when wp-cron.php is requested, as a system cron would request it.
define('DISABLE_WP_CRON', true);
// Nothing leaves the machine: no update checks, no news feeds, no pings.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('SYNDICATE_RETRY_BASE_SECONDS', 1);
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""

    def start(self) -> RealWordPress:
        self.php(
            f"""
            require_once ABSPATH . 'wp-admin/includes/upgrade.php';
            wp_install('Newsroom', '{ADMIN}', 'desk@newsroom.test', false, '', '{PASSWORD}');
            """,
            installing=True,
        )
        self.php(
            """
            require_once ABSPATH . 'wp-admin/includes/plugin.php';
            $done = activate_plugin('syndicate/syndicate.php');
            if (is_wp_error($done)) { fwrite(STDERR, $done->get_error_message()); exit(1); }
            switch_theme('plain');
            """
        )
        self.serve()
        return self

    def serve(self) -> None:
        self.process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(self.root)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "PHP_CLI_SERVER_WORKERS": "3"},
            start_new_session=True,  # its workers are its children: stopped with it
        )
        wait_until(self._answers, timeout=30)

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/wp-login.php", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def php(self, code: str, installing: bool = False) -> str:
        """Run PHP inside WordPress; what it echoes comes back."""
        env = {"PATH": "/usr/bin:/bin", "WP_TEST_HOST": f"127.0.0.1:{self.port}"}
        if installing:
            env["WP_TEST_INSTALLING"] = "1"
        done = subprocess.run(
            ["php", str(self.root / "run.php")],
            input=code,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(f"PHP failed: {done.stderr or done.stdout}")
        return done.stdout.strip()

    def configure(self, syndicate_url: str, secret: str) -> None:
        self.php(
            f"update_option('syndicate_url', '{syndicate_url}');"
            f"update_option('syndicate_secret', '{secret}');"
        )

    def cron(self) -> None:
        """What a system cron does every minute: request wp-cron.php."""
        requests.get(f"{self.url}/wp-cron.php", timeout=30)

    def waiting(self) -> int:
        return int(self.php("echo count(syndicate_waiting());"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        self.log.close()
        mariadb(f"DROP DATABASE IF EXISTS {self.database}")

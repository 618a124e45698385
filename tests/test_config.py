"""A wrong configuration file is refused at start-up with its file, key and value named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syndicate.config import UNTITLED, ConfigError, load_config

GOOD_SITE = '[site]\ntitle = "T"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_configuration_loads() -> None:
    config = load_config(Path(__file__).parent.parent / "config/syndicate.example.toml")
    # The site's details are left to the browser (Getting started).
    assert config.site.title == UNTITLED and "title" not in config.site.model_fields_set
    assert [c.name for c in config.channels] == ["newsroom-hook"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD_SITE + '[[channels]]\nname = "a"\nplatform = "myspace"\n',
            "channels[0].platform = 'myspace': Value error, unknown platform",
        ),
        (
            GOOD_SITE + '[[channels]]\nname = "Bad Name"\nplatform = "webhook"\n',
            "channels[0].name = 'Bad Name'",
        ),
        (
            GOOD_SITE + '[[channels]]\nname = "a"\nplatform = "webhook"\nauto_approve = "yes"\n',
            "channels[0].auto_approve = 'yes'",
        ),
        (
            GOOD_SITE + '[[channels]]\nname = "a"\nplatform = "webhook"\nurll = "x"\n',
            "channels[0].urll = 'x': Extra inputs are not permitted",
        ),
        (
            GOOD_SITE
            + '[[channels]]\nname = "a"\nplatform = "webhook"\n'
            + '[channels.rules]\nquiet_hours = "11pm-6am"\n',
            "channels[0].rules.quiet_hours = '11pm-6am': Value error, quiet_hours is a range",
        ),
        (
            GOOD_SITE
            + '[[channels]]\nname = "a"\nplatform = "webhook"\n'
            + '[channels.rules]\ntimezone = "Mars/Olympus"\n',
            "channels[0].rules.timezone = 'Mars/Olympus': Value error, unknown time zone",
        ),
        (
            GOOD_SITE
            + '[[notifications]]\nname = "desk"\nkind = "webhook"\nurl = "http://127.0.0.1:9"\n'
            + 'events = ["post.lost"]\n',
            "notifications[0].events = ['post.lost']: Value error, unknown event 'post.lost'",
        ),
        ('[site]\ntitle = ""\n', "site.title = '': String should have at least 1 character"),
        ("[site\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_key_and_value(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_two_channels_with_one_name_are_refused(tmp_path: Path) -> None:
    channel = '[[channels]]\nname = "a"\nplatform = "webhook"\n'
    with pytest.raises(ConfigError, match="'a' is used twice"):
        load_config(write(tmp_path, GOOD_SITE + channel + channel))


FEDIVERSE = '[[channels]]\nname = "{name}"\nplatform = "activitypub"\n'
ON_THE_FEDIVERSE = GOOD_SITE + "[site.activitypub]\nenabled = true\n"


def test_the_fediverse_channel_needs_the_site_on_it_and_is_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"set \[site.activitypub\] enabled = true"):
        load_config(write(tmp_path, GOOD_SITE + FEDIVERSE.format(name="fediverse")))
    twice = ON_THE_FEDIVERSE + FEDIVERSE.format(name="a") + FEDIVERSE.format(name="b")
    with pytest.raises(ConfigError, match="one activitypub channel at most"):
        load_config(write(tmp_path, twice))


def test_the_fediverse_channel_follows_its_articles_unless_told(tmp_path: Path) -> None:
    (channel,) = load_config(
        write(tmp_path, ON_THE_FEDIVERSE + FEDIVERSE.format(name="fediverse"))
    ).channels
    assert channel.edit_on_update and channel.delete_on_unpublish
    told = ON_THE_FEDIVERSE + FEDIVERSE.format(name="fediverse") + "edit_on_update = false\n"
    (channel,) = load_config(write(tmp_path, told)).channels
    assert not channel.edit_on_update and channel.delete_on_unpublish


def test_the_service_refuses_to_start_on_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_SITE + '[[channels]]\nname = "a"\nplatform = "myspace"\n')
    env = {**os.environ, "SYNDICATE_CONFIG": str(path)}
    result = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and "myspace" in result.stderr

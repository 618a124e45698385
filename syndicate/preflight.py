"""Before a post goes out: fetch the article page as the platform's crawler does, through the
same address guard as image fetches, and say what its link card will show or miss.

Bluesky and LinkedIn posts carry their card in the post itself, so their posts are not
checked; everyone else builds the card from the page's Open Graph tags, fetched by its own bot.
An article is checked against every crawler, LinkedIn's too: readers share it by hand and with
the share buttons."""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

import lxml.html
from PIL import Image, UnidentifiedImageError

from syndicate.fetch import Fetched, FetchRefused, GuardedFetcher

MB = 1024 * 1024
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
PAGE_BYTES = 2 * MB


@dataclass(frozen=True)
class Crawler:
    """A platform's link-preview bot, and what it takes as a card image."""

    name: str
    user_agent: str
    robots_token: str
    min_size: tuple[int, int]
    max_bytes: int
    image_types: frozenset[str]


COMMON_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# Sizes and types from the platforms' card documentation (see the README's card section).
CRAWLERS: dict[str, Crawler] = {
    "facebook": Crawler(
        "Facebook",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit",
        (200, 200),
        8 * MB,
        COMMON_TYPES,
    ),
    "threads": Crawler(
        "Threads",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit",
        (200, 200),
        8 * MB,
        COMMON_TYPES,
    ),
    "x": Crawler("X", "Twitterbot/1.0", "Twitterbot", (300, 157), 5 * MB, COMMON_TYPES),
    "mastodon": Crawler(
        "Mastodon",
        "Mastodon/4.3.0 (http.rb/5.2.0; +https://mastodon.social/)",
        "Mastodon",
        (1, 1),
        10 * MB,
        COMMON_TYPES,
    ),
    "slack": Crawler(
        "Slack",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slackbot",
        (1, 1),
        10 * MB,
        COMMON_TYPES,
    ),
    "discord": Crawler(
        "Discord",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Discordbot",
        (1, 1),
        8 * MB,
        COMMON_TYPES,
    ),
    "telegram": Crawler(
        "Telegram",
        "TelegramBot (like TwitterBot)",
        "TelegramBot",
        (1, 1),
        5 * MB,
        COMMON_TYPES,
    ),
    "linkedin": Crawler(
        "LinkedIn",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "LinkedInBot",
        (1200, 627),
        5 * MB,
        frozenset({"image/jpeg", "image/png", "image/gif"}),  # no WebP
    ),
}
# Where the card travels inside the post, built by Syndicate rather than by a crawler.
CARD_IN_POST = frozenset({"bluesky", "linkedin", "webhook"})


@dataclass
class Report:
    """What the platform's crawler found, and what its card will miss."""

    platform: str
    crawler: str
    user_agent: str
    url: str
    status: int | None = None
    title: str = ""
    description: str = ""
    image: str = ""
    warnings: list[str] = field(default_factory=list)
    checked_at: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def checks_posts_on(platform: str) -> bool:
    """Whether the platform builds a post's card by crawling the article page."""
    return platform in CRAWLERS and platform not in CARD_IN_POST


def check(url: str, platform: str, fetcher: GuardedFetcher) -> Report:
    """Fetch `url` as `platform`'s crawler (one of `CRAWLERS`) does, and report."""
    crawler = CRAWLERS[platform]
    report = Report(platform, crawler.name, crawler.user_agent, url, checked_at=time.time())
    warn = report.warnings.append
    if not _robots_allow(fetcher, url, crawler):
        warn(f"robots.txt keeps {crawler.robots_token} out of this page: no card at all")
    try:
        as_bot = fetcher.get(url, {"User-Agent": crawler.user_agent}, PAGE_BYTES)
    except FetchRefused as refused:
        warn(f"{crawler.name}'s crawler cannot fetch the page: {refused}")
        return report
    report.status = as_bot.status
    as_reader = _as_reader(fetcher, url)
    _compare(report, crawler, as_bot, as_reader)
    if as_bot.status != 200:
        return report
    tags = _card_tags(as_bot)
    report.title = tags.get("og:title") or tags.get("twitter:title", "")
    report.description = tags.get("og:description") or tags.get("twitter:description", "")
    if not report.title:
        warn("no og:title: the card falls back to the page's <title>, if any")
    canonical = tags.get("canonical") or url
    og_url = tags.get("og:url", "")
    if not og_url:
        warn("no og:url: shares of other addresses of this page are counted apart")
    elif og_url != canonical:
        warn(f"og:url is {og_url}, not the canonical address {canonical}")
    image = tags.get("og:image") or tags.get("og:image:url") or tags.get("twitter:image", "")
    if not image:
        warn(f"no og:image: {crawler.name} shows the card without a picture")
        return report
    report.image = urljoin(as_bot.url, image)
    _check_image(report, crawler, fetcher)
    return report


def _robots_allow(fetcher: GuardedFetcher, url: str, crawler: Crawler) -> bool:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        robots = fetcher.get(robots_url, {"User-Agent": crawler.user_agent}, 512 * 1024)
    except FetchRefused:
        return True  # unreachable robots.txt: crawlers treat it as allowing everything
    if robots.status != 200:
        return True
    parser = robotparser.RobotFileParser()
    parser.parse(robots.body.decode("utf-8", "replace").splitlines())
    return parser.can_fetch(crawler.robots_token, url)


def _as_reader(fetcher: GuardedFetcher, url: str) -> Fetched | None:
    try:
        return fetcher.get(url, {"User-Agent": BROWSER}, PAGE_BYTES)
    except FetchRefused:
        return None


def _compare(report: Report, crawler: Crawler, bot: Fetched, reader: Fetched | None) -> None:
    warn = report.warnings.append
    if bot.status != 200:
        if reader is not None and reader.status == 200:
            warn(f"the page answers {crawler.name}'s crawler with HTTP {bot.status}, readers 200")
        else:
            warn(f"the page answers HTTP {bot.status}")
    if reader is not None and _place(bot.url) != _place(reader.url):
        warn(
            f"{crawler.name}'s crawler is sent to {bot.url}, readers to {reader.url}: "
            "a paywall or sign-in redirect?"
        )
    elif bot.url != report.url and _place(bot.url) != _place(report.url):
        warn(f"the page redirects to {bot.url}")


def _place(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.netloc.lower(), parts.path.rstrip("/") or "/")


def _card_tags(page: Fetched) -> dict[str, str]:
    """The page's og:* and twitter:* tags (the first of each) and its canonical link."""
    if "html" not in page.content_type:
        return {}
    try:
        tree = lxml.html.fromstring(page.body)
    except (ValueError, lxml.etree.ParserError):
        return {}
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        if name.startswith(("og:", "twitter:")) and name not in found:
            found[name] = (meta.get("content") or "").strip()
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            found.setdefault("canonical", urljoin(page.url, link.get("href", "").strip()))
    return found


def _check_image(report: Report, crawler: Crawler, fetcher: GuardedFetcher) -> None:
    warn = report.warnings.append
    try:
        image = fetcher.get(report.image, {"User-Agent": crawler.user_agent}, 4 * crawler.max_bytes)
    except FetchRefused as refused:
        warn(f"the image cannot be fetched: {refused}")
        return
    if image.status != 200:
        warn(f"the image answers HTTP {image.status}")
        return
    if image.content_type not in crawler.image_types:
        shown = image.content_type or "no content type"
        warn(f"{crawler.name} does not show {shown} images")
    if len(image.body) > crawler.max_bytes:
        warn(
            f"the image is {len(image.body) / MB:.1f} MB; "
            f"{crawler.name} takes at most {crawler.max_bytes // MB} MB"
        )
    try:
        with Image.open(io.BytesIO(image.body)) as opened:
            width, height = opened.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        warn("the image cannot be read as a picture")
        return
    least_width, least_height = crawler.min_size
    if width < least_width or height < least_height:
        warn(
            f"the image is {width}x{height}; {crawler.name} needs at least "
            f"{least_width}x{least_height}"
        )

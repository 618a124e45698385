"""The share image: 1200x630, under 1 MB, a title that never overflows, safe image fetching."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image, ImageColor

from syndicate import fetch
from syndicate.cards import ImagePolicy, share_image
from syndicate.config import SiteConfig
from syndicate.fetch import FetchRefused, fetch_image
from syndicate.images import HEIGHT, TITLE_BOX, WIDTH, Style, decode, render_share_image
from syndicate.models import Article
from tests.fakes.images import ImageHost

LONG_TITLE = (
    "Council approves the new river crossing after three years of debate, ending the "
    "longest planning fight in the city's history and " * 4
)


@pytest.fixture
def host() -> Iterator[ImageHost]:
    server = ImageHost()
    yield server
    server.stop()


def article(image_url: str | None = None, title: str = "Bridge approved") -> Article:
    return Article(
        id="a",
        title=title,
        url="https://news.example.com/a",
        summary="",
        authors=[{"name": "Ada"}],
        tags=[],
        image_url=image_url,
        image_alt="",
        published_at=datetime(2026, 11, 24, tzinfo=UTC),
        status="published",
    )


@pytest.mark.parametrize(
    "title",
    [LONG_TITLE, "Supercalifragilisticexpialidocious", "A", "Ελλάδα και Россия: «Κρίση» & <ένωση>"],
)
def test_the_title_always_fits_its_box(title: str) -> None:
    image = render_share_image(title, "Example Newsroom", "Ada", "24 November 2026", Style())
    left, top, right, bottom = image.layout.title_bbox
    box = TITLE_BOX
    assert box[0] <= left and top >= box[1] - 12 and right <= box[2] and bottom <= box[3]
    decoded = Image.open(io.BytesIO(image.data))
    assert decoded.size == (WIDTH, HEIGHT) and decoded.format == "PNG"
    assert len(image.data) < 1_000_000


def test_a_short_title_is_set_large_and_a_long_one_smaller() -> None:
    short = render_share_image("Bridge", "S", "", "", Style()).layout
    long = render_share_image(LONG_TITLE, "S", "", "", Style()).layout
    assert short.font_size > long.font_size
    huge = render_share_image(LONG_TITLE * 5, "S", "", "", Style()).layout
    assert huge.lines[-1].endswith("…")  # too long even at the smallest size: it ends cleanly


def on_the_way(
    start: tuple[int, int, int], end: tuple[int, int, int], rgb: tuple[int, ...]
) -> bool:
    """Whether `rgb` is one of the shades between `start` and `end` (to a unit's rounding)."""
    steps = [(c - s) / (e - s) for s, e, c in zip(start, end, rgb, strict=True) if e != s]
    fixed = all(c == s for s, e, c in zip(start, end, rgb, strict=True) if e == s)
    return fixed and min(steps) >= 0 and max(steps) <= 1 and max(steps) - min(steps) < 0.05


@pytest.mark.parametrize(
    "style",
    [Style(), Style(brand_color="#f4f1ea", text_color="#1a1a1a", accent_color="#c0392b")],
    ids=["dark", "light"],
)
def test_a_flat_card_holds_its_style_colours_and_the_shades_between_them_only(
    style: Style,
) -> None:
    image = render_share_image("Bridge approved at last", "Example", "Ada", "24 Nov", style)
    colours = Image.open(io.BytesIO(image.data)).convert("RGB").getcolors(1 << 16)
    assert colours is not None
    brand, text, accent = (
        ImageColor.getrgb(c)[:3] for c in (style.brand_color, style.text_color, style.accent_color)
    )
    found = {rgb for _, rgb in colours}
    assert {brand, text, accent} <= found  # the background, the title, the site name and bar
    strays = [
        rgb for rgb in found if not (on_the_way(brand, text, rgb) or on_the_way(brand, accent, rgb))
    ]
    assert not strays


def test_the_article_photo_becomes_the_background_under_1_mb(host: ImageHost) -> None:
    site = SiteConfig(title="Example Newsroom")
    policy = ImagePolicy(allow_private=True)
    with_photo = share_image(article(host.url("/photo.jpg")), site, policy)
    plain = share_image(article(), site, policy)
    assert with_photo.content_hash != plain.content_hash
    assert len(with_photo.data) < 1_000_000
    assert Image.open(io.BytesIO(with_photo.data)).size == (WIDTH, HEIGHT)
    corner = Image.open(io.BytesIO(plain.data)).convert("RGB").getpixel((5, 5))
    assert corner == (0x14, 0x21, 0x3D)  # the brand colour


@pytest.mark.parametrize(
    "path",
    [
        "/missing.jpg",
        "/page.html",
        "/elsewhere",
        "/loop",
        "/bomb.png",
        "/bad-location",
        "/photo.bmp",
        "/bad-gzip.jpg",
        "/broken-chunks.jpg",
    ],
)
def test_an_image_that_fails_falls_back_to_the_brand_background(host: ImageHost, path: str) -> None:
    site = SiteConfig(title="Example Newsroom")
    image = share_image(article(host.url(path)), site, ImagePolicy(allow_private=True))
    plain = share_image(article(), site, ImagePolicy())
    assert image.data == plain.data


def test_a_server_that_drips_its_bytes_is_given_up_on_at_the_deadline(host: ImageHost) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="too long"):
        fetch_image(host.url("/drip.jpg"), allow_private=True, timeout=1.5)
    assert time.monotonic() - started < 3.5


@pytest.mark.parametrize("path", ["/bad-location", "/bad-gzip.jpg", "/broken-chunks.jpg"])
def test_a_broken_answer_is_refused_like_any_other_failure(host: ImageHost, path: str) -> None:
    with pytest.raises(FetchRefused, match="failed"):
        fetch_image(host.url(path), allow_private=True)


def test_only_the_four_web_image_formats_are_decoded(host: ImageHost) -> None:
    data, _ = fetch_image(host.url("/photo.bmp"), allow_private=True)
    with pytest.raises(Exception, match="cannot identify"):
        decode(data)
    assert decode(fetch_image(host.url("/photo.jpg"), allow_private=True)[0]).size == (1600, 900)


def test_private_and_loopback_addresses_are_not_fetched_unless_allowed(host: ImageHost) -> None:
    with pytest.raises(FetchRefused, match="non-public"):
        fetch_image(host.url("/photo.jpg"))
    assert host.requests == []
    data, media_type = fetch_image(host.url("/photo.jpg"), allow_private=True)
    assert media_type == "image/jpeg" and data[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("ftp://127.0.0.1/x.png", "scheme"),
        ("http://10.0.0.1/x.png", "non-public"),
        ("http://169.254.169.254/latest/meta-data", "non-public"),
        ("http://[::1]/x.png", "non-public"),
        ("http://[::7f00:1]/x.png", "non-public"),  # IPv4-compatible 127.0.0.1
        ("http://[64:ff9b::7f00:1]/x.png", "non-public"),  # NAT64
        ("http://[2002:7f00:1::]/x.png", "non-public"),  # 6to4
        ("http://[fec0::1]/x.png", "non-public"),  # site-local
        ("http://[ff02::1]/x.png", "non-public"),  # multicast
    ],
)
def test_other_schemes_and_private_ranges_are_refused_before_any_connection(
    url: str, reason: str
) -> None:
    with pytest.raises(FetchRefused, match=reason):
        fetch_image(url)


def test_a_named_host_is_trusted_but_a_redirect_to_another_private_address_is_not(
    host: ImageHost,
) -> None:
    trusted = frozenset({"127.0.0.1"})
    data, _ = fetch_image(host.url("/moved.jpg"), allowed_hosts=trusted)
    assert data[:2] == b"\xff\xd8"
    assert host.requests == ["/moved.jpg", "/photo.jpg"]  # a redirect within the trusted host

    for target in ("http://10.0.0.1/x.png", host.url("/photo.jpg", host="localhost")):
        host.requests.clear()
        host.redirect("/away", target)
        with pytest.raises(FetchRefused, match="non-public"):
            fetch_image(host.url("/away"), allowed_hosts=trusted)
        assert host.requests == ["/away"]  # the private target was never asked


def test_a_name_that_resolves_anew_for_the_connection_is_checked_where_it_connects(
    host: ImageHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name gives a public address to whoever asks first and loopback
    after that. The address checked must be the address connected to."""
    port = host.server.server_address[1]
    public = "93.184.215.14"
    answers = iter([public, "127.0.0.1", "127.0.0.1", "127.0.0.1"])
    real_getaddrinfo = socket.getaddrinfo
    dialled: list[str] = []

    def getaddrinfo(name: str, *args: Any, **kwargs: Any) -> Any:
        if name != "images.rebinding-news.net":
            return real_getaddrinfo(name, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address[0])
        if address[0] == public:  # this test sends nothing off the machine
            raise ConnectionRefusedError("not on loopback")
        return real_connect(address, *args, **kwargs)

    real_connect = fetch.create_connection
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(fetch, "create_connection", connect)
    with pytest.raises(FetchRefused, match="cannot connect"):
        fetch_image(f"http://images.rebinding-news.net:{port}/photo.jpg")
    assert dialled == [public]
    assert host.requests == []


def test_images_over_the_size_limit_are_refused(host: ImageHost) -> None:
    with pytest.raises(FetchRefused, match="larger than"):
        fetch_image(host.url("/photo.jpg"), allow_private=True, max_bytes=100)

"""The 1200 x 630 share image: the title set large and wrapped, shrinking until it fits; the site
name and logo, the author and the date; the article's image under an overlay, or the brand
colour."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont, features

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
TITLE_BOX = (MARGIN, 150, WIDTH - MARGIN, HEIGHT - 120)  # left, top, right, bottom
LARGEST, SMALLEST = 84, 30
MAX_BYTES = 1_000_000  # Bluesky's limit for a card thumbnail
# Decoding an image of more pixels than this is refused (a decompression bomb).
MAX_PIXELS = 40_000_000
FONTS = Path(__file__).parent / "assets" / "fonts"
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@dataclass(frozen=True)
class Style:
    brand_color: str = "#14213d"
    accent_color: str = "#fca311"
    text_color: str = "#ffffff"
    font: str = ""
    bold_font: str = ""


@dataclass(frozen=True)
class Layout:
    title_box: tuple[int, int, int, int]
    title_bbox: tuple[int, int, int, int]
    font_size: int
    lines: list[str]


@dataclass(frozen=True)
class ShareImage:
    data: bytes
    media_type: str
    content_hash: str
    layout: Layout

    @property
    def extension(self) -> str:
        return "png" if self.media_type == "image/png" else "jpg"


DECODED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
PNG_COLOURS = 128
# A drawn image with at most this many colours takes its palette from them.
FEW_COLOURS = 4096
# zlib's effort for the PNG: at 3 it deflates two and a half times quicker than at 6, for a
# file about a fifth larger (25 KB against 21 for a typical card).
PNG_EFFORT = 3


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=LAYOUT)


def _paths(style: Style) -> tuple[str, str]:
    regular = style.font or str(FONTS / "DejaVuSans.ttf")
    return regular, style.bold_font or (style.font or str(FONTS / "DejaVuSans-Bold.ttf"))


def decode(data: bytes, at_least: tuple[int, int] | None = None) -> Image.Image:
    """Open untrusted image bytes as one of the web's four image formats only (never EPS
    through Ghostscript, say), with Pillow's decompression-bomb guard made an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PIXELS
        try:
            image = Image.open(io.BytesIO(data), formats=DECODED_FORMATS)
            if at_least is not None:
                # A large JPEG is decoded at a fraction of its size, still at least this big.
                image.draft("RGB", at_least)
            image.load()
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    return image.convert("RGB")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
            continue
        while font.getlength(word) > width:  # a word wider than the box is broken
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def fit_title(title: str, bold_path: str) -> tuple[int, list[str]]:
    """The largest size at which the wrapped title fits the title box, and its lines."""
    left, top, right, bottom = TITLE_BOX
    for size in range(LARGEST, SMALLEST - 1, -4):
        font = _font(bold_path, size)
        lines = _wrap(title, font, right - left)
        if len(lines) * int(size * 1.2) <= bottom - top:
            return size, lines
    font = _font(bold_path, SMALLEST)
    lines = _wrap(title, font, right - left)
    keep = (bottom - top) // int(SMALLEST * 1.2)
    if len(lines) > keep:  # even the smallest size overflows: end on an ellipsis
        last = lines[keep - 1]
        while last and font.getlength(last + "…") > right - left:
            last = last[:-1]
        lines = [*lines[: keep - 1], last.rstrip() + "…"]
    return SMALLEST, lines


def _background(image: bytes | None, style: Style) -> Image.Image:
    if image is None:
        canvas = Image.new("RGB", (WIDTH, HEIGHT), style.brand_color)
        ImageDraw.Draw(canvas).rectangle((0, HEIGHT - 16, WIDTH, HEIGHT), fill=style.accent_color)
        return canvas
    picture = decode(image, at_least=(WIDTH, HEIGHT))
    scale = max(WIDTH / picture.width, HEIGHT / picture.height)
    picture = picture.resize(
        (max(WIDTH, round(picture.width * scale)), max(HEIGHT, round(picture.height * scale))),
        Image.Resampling.LANCZOS,
        reducing_gap=2.0,  # a cheap box reduction first, Lanczos for the last factor of two
    )
    x, y = (picture.width - WIDTH) // 2, (picture.height - HEIGHT) // 2
    picture = picture.crop((x, y, x + WIDTH, y + HEIGHT))
    shade = Image.new("RGB", (WIDTH, HEIGHT), "#000000")
    return Image.blend(picture, shade, 0.62)  # dark enough for white text on any photo


def render_share_image(
    title: str,
    site_name: str,
    byline: str,
    date_text: str,
    style: Style,
    background: bytes | None = None,
    logo: bytes | None = None,
) -> ShareImage:
    regular, bold = _paths(style)
    canvas = _background(background, style)
    draw = ImageDraw.Draw(canvas)
    x = MARGIN
    if logo is not None:
        mark = decode(logo)
        mark.thumbnail((200, 56))
        canvas.paste(mark, (MARGIN, 56))
        x += mark.width + 20
    draw.text((x, 84), site_name, font=_font(bold, 30), fill=style.accent_color, anchor="lm")
    size, lines = fit_title(title, bold)
    font = _font(bold, size)
    left, top, _, _ = TITLE_BOX
    step = int(size * 1.2)
    boxes = []
    for number, line in enumerate(lines):
        position = (left, top + number * step)
        draw.text(position, line, font=font, fill=style.text_color)
        boxes.append(draw.textbbox(position, line, font=font))
    footer = " · ".join(part for part in (byline, date_text) if part)
    draw.text(
        (MARGIN, HEIGHT - 72), footer, font=_font(regular, 28), fill=style.text_color, anchor="lm"
    )
    bbox = (
        (
            int(min(b[0] for b in boxes)),
            int(min(b[1] for b in boxes)),
            int(max(b[2] for b in boxes)),
            int(max(b[3] for b in boxes)),
        )
        if boxes
        else TITLE_BOX
    )
    # A card of flat colours holds only the style's colours and the shades between them.
    known = _shades_of(style) if background is None and logo is None else None
    data, media_type = _encode(canvas, photographic=background is not None, palette=known)
    layout = Layout(TITLE_BOX, bbox, size, lines)
    return ShareImage(data, media_type, hashlib.sha256(data).hexdigest()[:16], layout)


# Shades between the brand colour and each colour drawn on it (antialiased edges): with the
# brand colour itself, 2 * 31 + 1 colours. Pillow maps pixels to a palette through a coarse
# lookup, which finds each colour's own entry only when the entries are this far apart.
SHADES = 31


@lru_cache(maxsize=16)
def _shades_of(style: Style) -> Image.Image:
    """The palette of a card without a photograph or logo: the brand colour, the text and
    accent colours over it, and the antialiased shades between them."""
    brand = ImageColor.getrgb(style.brand_color)[:3]
    colours: list[tuple[int, ...]] = [brand]
    for drawn in (style.text_color, style.accent_color):
        ink = ImageColor.getrgb(drawn)[:3]
        colours += [
            tuple(round(b + (i - b) * step / SHADES) for b, i in zip(brand, ink, strict=True))
            for step in range(1, SHADES + 1)
        ]
    flat = [channel for colour in colours for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


def _own_palette(canvas: Image.Image) -> Image.Image | None:
    """The canvas's PNG_COLOURS most used colours as a palette, where it has few in all (flat
    colours and the edges of antialiased text): mapping to them is several times quicker than
    working a palette out, and the rarest edge shades become their nearest neighbour."""
    counted = canvas.getcolors(FEW_COLOURS)
    if counted is None:
        return None
    most_used = sorted(counted, key=lambda pair: pair[0], reverse=True)[:PNG_COLOURS]
    flat = [channel for _count, rgb in most_used if isinstance(rgb, tuple) for channel in rgb]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


def _encode(
    canvas: Image.Image, photographic: bool, palette: Image.Image | None = None
) -> tuple[bytes, str]:
    """A photograph as JPEG; flat colours and text as a palette PNG (`palette`, when the
    colours are known beforehand), which at this size and with antialiased text loses nothing
    the eye sees, and is several times smaller and quicker to encode than a full-colour one."""
    if not photographic:
        out = io.BytesIO()
        own = palette or _own_palette(canvas)
        if own is not None:
            palette = canvas.quantize(palette=own, dither=Image.Dither.NONE)
        else:
            palette = canvas.quantize(
                colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
        palette.save(out, "PNG", compress_level=PNG_EFFORT)
        if out.tell() <= MAX_BYTES:
            return out.getvalue(), "image/png"
    for quality in (85, 78, 70, 60):
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    return out.getvalue(), "image/jpeg"

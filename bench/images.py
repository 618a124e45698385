"""Share images rendered per second by one worker process (one core), for a plain background
and for a photograph; `--examples DIR` also writes two example images."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from syndicate.images import Style, render_share_image
from tests.fakes.images import photo_bytes

TITLES = [
    "Council approves the new river crossing after three years of debate",
    "Ελλάδα και Россия: «Κρίση» & <ένωση> στη Θεσσαλονίκη",
    "Short",
    "A very long headline that goes on and on about the budget, the bridge, the tunnel and "
    "the trams, and still has more to say about the timetable for the works",
]


def rate(background: bytes | None, count: int) -> float:
    started = time.perf_counter()
    for n in range(count):
        render_share_image(
            TITLES[n % len(TITLES)] + f" {n}",
            "Example Newsroom",
            "Ada Reporter",
            "24 November 2026",
            Style(),
            background,
        )
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--examples", type=Path)
    args = parser.parse_args()
    photo = photo_bytes(2400, 1350)
    print(f"Share images per second, one process ({args.count} each)")
    print(f"  brand background: {rate(None, args.count):6.1f}")
    print(f"  photograph:       {rate(photo, args.count // 2):6.1f}")
    if args.examples:
        args.examples.mkdir(parents=True, exist_ok=True)
        for name, title, author, background in (
            ("share-image-plain.png", TITLES[0], "Ada Reporter", None),
            ("share-image-greek.png", TITLES[1], "Ζωή Ångström", None),
        ):
            image = render_share_image(
                title, "Example Newsroom", author, "24 November 2026", Style(), background
            )
            (args.examples / name).write_bytes(image.data)
            print(f"  wrote {args.examples / name}")


if __name__ == "__main__":
    main()

"""Fan-out to the fediverse: one article to 10,000 followers on 1,000 servers (loopback
receivers, each on its own port, each verifying the HTTP Signature of what it is sent, as a
real server does). Measures the time from the webhook's 202 until every server has the
`Create`, and deliveries per second for the one worker; then checks that each server got it
exactly once and that every signature verified.

    scripts/bench activitypub [--followers 10000] [--hosts 1000] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter

import httpx

from bench.stack import Stack
from syndicate.activitypub.followers import follower_values
from syndicate.activitypub.signatures import Incoming, SignatureRefused, verify
from syndicate.models import ApFollower, utcnow
from tests.client import article

FEDIVERSE = (
    '[site.activitypub]\nenabled = true\nusername = "news"\n'
    '[[channels]]\nname = "fediverse"\nplatform = "activitypub"\nauto_approve = true\n'
)


class Servers:
    """`count` inboxes, one server each on its own loopback port, in one event loop."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.public_key = ""
        self.received: Counter[tuple[int, str]] = Counter()
        self.refused = 0
        self.lock = threading.Lock()
        self.ports: list[int] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(60)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._open())
        self.ready.set()
        self.loop.run_forever()

    async def _open(self) -> None:
        for _ in range(self.count):
            server = await asyncio.start_server(self._answer, "127.0.0.1", 0, backlog=64)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            port = writer.get_extra_info("sockname")[1]
            status = self._verify(method, f"http://127.0.0.1:{port}{target}", headers, body, port)
            writer.write(
                f"HTTP/1.1 {status} OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ValueError, ConnectionError):
            pass
        finally:
            writer.close()

    def _verify(
        self, method: str, url: str, headers: dict[str, str], body: bytes, port: int
    ) -> int:
        try:
            verify(Incoming(method, url, headers, body), lambda key_id, fresh: self.public_key)
        except SignatureRefused:
            self.refused += 1
            return 401
        activity = json.loads(body)
        with self.lock:
            self.received[(port, str(activity.get("object", {}).get("id")))] += 1
        return 202

    def having(self, object_id: str) -> int:
        with self.lock:
            return sum(1 for (_, found) in self.received if found == object_id)

    def twice(self, object_id: str) -> int:
        with self.lock:
            return sum(1 for (_, found), n in self.received.items() if found == object_id and n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    servers = Servers(args.hosts)
    env = {"SYNDICATE_ACTIVITYPUB_ALLOW_PRIVATE": "true"}
    with Stack(FEDIVERSE, concurrency=args.concurrency, env=env) as stack:
        answer = httpx.get(f"{stack.base_url}/ap/actors/news", timeout=30)
        if answer.status_code != 200:
            raise SystemExit(f"the site actor is not served: {answer.status_code} {answer.text}")
        actor = answer.json()
        servers.public_key = actor["publicKey"]["publicKeyPem"]
        with stack.runtime.factory.begin() as session:
            for n in range(args.followers):
                host = f"http://127.0.0.1:{servers.ports[n % args.hosts]}"
                session.add(
                    ApFollower(
                        **follower_values(
                            "news",
                            f"{host}/users/u{n}",
                            f"{host}/users/u{n}/inbox",
                            f"{host}/inbox",
                            "accepted",
                            utcnow(),
                        )
                    )
                )
        art = article("fediverse-bench-1", title="One article for ten thousand followers")
        object_id = f"{stack.base_url}/ap/articles/{art['id']}"
        answered = stack.publish(art)
        deadline = answered + args.timeout
        while servers.having(object_id) < args.hosts and time.perf_counter() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - answered
        reached = servers.having(object_id)
        twice = servers.twice(object_id)
        shape = f"{args.followers} followers on {args.hosts} servers"
        print(f"{shape}, one worker with --concurrency={args.concurrency}")
        print(f"every server had the Create after {elapsed:.1f} s ({reached}/{args.hosts} servers)")
        print(f"deliveries per second: {reached / elapsed:.0f}")
        print(f"servers that got it twice: {twice}; signatures refused: {servers.refused}")


if __name__ == "__main__":
    main()

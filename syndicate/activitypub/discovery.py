"""How other servers find the actors: WebFinger (RFC 7033) for `acct:` handles, host-meta
(RFC 6415) pointing at it, and NodeInfo 2.1 describing the server."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from syndicate import __version__
from syndicate.activitypub.actors import ACTIVITY_JSON, Actor, Addresses

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_TYPE = f'application/json; profile="{NODEINFO_SCHEMA}#"'
JRD = "application/jrd+json"
XRD = "application/xrd+xml"


def webfinger(
    resource: str, actors: dict[str, Actor], where: Addresses, profile: str
) -> dict[str, Any] | None:
    """The JRD for `acct:name@domain` or an actor's URL; None for anyone else."""
    name = None
    if resource.startswith("acct:"):
        user, _, host = resource.removeprefix("acct:").lstrip("@").rpartition("@")
        if host.lower() == where.domain.lower():
            name = user.lower()
    else:
        name = next((n for n in actors if where.actor(n) == resource), None)
    if name not in actors:
        return None
    return {
        "subject": f"acct:{where.handle(name)}",
        "aliases": [where.actor(name)],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": where.actor(name)},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
        ],
    }


def host_meta(where: Addresses) -> str:
    template = quoteattr(f"{where.base}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="{JRD}" template={template}/>\n'
        "</XRD>\n"
    )


def nodeinfo_links(where: Addresses) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{where.base}/nodeinfo/2.1"}]}


def nodeinfo(actors: int, articles: int, name: str) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {
            "name": "syndicate",
            "version": __version__,
            "repository": "https://github.com/syndicate-news/syndicate",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": actors, "activeMonth": actors, "activeHalfyear": actors},
            "localPosts": articles,
        },
        "metadata": {"nodeName": name},
    }

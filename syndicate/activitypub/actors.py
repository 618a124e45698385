"""The newsroom's actors: the site (a `Service`) and each author the site file names (a
`Person`), their documents as other servers read them, and their key pairs (made once, the
private half sealed)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from syndicate.config import SiteConfig
from syndicate.db import insert_ignoring_conflicts
from syndicate.feeds.scopes import KIND_PREFIX
from syndicate.models import ApActor, utcnow
from syndicate.slugs import slugify

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@dataclass(frozen=True)
class Actor:
    name: str  # the username: @name@domain
    kind: str  # Service (the site) or Person (an author)
    display_name: str
    author: str | None = None  # the author's name in the articles


def actors_of(site: SiteConfig) -> dict[str, Actor]:
    """Every actor the site has, by username; none while ActivityPub is off."""
    settings = site.activitypub
    if not settings.enabled:
        return {}
    found = {settings.username: Actor(settings.username, "Service", site.title)}
    for author, name in settings.authors.items():
        found[name] = Actor(name, "Person", author, author)
    return found


class Addresses:
    """Where the actors live, from the base URL, and the host in their handles."""

    def __init__(self, base_url: str, site: SiteConfig) -> None:
        self.base = base_url.rstrip("/")
        self.domain = site.activitypub.domain or (urlsplit(self.base).netloc)

    def actor(self, name: str) -> str:
        return f"{self.base}/ap/actors/{name}"

    def key(self, name: str) -> str:
        return f"{self.actor(name)}#main-key"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/ap/inbox"

    def handle(self, name: str) -> str:
        return f"{name}@{self.domain}"


def key_pair(session: Session, name: str) -> ApActor:
    """The actor's keys, made the first time they are needed (by whichever process is first)."""
    row = session.get(ApActor, name)
    if row is not None:
        return row
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    insert_ignoring_conflicts(
        session,
        ApActor,
        [
            {
                "name": name,
                "private_key": private_pem,
                "public_key": public_pem,
                "created_at": utcnow(),
            }
        ],
    )
    return session.get_one(ApActor, name, populate_existing=True)


def document(
    actor: Actor, site: SiteConfig, where: Addresses, public_key: str
) -> dict[str, object]:
    """The actor as other servers read it."""
    me = where.actor(actor.name)
    url = site.link or where.base
    if actor.author is not None:
        url = f"{where.base}/feeds/{KIND_PREFIX['author']}/{slugify(actor.author)}/atom.xml"
    found: dict[str, object] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": me,
        "type": actor.kind,
        "preferredUsername": actor.name,
        "name": actor.display_name,
        "summary": site.description if actor.author is None else "",
        "url": url,
        "inbox": f"{me}/inbox",
        "outbox": f"{me}/outbox",
        "followers": f"{me}/followers",
        "following": f"{me}/following",
        "featured": f"{me}/featured",
        "endpoints": {"sharedInbox": where.shared_inbox},
        "manuallyApprovesFollowers": site.activitypub.approve_followers,
        "discoverable": True,
        "publicKey": {"id": where.key(actor.name), "owner": me, "publicKeyPem": public_key},
    }
    if site.icon:
        found["icon"] = {"type": "Image", "url": site.icon}
    if site.logo:
        found["image"] = {"type": "Image", "url": site.logo}
    return found

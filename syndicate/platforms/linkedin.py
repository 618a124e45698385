"""LinkedIn: 3000 characters of "little" text, every reserved character escaped; the link
travels in the article content block, whose card LinkedIn does not scrape itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from syndicate.platforms.base import (
    Counts,
    Draft,
    Limits,
    Platform,
    Receipt,
    SentPost,
    nothing_posted,
)
from syndicate.platforms.options import Grant
from syndicate.text import same_words, utf16_length

API = "https://api.linkedin.com"
OAUTH = "https://www.linkedin.com"
VERSION = "202510"
# The article's thumbnailAltText, as the Posts API bounds it.
ALT_TEXT_LIMIT = 4086

# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
# Unescaped, these can make LinkedIn cut the post short.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
# In a reviewer's text: what is already little text (an escape, a hashtag or a mention
# template) is kept; a typed #word becomes a hashtag; any other reserved character is escaped.
_EDIT_TOKEN = re.compile(
    r"(?P<kept>\\[\\|{}@\[\]()<>#*_~]"  # an escaped character
    r"|\{hashtag\|\\#\|[^{}|\\]+\}"  # {hashtag|\#|Word}
    r"|@\[[^\[\]]+\]\(urn:li:[a-z]+:[^()\s]+\))"  # @[Name](urn:li:person:…)
    r"|(?<![\w#])#(?P<hashtag>[^\W_][\w]*)"
    r"|(?P<reserved>[\\|{}@\[\]()<>#*_~])"
)


class LinkedIn(Platform):
    name = "linkedin"
    # 3000 for `commentary` (secondary sources); counted in UTF-16 units, as LinkedIn's
    # JavaScript does, which is never less than the characters a person sees.
    limits: ClassVar[Limits] = Limits(max_length=3000, unit="characters")
    link_travels_separately = True

    def measure(self, text: str) -> int:
        return utf16_length(text)

    def escape(self, text: str) -> str:
        return _RESERVED.sub(r"\\\1", text)

    def hashtag(self, word: str) -> str:
        return "{hashtag|\\#|" + word + "}"

    def mention(self, name: str, handle: str) -> str:
        """A person's or organisation's URN (urn:li:person:…) becomes a real mention,
        `@[Name](urn)`; anything else is only their name."""
        shown = re.sub(r"[\[\]()]", "", name).strip()
        if re.fullmatch(r"urn:li:(person|organization):[A-Za-z0-9_-]+", handle.strip()):
            return f"@[{shown}]({handle.strip()})"
        return self.escape(shown)

    def edited_text(self, text: str) -> str:
        def mend(match: re.Match[str]) -> str:
            if match.group("kept"):
                return match.group("kept")
            if match.group("hashtag"):
                return self.hashtag(match.group("hashtag"))
            return "\\" + match.group("reserved")

        return _EDIT_TOKEN.sub(mend, text)

    def finish(self, draft: Draft) -> Draft:
        article = draft.extras.get("article") or {}
        draft.extras["content"] = {
            "article": {
                "source": draft.link,
                "title": article.get("title", ""),
                "description": article.get("summary", ""),
            }
        }
        return draft

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {
            "author": self.channel.target,
            "commentary": draft.text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "content": draft.extras.get("content"),
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }

    can_delete = True
    # Tokens last 60 days; one the app can renew is renewed a day ahead.
    refresh_margin: ClassVar[timedelta] = timedelta(days=1)

    def renew(self, refresh_token: str) -> Grant:
        """https://learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens"""
        host = (self.channel.url or OAUTH).rstrip("/")
        with nothing_posted():
            answer = self.request(
                "POST",
                f"{host}/oauth/v2/accessToken",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.channel.client_id,
                    "client_secret": self.channel.client_secret(),
                },
            ).json()
        expires_in = answer.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        return Grant(
            str(answer["access_token"]),
            str(answer.get("refresh_token") or refresh_token),
            expires_at,
        )

    def _headers(self) -> dict[str, str]:
        # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
        return {
            "Authorization": f"Bearer {self.token()}",
            "LinkedIn-Version": self.channel.api_version or VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def _url(self, path: str) -> str:
        return f"{(self.channel.url or API).rstrip('/')}{path}"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        body = self.payload(draft, idempotency_key)
        image = self.upload_thumbnail(draft)
        if image and body.get("content", {}).get("article"):
            card = {**body["content"]["article"], "thumbnail": image}
            alt = str(draft.extras.get("alt") or "")[:ALT_TEXT_LIMIT]
            if alt:
                card["thumbnailAltText"] = alt
            body["content"] = {"article": card}
        response = self.request(
            "POST", self._url("/rest/posts"), headers=self._headers(), json=body
        )
        urn = response.headers.get("x-restli-id", "")
        return Receipt(
            response.status_code,
            urn,
            f"https://www.linkedin.com/feed/update/{urn}/" if urn else None,
        )

    def upload_thumbnail(self, draft: Draft) -> str | None:
        """Upload the share image for the article card; return its image URN.

        https://learn.microsoft.com/linkedin/marketing/community-management/shares/images-api:
        initialise an upload for the author, PUT the bytes to the URL LinkedIn gives, and name
        the image in the post. LinkedIn does not fetch the card image from the page itself.
        """
        if draft.thumbnail is None:
            return None
        data, media_type = draft.thumbnail
        with nothing_posted():
            started = self.request(
                "POST",
                self._url("/rest/images?action=initializeUpload"),
                headers=self._headers(),
                json={"initializeUploadRequest": {"owner": self.channel.target}},
            ).json()["value"]
            self.request(
                "PUT",
                started["uploadUrl"],
                headers={"Authorization": f"Bearer {self.token()}", "Content-Type": media_type},
                data=data,
            )
        return str(started["image"])

    can_reply = True
    finds_own_replies = True

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        """A comment on the share, by its author.
        https://learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api
        """
        urn = str(parent.receipt.remote_id)
        response = self.request(
            "POST",
            self._comments_url(urn),
            headers=self._headers(),
            json={"actor": self.channel.target, "object": urn, "message": {"text": draft.text}},
        )
        comment = response.json() if response.content else {}
        comment_urn = str(
            comment.get("commentUrn") or comment.get("$URN") or response.headers.get("x-restli-id")
        )
        return Receipt(response.status_code, comment_urn, parent.receipt.url)

    def find_reply(self, parent: SentPost, draft: Draft) -> Receipt | None:
        urn = str(parent.receipt.remote_id)
        found = self.request("GET", self._comments_url(urn), headers=self._headers()).json()
        for comment in found.get("elements", []):
            text = (comment.get("message") or {}).get("text") or ""
            if comment.get("actor") == self.channel.target and same_words(text, draft.text):
                comment_urn = str(comment.get("commentUrn") or comment.get("$URN"))
                return Receipt(200, comment_urn, parent.receipt.url)
        return None

    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        """The share's social metadata: its likes and comments (LinkedIn gives no reposts
        here)."""
        urn = quote(str(sent.receipt.remote_id), safe="")
        found = self.request(
            "GET", self._url(f"/rest/socialActions/{urn}"), headers=self._headers()
        ).json()
        return Counts(
            likes=(found.get("likesSummary") or {}).get("totalLikes"),
            replies=(found.get("commentsSummary") or {}).get("aggregatedTotalComments"),
        )

    def _comments_url(self, urn: str) -> str:
        return self._url(f"/rest/socialActions/{quote(urn, safe='')}/comments")

    finds_own_posts = True

    def find_sent(self, draft: Draft) -> Receipt | None:
        # https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
        # "Find Posts by Authors": the author's newest posts, each with its article block.
        recent = self.request(
            "GET",
            self._url("/rest/posts"),
            headers={**self._headers(), "X-RestLi-Method": "FINDER"},
            params={"author": self.channel.target, "q": "author", "count": 20},
        ).json()
        for post in recent.get("elements", []):
            article = (post.get("content") or {}).get("article") or {}
            if article.get("source") == draft.link:
                urn = str(post["id"])
                return Receipt(200, urn, f"https://www.linkedin.com/feed/update/{urn}/")
        return None

    def check(self) -> str:
        # https://learn.microsoft.com/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
        response = self.request(
            "GET", self._url("/v2/userinfo"), headers={"Authorization": f"Bearer {self.token()}"}
        )
        return str(response.json().get("name") or response.json().get("sub"))

    can_edit = True

    def edit(self, sent: SentPost, draft: Draft) -> None:
        # https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
        # "Update Posts": a partial update may change the commentary.
        urn = quote(str(sent.receipt.remote_id), safe="")
        self.request(
            "POST",
            self._url(f"/rest/posts/{urn}"),
            headers={**self._headers(), "X-RestLi-Method": "PARTIAL_UPDATE"},
            json={"patch": {"$set": {"commentary": draft.text}}},
        )

    def delete(self, sent: SentPost) -> None:
        urn = quote(str(sent.receipt.remote_id), safe="")
        self.request("DELETE", self._url(f"/rest/posts/{urn}"), headers=self._headers())

"""LinkedIn: 3000 characters of "little" text, every reserved character escaped; the link
travels in the article content block, whose card LinkedIn does not scrape itself."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import quote

from syndicate.platforms.base import Draft, Limits, Platform, Receipt, SentPost, nothing_posted
from syndicate.text import utf16_length

API = "https://api.linkedin.com"
VERSION = "202510"

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
            body["content"] = {"article": {**body["content"]["article"], "thumbnail": image}}
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

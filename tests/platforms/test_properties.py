"""For any text at all, every platform's post is within its limit and keeps its link."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.platforms import PLATFORMS
from syndicate.platforms.bluesky import LINK, MENTION, TAG
from tests.platforms.conftest import URL, compose_for, make_article

# Any Unicode but surrogates and control characters (which the webhook cannot carry as text).
TEXT = st.characters(blacklist_categories=("Cs", "Cc"))
titles = st.text(TEXT, min_size=1, max_size=300).filter(lambda t: t.strip())
summaries = st.text(TEXT, max_size=1500)
tags = st.lists(st.text(TEXT, min_size=1, max_size=40), max_size=8)
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(title=titles, summary=summaries, tag_list=tags, platform=st.sampled_from(sorted(PLATFORMS)))
def test_every_post_fits_and_keeps_its_link(
    title: str, summary: str, tag_list: list[str], platform: str
) -> None:
    article = make_article(title=title, summary=summary, tags=tag_list)
    composed, adapter = compose_for(platform, article, tracking={"utm_source": platform})
    draft = composed.draft
    assert composed.problems == []
    assert adapter.measure(draft.text) <= adapter.max_length
    assert draft.text.strip()
    link = URL + f"?utm_source={platform}"
    assert draft.link == link
    if platform in ("linkedin", "facebook"):
        assert adapter.payload(draft, "k").get("link", link) == link
    elif platform not in ("bluesky", "activitypub"):  # the fediverse's is the Article's url
        assert link in draft.text


@SETTINGS
@given(title=titles, summary=summaries, tag_list=tags)
def test_bluesky_facets_cover_exactly_their_link_tag_or_mention(
    title: str, summary: str, tag_list: list[str]
) -> None:
    composed, _ = compose_for("bluesky", make_article(title=title, summary=summary, tags=tag_list))
    data = composed.draft.text.encode()
    links = []
    for facet in composed.draft.extras["facets"]:
        covered = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
        (feature,) = facet["features"]
        if feature["$type"] == LINK:
            links.append(feature["uri"])
            assert covered and covered.rstrip("…") in feature["uri"].split("://", 1)[1]
        elif feature["$type"] == MENTION:
            assert covered.lower() == "@" + feature["handle"]
        else:
            assert feature["$type"] == TAG
            assert covered in ("#" + feature["tag"], "\uff03" + feature["tag"])
    assert URL in links

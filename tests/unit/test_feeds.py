"""Atom feeds out: the CAP index lists what a subscriber should know about at build time, and
the generic writer gives any feed reader well-formed RFC 4287 with text that stays text.

The notices are the shipped (real) ones with the demo overlay's invented ones laid over them:
the demo's Alert -> Update and Alert -> Cancel chains exercise every case of the index."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

from tests.conftest import ROOT
from tourhub import pipeline
from tourhub.model.build import build_model
from tourhub.model.records import Model
from tourhub.publish.atom import AtomEntry, atom_feed
from tourhub.publish.cap import cap_feed, cap_files

CST = timezone(timedelta(hours=8))
SHIPPED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=CST)
BASE_URL = "https://data.example.org/hub/"
HOSTILE = '<script>alert("x")</script> & ]]> &amp; "quotes" \'apos\' 景区'


@pytest.fixture(scope="module")
def typed() -> dict:
    validated = pipeline.check(ROOT, SHIPPED_AT, demo=True)
    assert not validated.problems
    return validated.typed


@pytest.fixture(scope="module")
def model(typed) -> Model:
    return build_model(typed, SHIPPED_AT)


def parsed_index(model: Model):
    pages = {page.path: page.content for page in cap_files(model, BASE_URL)}
    return feedparser.parse(pages["cap/index.atom"])


def notice_id(entry) -> str:
    """The notice an entry is about, from its link to cap/<id>.xml. (feedparser's `entry.link`
    only takes HTML links, so read the alternate link itself.)"""
    (link,) = entry.links
    return link.href.removeprefix(f"{BASE_URL}cap/").removesuffix(".xml")


def listed(feed) -> set[str]:
    return {notice_id(entry) for entry in feed.entries}


def expected_in_index(model: Model) -> set[str]:
    """Active and upcoming notices, plus Cancel messages sent and not yet expired."""
    current = {n.id for n in model.notices if model.notice_state(n) in ("active", "upcoming")}
    cancels = {n.id for n in model.notices
               if n.msg_type == "Cancel" and n.sent.start <= model.built_at < n.expires.end}
    return current | cancels


def test_the_cap_index_parses_cleanly_as_atom(model):
    feed = parsed_index(model)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title.startswith("巴蜀文旅安全提示")
    assert feed.feed.author == "巴蜀文旅开放数据 · Bashu Travel Open Data"


def test_the_index_lists_active_and_upcoming_notices_at_build_time(model):
    feed = parsed_index(model)
    assert len(feed.entries) == len(expected_in_index(model))
    assert listed(feed) == expected_in_index(model) == {
        "emeishan-snow-2026-12", "huayingshan-forest-fire-2026", "jinfoshan-road-ice-2026-11"}


def test_a_cancel_is_listed_while_current_instead_of_the_alert_it_cancels(typed):
    during = build_model(typed, datetime(2026, 9, 16, 12, 0, tzinfo=CST))
    ids = listed(parsed_index(during))
    assert "wulong-road-closure-2026-09-cancel" in ids
    assert "wulong-road-closure-2026-09" not in ids
    assert ids == expected_in_index(during)
    cancel = next(e for e in parsed_index(during).entries if notice_id(e).endswith("-cancel"))
    assert "Cancels: Rockfall closes the Three Natural Bridges trail in Wulong" in cancel.summary


def test_the_alert_is_listed_until_its_cancel_is_sent(typed):
    before = build_model(typed, datetime(2026, 9, 14, 12, 0, tzinfo=CST))
    ids = listed(parsed_index(before))
    assert "wulong-road-closure-2026-09" in ids
    assert "wulong-road-closure-2026-09-cancel" not in ids


def test_a_cancel_leaves_the_index_once_it_expires(typed):
    after = build_model(typed, datetime(2026, 9, 21, 12, 0, tzinfo=CST))
    ids = listed(parsed_index(after))
    assert not {"wulong-road-closure-2026-09", "wulong-road-closure-2026-09-cancel"} & ids


def test_an_update_replaces_the_alert_it_updates(typed):
    during = build_model(typed, datetime(2026, 10, 4, 12, 0, tzinfo=CST))
    ids = listed(parsed_index(during))
    assert "leshan-holiday-crowd-2026-10-update" in ids
    assert "leshan-holiday-crowd-2026-10" not in ids
    assert ids == expected_in_index(during)


def test_index_links_are_absolute_and_point_at_cap_files(model):
    feed = parsed_index(model)
    assert {(link.rel, link.href) for link in feed.feed.links} == {
        ("self", f"{BASE_URL}cap/index.atom"), ("alternate", f"{BASE_URL}notices/")}
    for entry in feed.entries:
        (link,) = entry.links
        assert link.rel == "alternate" and link.type == "application/cap+xml"
        assert link.href.startswith(f"{BASE_URL}cap/") and link.href.endswith(".xml")


def test_index_entries_are_newest_first_with_severity_as_category(model):
    entries = parsed_index(model).entries
    updated = [entry.updated_parsed for entry in entries]
    assert updated == sorted(updated, reverse=True)
    for entry in entries:
        notice = model.notice_by_id[notice_id(entry)]
        assert [tag.term for tag in entry.tags] == [notice.severity]
        title = f"{notice.headline.zh} / {notice.headline.en}"
        if notice.illustrative:      # every demo notice says so first, in both languages
            title = f"【示例 · 虚构数据】{notice.headline.zh} / [DEMO · invented data] {notice.headline.en}"
        assert entry.title == title


def test_entry_ids_are_stable_urns_whatever_the_build_time_or_host(typed, model):
    first = {notice_id(e): e.id for e in parsed_index(model).entries}
    later = build_model(typed, SHIPPED_AT + timedelta(hours=1))
    assert {notice_id(e): e.id for e in parsed_index(later).entries} == first
    assert all(value.startswith("urn:uuid:") for value in first.values())
    assert len(set(first.values())) == len(first)
    moved = feedparser.parse(cap_feed(model, "https://mirror.example.net/"))
    assert {e.id for e in moved.entries} == set(first.values())


def hostile_feed(**overrides) -> bytes:
    entry = AtomEntry(id="urn:uuid:00000000-0000-5000-8000-000000000001", title=HOSTILE,
                      updated=datetime(2026, 11, 1, 9, 0, tzinfo=CST), link="https://example.org/a?x=1&y=2",
                      link_type="text/html", summary=HOSTILE + "\nsecond line", categories=(HOSTILE,))
    arguments = dict(feed_id="urn:uuid:00000000-0000-5000-8000-000000000000", title=HOSTILE,
                     updated=datetime(2026, 11, 2, tzinfo=UTC), self_url="https://example.org/feed.atom",
                     alternate_url="https://example.org/", entries=[entry], author=HOSTILE)
    return atom_feed(**{**arguments, **overrides})


def test_hostile_text_round_trips_through_a_feed_reader():
    content = hostile_feed()
    assert b"<script" not in content
    feed = feedparser.parse(content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert feed.feed.title == HOSTILE and feed.feed.author == HOSTILE
    assert entry.title == HOSTILE
    assert entry.summary == HOSTILE + "\nsecond line"
    assert [tag.term for tag in entry.tags] == [HOSTILE]
    assert entry.link == "https://example.org/a?x=1&y=2"


def test_feed_times_are_rfc_3339_with_an_offset():
    content = hostile_feed().decode("utf-8")
    assert "<updated>2026-11-02T00:00:00+00:00</updated>" in content
    assert "<updated>2026-11-01T09:00:00+08:00</updated>" in content


def test_entries_come_newest_first_whatever_order_they_are_given_in():
    day = datetime(2026, 11, 1, tzinfo=CST)
    entries = [AtomEntry(f"urn:x:{n}", f"entry {n}", day + timedelta(days=n), f"https://example.org/{n}")
               for n in (2, 0, 3, 1)]
    content = hostile_feed(entries=entries)
    assert [e.title for e in feedparser.parse(content).entries] == ["entry 3", "entry 2", "entry 1", "entry 0"]
    assert hostile_feed(entries=list(reversed(entries))) == content


def test_a_feed_without_entries_is_still_valid_atom():
    feed = feedparser.parse(hostile_feed(entries=[], alternate_url=None))
    assert feed.bozo == 0 and feed.version == "atom10" and feed.entries == []
    assert [link.rel for link in feed.feed.links] == ["self"]


@pytest.mark.parametrize("overrides", [
    {"updated": datetime(2026, 11, 2)},
    {"self_url": "/feed.atom"},
    {"entries": [AtomEntry("urn:x:1", "t", datetime(2026, 11, 2, tzinfo=CST), "relative/page/")]},
    {"entries": [AtomEntry("urn:x:1", "t", datetime(2026, 11, 2), "https://example.org/")]},
])
def test_naive_times_and_relative_links_are_refused(overrides):
    with pytest.raises(ValueError):
        hostile_feed(**overrides)


def test_characters_xml_cannot_carry_do_not_break_the_feed():
    feed = feedparser.parse(hostile_feed(title="bell\x07 and nul\x00"))
    assert feed.bozo == 0
    assert feed.feed.title == "bell\ufffd and nul\ufffd"

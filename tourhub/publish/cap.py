"""Safety notices out as OASIS CAP 1.2 alerts, one XML file each, plus an Atom index of the
alerts a subscriber should know about now.

- `cap/<notice-id>.xml` for every notice, in force or not, so a `references` triple always
  resolves to a file.
- One `<info>` per language (zh-CN, en-US); an `<area>` with the notice's area text, a circle
  per scenic area ("lat,lon radius_km": latitude first, the reverse of GeoJSON) and a GB/T 2260
  geocode per county-level admin code.
- Times follow CAP §3.3.2: whole seconds and a numeric offset, no "Z"; UTC is written "-00:00".
- A notice published with a day but no time goes out with `sent` at 00:00 China time and a
  `<note>` saying so (CAP requires a full time); one that states no end has no `expires` and
  is not in the index (it is never shown as surely in force).
- `cap/index.atom` lists Alerts and Updates that are active or upcoming at build time, and
  Cancel messages from when they are sent until they expire. A notice that was cancelled or
  updated leaves the feed at the moment its Cancel/Update is sent, so at any time the feed shows
  either a notice or the message that replaced it, and a subscriber learns of the cancel.

Element order follows the CAP 1.2 XML Schema (tests validate every file against it).
"""
from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from tourhub.core.page import Page
from tourhub.model.records import Model, Notice, ScenicArea, Text, marked
from tourhub.publish.atom import AtomEntry, atom_feed, require_absolute, serialize, xml_text

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
CAP_DIR = "cap"
FEED_PATH = f"{CAP_DIR}/index.atom"

SENDER = "bashu-travel-open-data"            # the datapackage name; stable, no spaces or commas
SENDER_NAME = Text("巴蜀文旅开放数据", "Bashu Travel Open Data")
LANGUAGES = (("zh", "zh-CN"), ("en", "en-US"))
MIN_RADIUS_KM = 5.0
GEOCODE_NAME = "GB/T 2260"

# Atom ids are URNs derived from (sender, identifier), the pair CAP itself uses to name a
# message, under a namespace fixed forever: renaming the site or moving it keeps every id.
ATOM_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, CAP_NS)

ILLUSTRATIVE_NOTE = ("示例数据：为演示本站功能而虚构，并未真实发布。 / "
                     "Demo data: invented to show the hub working, never really issued.")
DAY_ONLY_NOTE = ("发布单位只公布了发布日期，sent 为当日 00:00（北京时间）。 / "
                 "The issuer published the day only; sent is 00:00 China time that day.")
FEED_TITLE = "巴蜀文旅安全提示（CAP 1.2） / Bashu Travel safety notices (CAP 1.2)"
REPLACES = {"Update": Text("更新", "Update of"), "Cancel": Text("取消", "Cancels")}

_CAP_FORBIDDEN = re.compile(r"[\s,<&]")


def cap_time(moment: datetime) -> str:
    """`2026-11-29T12:00:00+08:00`: CAP's dateTime (no fractions, no "Z", UTC as -00:00).
    An offset with seconds, which CAP cannot write, is given in UTC instead."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"a CAP time needs a UTC offset: {moment.isoformat()}")
    if offset % timedelta(minutes=1):
        moment, offset = moment.astimezone(UTC), timedelta(0)
    stamp = moment.replace(microsecond=0, tzinfo=None).isoformat()
    if not offset:
        return stamp + "-00:00"
    sign, minutes = ("+" if offset > timedelta(0) else "-"), abs(offset) // timedelta(minutes=1)
    return f"{stamp}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def identifier(notice_id: str) -> str:
    """The alert's CAP identifier: the sender plus the notice id (stable and unique)."""
    if not notice_id or _CAP_FORBIDDEN.search(notice_id):
        raise ValueError(f"a CAP identifier cannot contain spaces, commas, < or &: {notice_id!r}")
    return f"{SENDER}:{notice_id}"


def reference(notice: Notice) -> str:
    """The notice as CAP names an earlier message in `references`: sender,identifier,sent."""
    return f"{SENDER},{identifier(notice.id)},{cap_time(notice.sent.start)}"


def atom_id(notice_id: str) -> str:
    """The feed entry's id: a name-based UUID URN of the CAP (sender, identifier) pair."""
    return uuid.uuid5(ATOM_ID_NAMESPACE, f"{SENDER},{identifier(notice_id)}").urn


def site_base(base_url: str) -> str:
    """The site's absolute base URL, ending in one slash."""
    return require_absolute(base_url).rstrip("/") + "/"


def cap_path(notice_id: str) -> str:
    return f"{CAP_DIR}/{notice_id}.xml"


def notice_url(notice_id: str, base_url: str, lang: str) -> str:
    """Where people read the notice: its own page, in that language."""
    prefix = "" if lang == "zh" else f"{lang}/"
    return f"{site_base(base_url)}{prefix}notices/{notice_id}/"


def _number(value: float) -> str:
    """A decimal without exponent or trailing zeros: 29.5, 103.77, 5."""
    return format(value, ".6f").rstrip("0").rstrip(".")


def circle(area: ScenicArea) -> str:
    """CAP circle "lat,lon radius_km" around the area: at least MIN_RADIUS_KM, or the area's
    coordinate uncertainty if that is larger."""
    radius = max(MIN_RADIUS_KM, area.coord_uncertainty_km or 0.0)
    return f"{_number(area.lat)},{_number(area.lon)} {_number(radius)}"


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = xml_text(text)
    return element


def _value_pair(parent: ET.Element, name: str, value_name: str, value: str) -> None:
    pair = _add(parent, name)
    _add(pair, "valueName", value_name)
    _add(pair, "value", value)


def _area(parent: ET.Element, notice: Notice, model: Model, lang: str) -> None:
    area = _add(parent, "area")
    _add(area, "areaDesc", notice.area_desc.in_(lang))
    for spot_id in notice.spot_ids:
        _add(area, "circle", circle(model.area_by_id[spot_id]))
    for code in notice.admin_codes:
        _value_pair(area, "geocode", GEOCODE_NAME, code)


def _info(parent: ET.Element, notice: Notice, model: Model, base_url: str, lang: str, language: str) -> None:
    info = _add(parent, "info")
    _add(info, "language", language)
    _add(info, "category", notice.category)
    _add(info, "event", notice.event.in_(lang))
    _add(info, "urgency", notice.urgency)
    _add(info, "severity", notice.severity)
    _add(info, "certainty", notice.certainty)
    _add(info, "effective", cap_time(notice.effective.start))
    if notice.expires is not None:           # a notice that states no end has no expires (CAP allows it)
        _add(info, "expires", cap_time(notice.expires.end))
    _add(info, "senderName", notice.sender.in_(lang))
    _add(info, "headline", marked(notice.headline.in_(lang), notice.illustrative, lang))
    _add(info, "description", notice.description.in_(lang))
    _add(info, "instruction", notice.instruction.in_(lang))
    _add(info, "web", notice_url(notice.id, base_url, lang))
    _area(info, notice, model, lang)


def cap_alert(notice: Notice, model: Model, base_url: str) -> bytes:
    """The notice as one CAP 1.2 `<alert>` document (UTF-8, with XML declaration)."""
    alert = ET.Element("alert", xmlns=CAP_NS)
    _add(alert, "identifier", identifier(notice.id))
    _add(alert, "sender", SENDER)
    _add(alert, "sent", cap_time(notice.sent.start))
    # Invented (demo) notices are never Actual (rules.py refuses it); should one slip through, it
    # still goes out as "Exercise", so an aggregator never relays an invented alert as a real one.
    _add(alert, "status", "Exercise" if notice.illustrative and notice.status == "Actual" else notice.status)
    _add(alert, "msgType", notice.msg_type)
    _add(alert, "scope", "Public")
    notes = ([ILLUSTRATIVE_NOTE] if notice.illustrative else []) + ([DAY_ONLY_NOTE] if notice.sent.day_only else [])
    if notes:
        _add(alert, "note", " ".join(notes))
    if notice.references:
        _add(alert, "references", " ".join(reference(model.notice_by_id[ref]) for ref in notice.references))
    for lang, language in LANGUAGES:
        _info(alert, notice, model, base_url, lang, language)
    return serialize(alert)


def in_feed(notice: Notice, model: Model) -> bool:
    """Whether a subscriber should see the message at build time: Alerts and Updates while
    active or upcoming (not once replaced or expired), Cancels from sent until they expire."""
    if notice.msg_type == "Cancel":
        return notice.sent.start <= model.built_at and (notice.expires is None or model.built_at < notice.expires.end)
    return model.notice_state(notice) in ("active", "upcoming")


def _summary(notice: Notice, model: Model) -> str:
    lines = []
    if notice.msg_type in REPLACES and notice.references:
        earlier = [model.notice_by_id[ref].headline for ref in notice.references]
        label = REPLACES[notice.msg_type]
        lines.append(f"{label.zh}：{'；'.join(h.zh for h in earlier)} / "
                     f"{label.en}: {'; '.join(h.en for h in earlier)}")
    lines += [notice.description.zh, notice.description.en]
    return "\n".join(lines)


def feed_entry(notice: Notice, model: Model, base_url: str) -> AtomEntry:
    """The notice's entry in the Atom index, linking to its CAP file."""
    return AtomEntry(
        id=atom_id(notice.id),
        title=(f"{marked(notice.headline.zh, notice.illustrative, 'zh')} / "
               f"{marked(notice.headline.en, notice.illustrative, 'en')}"),
        updated=notice.sent.start,
        link=site_base(base_url) + cap_path(notice.id),
        link_type=CAP_MEDIA_TYPE,
        summary=_summary(notice, model),
        categories=(notice.severity,),
    )


def feed_changed(model: Model, entries: list[AtomEntry]) -> datetime:
    """When the index last changed: its newest entry, or the last time a message left it (its
    end passed). Not the build time: an index with the same messages has the same bytes, so
    `build.py live` and a deploy leave it alone."""
    left = [n.expires.end for n in model.notices if n.expires is not None and n.expires.end <= model.built_at]
    return max([entry.updated for entry in entries] + left, default=model.built_at)


def cap_feed(model: Model, base_url: str) -> bytes:
    """`cap/index.atom`: the messages `in_feed` at build time, newest first."""
    entries = [feed_entry(notice, model, base_url) for notice in model.notices if in_feed(notice, model)]
    base = site_base(base_url)
    return atom_feed(
        feed_id=uuid.uuid5(ATOM_ID_NAMESPACE, f"{SENDER},{FEED_PATH}").urn,
        title=FEED_TITLE,
        updated=feed_changed(model, entries),
        self_url=base + FEED_PATH,
        alternate_url=base + "notices/",
        entries=entries,
        author=f"{SENDER_NAME.zh} · {SENDER_NAME.en}",
    )


def cap_files(model: Model, base_url: str) -> list[Page]:
    """Every notice as `cap/<id>.xml`, and the Atom index `cap/index.atom`."""
    files = [Page(cap_path(notice.id), cap_alert(notice, model, base_url)) for notice in model.notices]
    return files + [Page(FEED_PATH, cap_feed(model, base_url))]

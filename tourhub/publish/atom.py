"""Atom 1.0 (RFC 4287) feeds out: safety notices today (cap.py), per-dataset changes later.

Built with ElementTree, so every title, summary and category is written as escaped text and no
data can add markup. Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates)
are replaced with U+FFFD rather than written into a document no reader would parse. Times are
RFC 3339 with a numeric offset; a naive datetime is a programming error and raises.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Everything outside the XML 1.0 Char production: C0 controls but tab/LF/CR, surrogates, U+FFFE/F.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class AtomEntry:
    """One entry: a stable id (an IRI that never changes), what it is called, when it last
    changed in a way that matters, and where to read it (`link`, absolute)."""

    id: str
    title: str
    updated: datetime
    link: str
    link_type: str | None = None
    summary: str | None = None
    categories: tuple[str, ...] = ()


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: characters it forbids outright become U+FFFD.
    (Escaping &, < and > is the serializer's job, not this function's.)"""
    return _NOT_XML_CHAR.sub("\ufffd", text)


def rfc3339(moment: datetime) -> str:
    """`2026-11-29T12:00:00+08:00`: whole seconds, numeric offset (UTC as +00:00)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a feed time needs a UTC offset: {moment.isoformat()}")
    return moment.replace(microsecond=0).isoformat()


def require_absolute(url: str) -> str:
    """The URL itself, if absolute; feeds are read away from the site, where nothing resolves a
    relative link."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"a feed link must be an absolute URL: {url!r}")
    return url


def _child(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _link(parent: ET.Element, href: str, rel: str, media_type: str | None) -> ET.Element:
    attributes = {"rel": rel, "href": require_absolute(href)}
    if media_type:
        attributes["type"] = media_type
    return _child(parent, "link", **attributes)


def _entry(parent: ET.Element, entry: AtomEntry) -> None:
    element = _child(parent, "entry")
    _child(element, "id", entry.id)
    _child(element, "title", entry.title, type="text")
    _child(element, "updated", rfc3339(entry.updated))
    _link(element, entry.link, "alternate", entry.link_type)
    if entry.summary:
        _child(element, "summary", entry.summary, type="text")
    for term in entry.categories:
        _child(element, "category", term=term)


def newest_first(entries: list[AtomEntry]) -> list[AtomEntry]:
    """Entries by `updated`, newest first; ties by id, so the same entries give the same bytes."""
    by_id = sorted(entries, key=lambda entry: entry.id)
    return sorted(by_id, key=lambda entry: entry.updated, reverse=True)


def atom_feed(*, feed_id: str, title: str, updated: datetime, self_url: str, alternate_url: str | None,
              entries: list[AtomEntry], author: str) -> bytes:
    """An Atom 1.0 feed document as UTF-8 bytes with an XML declaration.

    Has what RFC 4287 asks of a feed (id, title, updated, author, a rel="self" link) plus a
    rel="alternate" HTML page when given; entries come newest first.
    """
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _child(feed, "id", feed_id)
    _child(feed, "title", title, type="text")
    _child(feed, "updated", rfc3339(updated))
    _child(_child(feed, "author"), "name", author)
    _link(feed, self_url, "self", ATOM_MEDIA_TYPE)
    if alternate_url:
        _link(feed, alternate_url, "alternate", "text/html")
    for entry in newest_first(entries):
        _entry(feed, entry)
    return serialize(feed)


def serialize(root: ET.Element) -> bytes:
    """An element tree as an indented UTF-8 document. Elements carry local names and the root
    an `xmlns` attribute: one default namespace, no prefixes, and unprefixed attributes
    (ElementTree's `default_namespace` option refuses those)."""
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return XML_DECLARATION + body.encode("utf-8") + b"\n"

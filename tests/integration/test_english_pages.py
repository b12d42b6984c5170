"""Every page under /en/ is English a foreign visitor can read: no Chinese left untranslated.

Chinese may appear on an English page only where it is meant to be read as Chinese, and marked
so for screen readers, fonts and translation tools: inside an element (or one of its ancestors)
with `lang="zh"` / `lang="zh-CN"` — a place's Chinese name next to its English one (for taxis,
signs and maps), the language switch "中文". The one other place is data shown verbatim:
elements marked `translate="no"` (the open-data previews show the rows exactly as published,
mixed languages and all). Text and what a visitor or a screen reader meets in attributes (title,
alt, aria-label, placeholder, a button's value, the page's description and share metadata) are
checked, on every page of the production site and of the demo.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import BuiltSite

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "value", "aria-description"}
READ_META = {"description", "og:title", "og:description", "og:image:alt", "twitter:title", "twitter:description"}


class UntranslatedText(HTMLParser):
    """Collects text a visitor meets in a page that contains Chinese outside Chinese-marked parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []       # (tag, exempt: marked Chinese or verbatim)
        self.found: list[str] = []

    def _exempt_inside(self) -> bool:
        return bool(self.open) and self.open[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        lang = attributes.get("lang")
        exempt = lang.lower().startswith("zh") if lang is not None else self._exempt_inside()
        exempt = exempt or attributes.get("translate") == "no"
        if not exempt:
            self.found += [f"{tag}@{name}: {value}" for name, value in attributes.items()
                           if name in READ_ATTRIBUTES and CHINESE.search(value)]
            if tag == "meta" and (attributes.get("name") or attributes.get("property")) in READ_META \
                    and CHINESE.search(attributes.get("content", "")):
                self.found.append(f"meta {attributes.get('name') or attributes.get('property')}: "
                                  f"{attributes['content']}")
        if tag not in VOID:
            self.open.append((tag, exempt))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][0] in ("script", "style"):
            return
        if not self._exempt_inside() and CHINESE.search(data):
            self.found.append(" ".join(data.split()))


def untranslated(html: str) -> list[str]:
    parser = UntranslatedText()
    parser.feed(html)
    parser.close()
    return parser.found


def english_pages(site: Path) -> list[Path]:
    return sorted((site / "en").rglob("*.html"))


def report(site: BuiltSite) -> dict[str, list[str]]:
    """Each untranslated text -> the pages it is on."""
    found: dict[str, list[str]] = defaultdict(list)
    for page in english_pages(site.folder):
        for text in dict.fromkeys(untranslated(page.read_text(encoding="utf-8"))):
            found[text[:160]].append(page.relative_to(site.folder).as_posix())
    return found


def _explained(found: dict[str, list[str]]) -> str:
    worst = sorted(found.items(), key=lambda item: -len(item[1]))[:25]
    return "\n".join(f"{len(pages):4} page(s), e.g. {pages[0]}: {text!r}" for text, pages in worst)


@pytest.mark.parametrize("which", ["production_site", "demo_site"])
def test_no_english_page_leaves_chinese_untranslated_or_unmarked(which: str, request):
    site: BuiltSite = request.getfixturevalue(which)
    pages = english_pages(site.folder)
    assert len(pages) > 100                               # every route, area, notice and data page
    found = report(site)
    assert not found, f"{len(found)} untranslated text(s) on /en/ pages:\n" + _explained(found)


def test_the_check_finds_chinese_outside_marked_parts_and_accepts_it_inside():
    assert untranslated('<p>Maintained by 广安市文化广电旅游局</p>') == ["Maintained by 广安市文化广电旅游局"]
    assert untranslated('<p>Huaying Mountain (<span lang="zh-CN">华蓥山</span>)</p>') == []
    assert untranslated('<div lang="zh"><p>中文 <b>名称</b></p></div><p>ok</p>') == []
    assert untranslated('<table translate="no"><tr><td>测试</td></tr></table>') == []
    assert untranslated('<a lang="zh" href="/">中文</a> <nav aria-label="页眉"></nav>') == ["nav@aria-label: 页眉"]
    assert untranslated('<meta name="description" content="川渝 · Sichuan">') == ["meta description: 川渝 · Sichuan"]
    assert untranslated('<script>var s = "中文";</script><p lang="en">English <br>text</p>') == []
    assert untranslated('<span lang="zh">华蓥山</span> then 重庆') == ["then 重庆"]

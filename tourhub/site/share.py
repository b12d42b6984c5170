"""What a page says about itself to search engines and chat apps: a short description taken from
its own content (a route's summary, an area's description, a notice's headline), written into
the page's front matter, from which the theme (site_src/overrides/main.html) makes the meta
description and the Open Graph tags.

MkDocs' templates do not escape what they print, and Material prints the description as it is;
so the description goes into the front matter already HTML-escaped.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from tourhub.core.page import Page
from tourhub.model.records import Model, marked
from tourhub.site.i18n import LANGS, translate
from tourhub.site.share_image import share_image

LIMIT = {"zh": 110, "en": 200}          # characters: what search results and chat previews show
SHARE_IMAGE = "assets/og-image.png"     # the site's share image, drawn by share_image.py
_SENTENCE_END = re.compile(r"[。！？；.!?;](?=\s|$)|[。！？；]")

# Section pages: their description, an i18n key.
SECTION_DESCRIPTIONS = {
    "index.md": "tagline",
    "routes/index.md": "desc_routes",
    "areas/index.md": "desc_areas",
    "crowds/index.md": "desc_crowds",
    "notices/index.md": "notices_intro",
    "standards/index.md": "desc_standards",
    "search/index.md": "desc_search",
    "data/index.md": "data_intro",
    "data/quality.md": "quality_intro",
    "data/developers.md": "developers_intro",
    "data/sql.md": "sql_intro",
    "guide/index.md": "desc_guide",
}


def short_text(text: str, limit: int) -> str:
    """One line of at most `limit` characters: whole sentences where they fit, else cut at a
    word (or, in Chinese, anywhere) with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit) if m.end() >= limit * 0.5]
    if ends:
        return text[:ends[-1]].rstrip()
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,，、;；:：") + "…"


def notice_summary(model: Model, notice, lang: str) -> str:
    """Status, severity, event and area, then the headline: what a shared notice link says."""
    status = translate(model.notice_state(notice), lang)
    severity = (translate("severity", lang) + translate("colon", lang)
                + translate(f"severity_{notice.severity.lower()}", lang))
    head = marked(notice.headline.in_(lang), notice.illustrative, lang)
    return (f"{status} · {severity} · {notice.event.in_(lang)} · {notice.area_desc.in_(lang)}"
            f"{translate('colon', lang)}{head}")


def page_description(model: Model, lang: str, path: str, context: dict) -> str:
    """The page's own description, from what it shows (plain text, not escaped)."""
    if "notice" in context:
        text = notice_summary(model, context["notice"], lang)
    elif "route" in context:
        text = context["route"].summary.in_(lang)
    elif "area" in context:
        area = context["area"]
        text = area.description.in_(lang) or f"{area.name.in_(lang)} · {area.a_level}A · {area.city.in_(lang)}"
    elif "dataset" in context:
        text = context["dataset"].description[lang]
    else:
        text = translate(SECTION_DESCRIPTIONS.get(path, "tagline"), lang)
    return short_text(text, LIMIT[lang])


def page_meta(model: Model, lang: str, path: str, context: dict) -> dict[str, str]:
    """Front matter for the page's share metadata: `description` (HTML-escaped, see above),
    `og_type`, and `feed` (a dataset page's change feed) where there is one."""
    meta = {"description": html.escape(page_description(model, lang, path, context), quote=True),
            "og_type": "article" if "notice" in context else "website"}
    if "dataset" in context:
        meta["feed"] = f"data/{context['dataset'].name}.atom"
    return meta


def data_licence(descriptor: dict) -> dict[str, str]:
    """The data's licence as the Data Package states it (its first `licenses` entry)."""
    first = (descriptor.get("licenses") or [{}])[0]
    return {"name": first.get("name", ""), "title": first.get("title", ""), "url": first.get("path", "")}


FOOTER_LABELS = ("site_name", "footer_licence", "footer_publisher", "footer_contact", "footer_feed", "footer_label",
                 "about", "cap_feed_title", "change_feed_title")
NOT_FOUND_LINKS = ("home", "routes", "areas", "notices", "crowds", "search")


def theme_strings(licence: dict[str, str] | None) -> dict:
    """What the theme needs for the share metadata, the footer and the 404 page (part of
    `config.extra.hub`): labels in both languages, the data's licence, the share image."""
    prefix = {"zh": "", "en": "en/"}
    return {
        "footer": {lang: {key: translate(key, lang) for key in FOOTER_LABELS} for lang in LANGS},
        "licence": licence,
        "site_description": {lang: short_text(translate("tagline", lang), LIMIT[lang]) for lang in LANGS},
        "share_image": SHARE_IMAGE,
        "share_image_alt": {lang: translate("share_image_alt", lang) for lang in LANGS},
        "not_found": {lang: {
            "title": translate("not_found_title", lang), "text": translate("not_found_text", lang),
            "links": [{"path": prefix[lang] + ("" if key == "home" else key + "/"),
                       "label": translate(key + "_short", lang)} for key in NOT_FOUND_LINKS]} for lang in LANGS},
    }


def share_files(model: Model, base_url: str) -> list[Page]:
    """Files for sharing that every page refers to: the share image; and robots.txt."""
    return [Page(SHARE_IMAGE, share_image(model)), Page("robots.txt", robots_txt(base_url, model.demo))]


def robots_txt(base_url: str, demo: bool) -> str:
    """Crawlers may read everything but the editors' admin (a tool behind a sign-in) and find
    every page in the sitemap. A demo site, made of invented records, asks them to stay out: its
    notices and counts must not turn up in search results as if they were real."""
    if demo:
        return ("# 演示站点：数据为虚构，请勿收录 / Demo site: invented data, not for search engines\n"
                "User-agent: *\nDisallow: /\n")
    root = urlsplit(base_url).path or "/"
    return (f"User-agent: *\nAllow: /\nDisallow: {root}admin/\nDisallow: {root}en/admin/\n\n"
            f"Sitemap: {base_url}sitemap.xml\n")

"""Markdown pages for MkDocs, rendered with Jinja2 from the model (never from raw records).

Text from data is escaped twice over: HTML-escaped (Jinja autoescape) and backslash-escaped for
Markdown, so no data can add markup or links. Links between generated pages are Markdown links
to .md files, which `mkdocs build --strict` checks.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import posixpath
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from importlib.metadata import version as _version

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from tourhub.core import geo
from tourhub.core.colour import text_colour_on
from tourhub.core.dates import CHINA
from tourhub.core.page import Page
from tourhub.editors.guide import guide_entries
from tourhub.model import crowd_warnings
from tourhub.model.quality import dataset_quality
from tourhub.model.records import Model, Occupancy, Route, ScenicArea
from tourhub.publish import schema_org
from tourhub.publish.dcat import json_for_script
from tourhub.publish.history import change_details, change_headline
from tourhub.site import share, svg, visitor
from tourhub.site.i18n import LANGS, grade_word, tag_label, translate
from tourhub.site.sql_console import sql_page

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text) -> Markup:
    """Plain text made safe for Markdown inline context: no HTML, no Markdown syntax, one line.
    Quotes stay as they are (text, not attribute context), so headings read right in the TOC."""
    if text is None:
        return Markup("")
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", escaped)
    return Markup(" ".join(escaped.split()))


_CHINESE_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+"
                          r"(?:\s+[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)*")


def md_english(text) -> Markup:
    """`md` for English pages: what stays Chinese in English text (a WeChat account to search
    for, a name on a sign) is marked as Chinese, for screen readers, fonts and translators."""
    escaped = md(text)
    return Markup(_CHINESE_RUN.sub(lambda run: f'<span lang="zh-CN">{run.group(0)}</span>', str(escaped)))


def front_matter(**values) -> Markup:
    """YAML front matter; JSON strings are valid YAML, so any title is quoted safely."""
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    return Markup("---\n" + "\n".join(lines) + "\n---\n")


def lang_path(path: str, lang: str) -> str:
    return path if lang == "zh" else f"en/{path}"


def link(from_path: str, to_path: str) -> str:
    """A Markdown link between source files; MkDocs turns it into the right URL."""
    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def url_of(path: str) -> str:
    """The directory URL MkDocs gives a source file: routes/a.md -> routes/a/, x/index.md -> x/;
    other files keep their path."""
    if not path.endswith(".md"):
        return path
    stem = path[:-3]
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


def html_link(from_path: str, to_path: str) -> str:
    """A relative URL for raw HTML (which MkDocs does not rewrite), from one page to a page or file."""
    base = url_of(from_path).rstrip("/") or "."
    target = url_of(to_path)
    relative = posixpath.relpath(target.rstrip("/") or ".", base)
    return relative + "/" if target.endswith("/") or target == "" else relative


def route_map(route: Route, model: Model, lang: str) -> Markup:
    """The route drawn from its stops' coordinates, numbered in visiting order (inline SVG)."""
    points = [svg.MapPoint(area.lon, area.lat, area.name.in_(lang), number, area.coords_approx)
              for number, area in enumerate((model.area_by_id[s] for s in route.spot_ids), start=1)]
    return Markup(svg.route_map_svg(points, title=f"{translate('map', lang)}: {route.name.in_(lang)}",
                                    desc=translate("map_desc", lang)))


SPARKLINE_POINTS = 84   # a week at one point per two hours: enough for a 240 px chart


def thinned(series, most: int):
    """At most `most` evenly spaced points of a series, always keeping the latest one."""
    if len(series) <= most:
        return tuple(series)
    step = -(-len(series) // most)
    kept = list(series[::-1][::step])[::-1]
    return tuple(kept)


def sparkline(occupancy: Occupancy, name: str, lang: str) -> Markup:
    thresholds = [(level.min_percent, level.colour) for level in occupancy.scheme.levels if level.min_percent > 0]
    return Markup(svg.occupancy_sparkline_svg(
        thinned(occupancy.series, SPARKLINE_POINTS), thresholds=thresholds,
        title=f"{translate('occupancy', lang)} · {name}",
        desc=translate("last_days", lang, n=7)))


def navigation_links(area: ScenicArea) -> dict[str, str]:
    """Links that open 高德 / 百度 at the area, with coordinates converted from WGS-84; for an
    approximate point, a search for the area's name in its city instead (never a pin that may be
    tens of kilometres off)."""
    if area.coords_approx:
        return {"amap": geo.amap_search_url(area.name.zh, area.city.zh),
                "baidu": geo.baidu_search_url(area.name.zh, area.city.zh)}
    return {"amap": geo.amap_navigation_url(area.lon, area.lat, area.name.zh),
            "baidu": geo.baidu_navigation_url(area.lon, area.lat, area.name.zh)}


def map_stops_json(route: Route, model: Model, lang: str) -> str:
    """Stops for the opt-in interactive map (WGS-84, as the tiles configured expect)."""
    return json.dumps([{"lat": a.lat, "lon": a.lon, "name": a.name.in_(lang), "n": n}
                       for n, a in enumerate((model.area_by_id[s] for s in route.spot_ids), start=1)],
                      ensure_ascii=False)


def recent_level_changes(model: Model, area_id: str):
    return crowd_warnings.level_changes(model, area_id, model.built_at - timedelta(days=7))


def structured_data(document: dict) -> Markup:
    """A schema.org JSON-LD block; data cannot close the script element."""
    return Markup('<script type="application/ld+json">' + json_for_script(document) + "</script>")


def environment() -> Environment:
    env = Environment(loader=PackageLoader("tourhub.site", "templates"), autoescape=True,
                      extensions=["jinja2.ext.do"],
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["md"] = md
    env.filters["text_colour_on"] = text_colour_on
    env.filters["china_time"] = lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M (UTC+8)")
    env.globals["front_matter"] = front_matter
    env.globals["tag_label"] = tag_label
    env.globals["grade_word"] = grade_word
    env.globals["route_map"] = route_map
    env.globals["sparkline"] = sparkline
    env.globals["navigation_links"] = navigation_links
    env.globals["map_stops_json"] = map_stops_json
    env.globals["frictionless_version"] = _version("frictionless")
    env.globals["structured_data"] = structured_data
    env.globals["level_changes"] = recent_level_changes
    env.globals["tourist_trip"] = schema_org.tourist_trip
    env.globals["tourist_attraction"] = schema_org.tourist_attraction
    env.globals["item_list"] = schema_org.item_list
    env.globals["safety_notice"] = schema_org.safety_notice
    env.globals["change_headline"] = change_headline
    env.globals["change_details"] = change_details
    env.globals.update(visitor.TEMPLATE_GLOBALS)     # home page and notice pages
    env.globals["place"] = lambda name, lang, markdown=True: visitor.place(name, lang, md if markdown else escape)
    return env


def render_pages(model: Model, dictionary: list, base_url: str = "", sql_engine: str | None = None) -> list[Page]:
    """Every generated page, in both languages. `dictionary` describes the datasets (catalog);
    `sql_engine`, the site path of the SQL page's engine, if this build has it.
    With more than one core, the second language renders in a forked process at the same time
    (not from a process with other threads, such as `build.py serve`: a fork copies their locks)."""
    if (len(os.sched_getaffinity(0)) < 2 or "fork" not in multiprocessing.get_all_start_methods()
            or threading.active_count() > 1):
        return [page for lang in LANGS for page in render_language(model, dictionary, base_url, lang, sql_engine)]
    global _FORKED_INPUT
    _FORKED_INPUT = (model, dictionary, base_url, sql_engine)     # inherited by the forked child, never pickled
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            others = [pool.submit(_render_forked, lang) for lang in LANGS[1:]]
            first = render_language(model, dictionary, base_url, LANGS[0], sql_engine)
            return first + [page for future in others for page in future.result()]
    finally:
        _FORKED_INPUT = None


_FORKED_INPUT: tuple[Model, list, str, str | None] | None = None


def _render_forked(lang: str) -> list[Page]:
    if _FORKED_INPUT is None:
        raise RuntimeError("a forked renderer without its input")
    model, dictionary, base_url, sql_engine = _FORKED_INPUT
    return render_language(model, dictionary, base_url, lang, sql_engine)


def render_language(model: Model, dictionary: list, base_url: str, lang: str,
                    sql_engine: str | None = None) -> list[Page]:
    """Every generated page in one language."""
    env = environment()
    if lang == "en":
        env.filters["md"] = md_english      # issue 14, part 4: Chinese left in English text is marked
    pages: list[Page] = []

    def render(template: str, path: str, **context) -> None:
        full = lang_path(path, lang)
        other = lang_path(path, "en" if lang == "zh" else "zh")
        text = env.get_template(template).render(
            model=model, lang=lang, t=lambda key, **p: translate(key, lang, **p),
            href=lambda target: link(full, lang_path(target, lang)),
            html_href=lambda target: html_link(full, lang_path(target, lang)),
            base_url=base_url,
            asset_href=lambda target: html_link(full, target),
            other_lang_href=link(full, other), page_meta=share.page_meta(model, lang, path, context), **context)
        pages.append(Page(full, text))

    render("home.md.j2", "index.md", datasets=dictionary)
    render("routes.md.j2", "routes/index.md")
    for route in model.routes:
        render("route.md.j2", f"routes/{route.id}.md", route=route)
    render("areas.md.j2", "areas/index.md")
    for area in model.areas:
        render("area.md.j2", f"areas/{area.id}.md", area=area)
    # the counts behind the crowd levels, described as on their dataset page (schema.org Dataset)
    render("crowds.md.j2", "crowds/index.md",
           counts=next((dataset for dataset in dictionary if dataset.name == "visitor_observations"), None))
    render("search.md.j2", "search/index.md")
    render("notices.md.j2", "notices/index.md")
    for notice in model.notices:
        render("notice.md.j2", f"notices/{notice.id}.md", notice=notice)
    labels = ("valid", "suspended", "revoked", "expired", "standard", "valid_until", "number", "no_match", "failed")
    render("standards.md.j2", "standards/index.md", lookup_labels={   # the demo mark only where there is a demo
        key: translate(key, lang) for key in labels + (("illustrative",) if model.demo else ())})
    quality = dataset_quality(model)
    render("data.md.j2", "data/index.md", datasets=dictionary)
    render("quality.md.j2", "data/quality.md", datasets=dictionary, quality=quality)
    for dataset in dictionary:
        render("dataset.md.j2", f"data/{dataset.name}.md", dataset=dataset, quality=quality)
    render("developers.md.j2", "data/developers.md", datasets=dictionary)
    render("sql.md.j2", "data/sql.md", datasets=dictionary, sql=sql_page(dictionary, sql_engine, lang))
    render("guide.md.j2", "guide/index.md", codes=guide_entries())
    return pages

"""Markdown pages for MkDocs, rendered with Jinja2 from the model (never from raw records).

Text from data is escaped twice over: HTML-escaped (Jinja autoescape) and backslash-escaped for
Markdown, so no data can add markup or links. Links between generated pages are Markdown links
to .md files, which `mkdocs build --strict` checks.
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from .i18n import LANGS, tag_label, translate
from .model import Model

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text) -> Markup:
    """Plain text made safe for Markdown inline context: no HTML, no Markdown syntax, one line."""
    if text is None:
        return Markup("")
    escaped = str(escape(str(text)))
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", escaped)
    return Markup(" ".join(escaped.split()))


def front_matter(**values) -> Markup:
    """YAML front matter; JSON strings are valid YAML, so any title is quoted safely."""
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    return Markup("---\n" + "\n".join(lines) + "\n---\n")


@dataclass(frozen=True)
class Page:
    path: str       # relative to the docs dir, POSIX, e.g. "en/routes/huayingshan-red.md"
    text: str


def lang_path(path: str, lang: str) -> str:
    return path if lang == "zh" else f"en/{path}"


def link(from_path: str, to_path: str) -> str:
    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def environment() -> Environment:
    env = Environment(loader=PackageLoader("tourhub", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["md"] = md
    env.globals["front_matter"] = front_matter
    env.globals["tag_label"] = tag_label
    return env


def render_pages(model: Model, dictionary: list[dict]) -> list[Page]:
    """Every generated page, in both languages. `dictionary` describes the datasets (catalog)."""
    env = environment()
    pages: list[Page] = []
    for lang in LANGS:
        def render(template: str, path: str, **context) -> None:
            full = lang_path(path, lang)
            other = lang_path(path, "en" if lang == "zh" else "zh")
            text = env.get_template(template).render(
                model=model, lang=lang, t=lambda key, **p: translate(key, lang, **p),
                href=lambda target: link(full, lang_path(target, lang)),
                other_lang_href=link(full, other), **context)
            pages.append(Page(full, text))

        render("home.md.j2", "index.md", datasets=dictionary)
        render("routes.md.j2", "routes/index.md")
        for route in model.routes:
            render("route.md.j2", f"routes/{route.id}.md", route=route)
        render("areas.md.j2", "areas/index.md")
        for area in model.areas:
            render("area.md.j2", f"areas/{area.id}.md", area=area)
        render("notices.md.j2", "notices/index.md")
        render("standards.md.j2", "standards/index.md")
        render("data.md.j2", "data/index.md", datasets=dictionary)
        for dataset in dictionary:
            render("dataset.md.j2", f"data/{dataset['name']}.md", dataset=dataset)
    return pages

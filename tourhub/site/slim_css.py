"""Material's stylesheets without the rules no page of this site can use.

Material ships one stylesheet for every feature it has (search, code blocks, content tabs, blog,
annotations, 19 colour palettes ...); a phone on a mountain network pays for all of it on its
first visit. After MkDocs has written every page, a rule is kept when one of its selectors can
match: every class it needs is in a `class` attribute of some built page or is a word of a script
that can add it at run time (Material's bundle, the hub's scripts), and every palette attribute it
tests (`[data-md-color-primary=teal]`) is set somewhere. Classes under `:not()` never decide;
`:is()` / `:where()` alternatives are judged one by one. At-rules other than @media and @supports
(@keyframes, @font-face ...) are kept whole. What is kept is byte for byte what Material wrote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tourhub.core.files import write_new_file

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_PALETTE_ATTRIBUTE = re.compile(r"\[(data-md-color-[\w-]+)=[\"']?([\w-]+)[\"']?\]")
_FUNCTIONAL = re.compile(r":(not|is|where|has|matches|-webkit-any|-moz-any)\(", re.I)
_CLASS_ATTRIBUTE = (re.compile(r'class="([^"]*)"'), re.compile(r"class='([^']*)'"))   # as MkDocs and Jinja write them
_PALETTE_SET = re.compile(r"""\b(data-md-color-[\w-]+)\s*=\s*["']([\w-]+)["']""")
_WORD = re.compile(r"[A-Za-z_][\w-]*")
_CLASS_LIST = re.compile(r"classList\.(?:add|toggle|replace)\(([^)]*)\)")
_QUOTED_WORD = re.compile(r"[\"'`]([\w-]+)[\"'`]")
_PROPERTY_NAME = re.compile(r"--[\w-]+")
_VAR_READ = re.compile(r"var\(\s*(--[\w-]+)")
_GROUPING = ("@media", "@supports", "@layer", "@container", "@document", "@-moz-document")


@dataclass
class Used:
    """What the site's pages and scripts can put in the DOM: class names and palette attributes."""

    classes: set[str] = field(default_factory=set)
    palette: set[tuple[str, str]] = field(default_factory=set)
    theme_classes: set[str] = field(default_factory=set)
    properties: set[str] = field(default_factory=set)     # custom properties named anywhere else

    def add_html(self, html: str) -> None:
        values = {value for pattern in _CLASS_ATTRIBUTE for value in pattern.findall(html)}
        self.classes.update(name for value in values for name in value.split())
        if "data-md-color-" in html:
            self.palette.update(_PALETTE_SET.findall(html))
        if "--" in html:
            self.properties.update(_PROPERTY_NAME.findall(html))

    def add_script(self, script: str) -> None:
        """One of the hub's scripts: every word may be a class it adds (over-keeping is safe)."""
        self.classes.update(_WORD.findall(script))
        self.properties.update(_PROPERTY_NAME.findall(script))

    def add_stylesheet(self, css: str) -> None:
        """Another stylesheet of the site (hub.css ...): the custom properties it reads or sets."""
        self.properties.update(_PROPERTY_NAME.findall(css))

    def add_theme_script(self, script: str) -> None:
        """Material's bundle: the classes it names (md-*) or adds by classList. It only decorates
        components a page already has, so an md-* class counts where its BEM block (md-header
        of md-header__title--active) is on some page: search results, tooltips, version menus
        and code annotations of features this site does not switch on do not."""
        self.theme_classes.update(word for word in _WORD.findall(script) if word.startswith("md-"))
        self.properties.update(_PROPERTY_NAME.findall(script))
        for arguments in _CLASS_LIST.findall(script):
            self.classes.update(_QUOTED_WORD.findall(arguments))

    @classmethod
    def of_html(cls, html: str) -> Used:
        used = cls()
        used.add_html(html)
        return used

    def update(self, other: Used) -> None:
        self.classes |= other.classes
        self.palette |= other.palette
        self.theme_classes |= other.theme_classes
        self.properties |= other.properties

    def as_lists(self) -> list[list[str]]:
        """What one page uses, as JSON can keep it (an incremental build's record of the pages it
        does not render again)."""
        return [sorted(self.classes), sorted(f"{name}={value}" for name, value in self.palette),
                sorted(self.properties)]

    @classmethod
    def from_lists(cls, lists: list[list[str]]) -> Used:
        classes, palette, properties = lists
        return cls(set(classes), {tuple(pair.split("=", 1)) for pair in palette}, set(), set(properties))  # type: ignore[misc]

    def all_classes(self) -> set[str]:
        blocks = {_bem_block(name) for name in self.classes}
        return self.classes | {name for name in self.theme_classes if _bem_block(name) in blocks}



def _bem_block(name: str) -> str:
    return name.split("__", 1)[0].split("--", 1)[0]


@dataclass
class _Rule:
    prelude: str
    body: str


@dataclass
class _Block:
    prelude: str
    children: list


def slim(sheets: dict[str, str], used: Used) -> dict[str, str]:
    """Each stylesheet with only the rules (and selectors) that `used` can match, and without the
    custom properties (`--md-tooltip-width: ...`) that nothing kept reads: no kept rule of any of
    `sheets`, nor the site's other stylesheets, pages and scripts (which `used` has seen)."""
    known = Used(used.all_classes(), used.palette)
    kept = {name: "".join(_emit(node, known) for node in _parse(css, 0)[0]) for name, css in sheets.items()}
    while True:       # a property read only by a dropped one goes too
        read = used.properties | {name for css in kept.values() for name in _VAR_READ.findall(css)}
        slimmer = {name: "".join(_drop_properties(node, read) for node in _parse(css, 0)[0])
                   for name, css in kept.items()}
        if slimmer == kept:
            return kept
        kept = slimmer


def _drop_properties(node, read: set[str]) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, _Block):
        inner = "".join(_drop_properties(child, read) for child in node.children)
        return f"{node.prelude}{{{inner}}}" if inner.strip() else ""
    declarations = [d for d in _split(node.body, ";")
                    if not ((name := d.strip().split(":", 1)[0].strip()).startswith("--") and name not in read)]
    body = ";".join(declarations)
    return f"{node.prelude}{{{body}}}" if body.strip() else ""


def _emit(node, used: Used) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, _Block):
        inner = "".join(_emit(child, used) for child in node.children)
        return f"{node.prelude}{{{inner}}}" if inner.strip() else ""
    kept = [selector for selector in _split(node.prelude, ",") if _alive(selector, used)]
    return f"{','.join(kept)}{{{node.body}}}" if kept else ""


def _alive(selector: str, used: Used) -> bool:
    """Can `selector` match anything the site puts in the DOM?"""
    while (match := _FUNCTIONAL.search(selector)) is not None:
        start, end = match.end(), _closing(selector, match.end() - 1)
        name, inner = match.group(1).lower(), selector[start:end]
        if name in ("not", "has"):
            alive = True           # :not() only narrows; :has() is rare enough to keep
        else:
            alive = any(_alive(alternative, used) for alternative in _split(inner, ","))
        if not alive:
            return False
        selector = selector[:match.start()] + selector[end + 1:]
    selector = re.sub(r"\[[^\]]*\]", lambda m: m.group(0) if _PALETTE_ATTRIBUTE.fullmatch(m.group(0)) else "",
                      selector)
    for attribute, value in _PALETTE_ATTRIBUTE.findall(selector):
        if (attribute, value) not in used.palette:
            return False
    return all(name in used.classes for name in _CLASS.findall(selector))


def _parse(css: str, i: int) -> tuple[list, int]:
    """Top-level nodes from position i up to the closing brace of the enclosing block (or the
    end): strings for what is kept as it is, _Rule and _Block for what may go."""
    nodes: list = []
    n = len(css)
    while i < n:
        while i < n and css[i].isspace():
            nodes.append(css[i])
            i += 1
        if i >= n:
            break
        if css[i] == "}":
            return nodes, i + 1
        if css.startswith("/*", i):
            end = css.find("*/", i + 2)
            end = n if end < 0 else end + 2
            nodes.append(css[i:end])
            i = end
            continue
        j = _scan(css, i, "{;}")
        prelude = css[i:j]
        if j >= n or css[j] == ";":
            nodes.append(css[i:j + 1])
            i = j + 1
            continue
        if css[j] == "}":                       # stray brace: keep what is there
            nodes.append(prelude)
            i = j
            continue
        if prelude.lstrip().lower().startswith(_GROUPING):
            children, i = _parse(css, j + 1)
            nodes.append(_Block(prelude, children))
        elif prelude.lstrip().startswith("@"):
            end = _closing(css, j)
            nodes.append(css[i:end + 1])
            i = end + 1
        else:
            end = _closing(css, j)
            nodes.append(_Rule(prelude, css[j + 1:end]))
            i = end + 1
    return nodes, i


def _scan(css: str, i: int, stops: str) -> int:
    """Index of the first of `stops` at depth 0 from i, outside strings, comments and brackets."""
    depth, n = 0, len(css)
    while i < n:
        ch = css[i]
        if ch in "\"'":
            i = _string_end(css, i)
        elif css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in stops:
            return i
        elif ch == "\\":
            i += 1
        i += 1
    return n


def _closing(text: str, open_at: int) -> int:
    """Index of the bracket closing the one at `open_at` (strings and escapes respected)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[text[open_at]]]
    i, n = open_at + 1, len(text)
    while i < n and stack:
        ch = text[i]
        if ch in "\"'":
            i = _string_end(text, i)
        elif ch == "\\":
            i += 1
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
    return n - 1


def _string_end(text: str, i: int) -> int:
    quote, i = text[i], i + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` where it stands outside brackets and strings."""
    parts, start, i = [], 0, 0
    while True:
        j = _scan(text, i, separator)
        parts.append(text[start:j])
        if j >= len(text):
            return parts
        start = i = j + 1


_SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*$")
THEME_STYLESHEETS = "assets/stylesheets"       # where Material's main and palette CSS land
THEME_SCRIPT = "assets/javascripts/bundle.*.js"
# Material's content-hashed names (main.57a0d79d.min.css) would lie about slimmed content, which
# changes with the pages: the slimmed files get plain names, linked by site_src/overrides/main.html
# (block styles), and are cached like hub.css (revalidated), never as immutable.
SLIMMED = {"main": "main.min.css", "palette": "palette.min.css"}


def slim_theme_stylesheets(site: Path, used: Used) -> dict[str, tuple[int, int]]:
    """Material's stylesheets in a built site, slimmed once `used` has seen every page, written
    under their plain names (SLIMMED); the hashed originals and their source maps go. The theme's
    bundle and the hub's own scripts and stylesheets are read here. Returns bytes before and after
    per stylesheet."""
    theme = site / THEME_STYLESHEETS
    originals = {kind: next(iter(sorted(theme.glob(f"{kind}.*.min.css"))), None) for kind in SLIMMED}
    if originals["main"] is None:      # the theme's layout changed: main.html would link nothing
        raise FileNotFoundError(f"Material's main stylesheet is not in {theme}")
    sheets = {kind: path.read_text("utf-8") for kind, path in originals.items() if path is not None}
    for script in site.glob(THEME_SCRIPT):
        used.add_theme_script(script.read_text("utf-8"))
    for path in sorted((site / "assets").rglob("*")):
        # Material's own are read above (its search scripts are never loaded)
        if (path.parent == theme or "javascripts" in path.parts
                or not path.is_file() or path.suffix not in (".js", ".css")):
            continue
        (used.add_stylesheet if path.suffix == ".css" else used.add_script)(path.read_text("utf-8"))
    slimmed = slim(sheets, used)
    sizes = {}
    for kind, css in sheets.items():
        text = _SOURCE_MAP.sub("", slimmed[kind])      # the map describes the whole original
        write_new_file(theme / SLIMMED[kind], text.encode("utf-8"))
        original = originals[kind]
        assert original is not None
        for stale in (original, original.with_name(original.name + ".map")):
            stale.unlink(missing_ok=True)
        sizes[SLIMMED[kind]] = (len(css.encode()), len(text.encode()))
    return sizes


# Material's bundle fetches <alternate>/sitemap.xml for every <link rel="alternate"> on a page,
# to map its language selector (extra.alternate, unused here) onto the other language's pages.
# With hreflang and feed links on every page that is four or five requests per page view, each
# a 404 (on a real host, the 404 page's bytes) and a console error. The selector is narrowed to
# links that no page has; the language switch of this site links each page's twin directly.
_ALTERNATE_SCAN = 'M("link[rel=alternate]")'
_ALTERNATE_NONE = 'M("link[rel=alternate][data-md-sitemap]")'


def quiet_alternate_sitemaps(site: Path) -> None:
    """Patch Material's bundle in a built site (the same bytes for the same Material version, so
    its content-hashed name still holds for every build)."""
    for bundle in site.glob(THEME_SCRIPT):
        script = bundle.read_text("utf-8")
        if script.count(_ALTERNATE_SCAN) != 1:
            raise ValueError(f"Material's bundle changed ({bundle.name}): check quiet_alternate_sitemaps")
        write_new_file(bundle, script.replace(_ALTERNATE_SCAN, _ALTERNATE_NONE).encode("utf-8"))

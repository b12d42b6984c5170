"""The editors' admin (/admin/, Decap CMS): its configuration, generated from the Table Schemas
(the one source of truth), in Chinese and in English.

    python build.py schemas       # also rewrites schemas/admin/config.zh.yml and config.en.yml

One collection per dataset editors write as YAML; widgets follow each field's type and
constraints (enums as selects, references to areas as searchable relations, dates as date
pickers, required fields required, length and format as patterns with a message), and help
text comes from the field descriptions. A test regenerates the files and fails when the
committed ones are out of date.

Decap writes the files through our own YAML format (`hub-yaml`, site_src/assets/js/admin.js):
the repository's style, which the strict loader accepts. `admin_settings` is what that script
needs to know of the schemas (which dates stay plain, which keys may hold one mapping for a list).
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from tourhub.check.descriptor import PackageSpec, ResourceSpec
from tourhub.check.problems import RULES
from tourhub.core.dates import MOMENT_PATTERN
from tourhub.editors.json_schemas import required_child

OUT_DIR = Path("schemas") / "admin"
LANGS = ("zh", "en")
FORMAT = "hub-yaml"                  # registered by admin.js
RECORDS = "records"                  # a file holding a list of records is one entry: {records: [...]}
MOMENT_WIDGET = "hub-moment"         # admin.js: a time as a notice states it, checked for order
DECAP_LOCALE = {"zh": "zh_Hans", "en": "en"}
REPOSITORY_PLACEHOLDER = "OWNER/REPOSITORY"   # the build puts $GITHUB_REPOSITORY here (site/admin_site.py)
LOCAL_BACKEND_PORT = 8081
# Collections in the order editors reach for them; any other dataset editors write follows.
ORDER = ("safety_notices", "routes", "scenic_areas", "service_standards", "certifications", "capacities")
LONG_TEXT = 200                      # longer (or unbounded) text gets a text area

_ID_PATTERN = "[a-z0-9]+(-[a-z0-9]+)*"
_PATTERN_MESSAGES = {
    _ID_PATTERN: ("小写字母和数字，用连字符连接，如 emeishan-night-hiking-2024",
                  "lower-case letters and digits joined by hyphens, e.g. emeishan-night-hiking-2024"),
    MOMENT_PATTERN: ("日期 2025-06-30，或带时区的时间 2025-06-30T10:30:00+08:00",
                     "a day, 2025-06-30, or a time with its UTC offset, 2025-06-30T10:30:00+08:00"),
    "[0-9]{6}": ("6 位数字的行政区划代码（GB/T 2260）", "a six-digit division code (GB/T 2260)"),
}
_URI = ("以 http:// 或 https:// 开头的网址", "a web address starting with http:// or https://")


def _text(field: dict, key: str, lang: str) -> str:
    return str(field.get(f"x-{key}-zh" if lang == "zh" else key, "") or field.get(key, ""))


def _max_length(limit: int, lang: str) -> str:
    return f"最多 {limit} 个字" if lang == "zh" else f"at most {limit} characters"


def _string_pattern(field: dict, lang: str) -> list[str] | None:
    """Decap's [regex, message] for a string field's format and length, or None."""
    constraints = field.get("constraints", {})
    body, message = None, []
    if "pattern" in constraints:
        body = constraints["pattern"]
        known = _PATTERN_MESSAGES.get(body)
        message.append(known[LANGS.index(lang)] if known else
                       (f"格式：{body}" if lang == "zh" else f"format: {body}"))
    elif field.get("format") == "uri":
        body = r"https?://\S+"
        message.append(_URI[LANGS.index(lang)])
    limit = constraints.get("maxLength")
    if limit:
        message.append(_max_length(limit, lang))
    if body is None and not limit:
        return None
    separator = "；" if lang == "zh" else "; "
    if body is None:
        return [f"^[\\s\\S]{{0,{limit}}}$", separator.join(message)]
    length = f"(?=[\\s\\S]{{0,{limit}}}$)" if limit else ""
    return [f"^{length}(?:{body})$", separator.join(message)]


def _references(spec: ResourceSpec) -> dict[str, tuple[str, str]]:
    """Field -> (resource, field) it must name, from the schema's single-field foreign keys."""
    found = {}
    for key in spec.schema.get("foreignKeys", []):
        fields, target = key.get("fields"), key.get("reference", {})
        if isinstance(fields, list) and len(fields) == 1 and target.get("resource"):
            found[fields[0]] = (target["resource"], target["fields"][0])
    return found


def _relation(target: str, key: str, package: PackageSpec, lang: str) -> dict:
    spec = package.resource(target)
    prefix = f"{RECORDS}.*." if spec.source.each == "list" else ""
    names: list[str] = [name for name in ("name_zh", "name_en", "title_zh", "title_en", "headline_zh", "headline_en")
                        if name in spec.field_names]
    shown = [name for name in names if name.endswith("_" + lang)][:1] or names[:1] or [key]
    return {"widget": "relation", "collection": target, "value_field": prefix + key,
            "search_fields": [prefix + name for name in [*names, key]],
            "display_fields": [prefix + name for name in [*shown, key]], "options_length": 40}


def field_widget(field: dict, spec: ResourceSpec, package: PackageSpec, lang: str) -> dict:
    """A Decap field for one Table Schema field."""
    name, kind = field["name"], field["type"]
    constraints = field.get("constraints", {})
    widget: dict = {"name": name, "label": _text(field, "title", lang), "hint": _text(field, "description", lang),
                    "required": bool(constraints.get("required"))}
    reference = _references(spec).get(name)
    if reference and reference[0] != spec.name and package.resource(reference[0]).source.files:
        widget |= _relation(*reference, package, lang)
    elif "enum" in constraints:
        widget |= {"widget": "select", "options": list(constraints["enum"])}
    elif kind == "boolean":
        widget |= {"widget": "boolean", "default": False}
    elif kind in ("integer", "number"):
        widget |= {"widget": "number", "value_type": "int" if kind == "integer" else "float"}
        widget |= {ours: constraints[theirs] for theirs, ours in (("minimum", "min"), ("maximum", "max"))
                   if theirs in constraints}
    elif kind == "date":
        widget |= {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD",
                   "time_format": False, "default": ""}
    elif constraints.get("pattern") == MOMENT_PATTERN:
        widget |= {"widget": MOMENT_WIDGET, "pattern": _string_pattern(field, lang)}
    elif _is_comma_separated(field):
        widget |= _list_widget(field, widget["label"], lang)
    else:
        long_text = constraints.get("maxLength", LONG_TEXT + 1) > LONG_TEXT and field.get("format") != "uri"
        widget |= {"widget": "text" if long_text else "string"}
        pattern = _string_pattern(field, lang)
        if pattern:
            widget["pattern"] = pattern
    return widget


def _is_comma_separated(field: dict) -> bool:
    """A comma-separated field editors write as a YAML list (a notice's admin_codes, an area's tags)."""
    return field["type"] == "string" and "comma-separated" in field.get("description", "")


_WORDS = re.compile(r"\(([a-z0-9-]+(?:\|[a-z0-9-]+)*)\)")


def _list_widget(field: dict, label: str, lang: str) -> dict:
    """Words from a vocabulary: a multiple select; other items: a list, each item checked."""
    pattern = field.get("constraints", {}).get("pattern", "")
    item = pattern[:(len(pattern) - 4) // 2]             # the pattern is ITEM(,ITEM)*
    if not (item and pattern == f"{item}(,{item})*"):
        return {"widget": "list", "field": {"name": "item", "label": label, "widget": "string"}}
    words = _WORDS.fullmatch(item)
    if words:
        return {"widget": "select", "multiple": True, "options": words.group(1).split("|")}
    return {"widget": "list", "field": {"name": "item", "label": label, "widget": "string",
                                        "pattern": _string_pattern({"constraints": {"pattern": item}}, lang)}}


def _moment_order(widgets: list[dict], lang: str) -> None:
    """`expires` must come after `effective` (or `sent`): the rule rules.py applies, with its message."""
    names = {widget["name"] for widget in widgets}
    rule = RULES["notice-expires-order"]
    for widget in widgets:
        if widget.get("widget") == MOMENT_WIDGET and widget["name"] == "expires":
            widget["after"] = [name for name in ("effective", "sent") if name in names]
            widget["order_message"] = rule.zh if lang == "zh" else rule.en


def record_fields(spec: ResourceSpec, package: PackageSpec, lang: str) -> list[dict]:
    """The form of one record: its own fields, then its children (a route's days, a day's stops…)."""
    hidden = set(spec.source.inherit) | ({spec.source.index} if spec.source.index else set())
    widgets = [field_widget(field, spec, package, lang) for field in spec.fields if field["name"] not in hidden]
    _moment_order(widgets, lang)
    for child in package.children(spec.name):
        label = child.title_zh if lang == "zh" else child.title_en
        if child.source.value:                       # a list of plain values, e.g. a notice's areas
            item = field_widget(child.field(child.source.value), child, package, lang)
            widgets.append(item | {"name": child.source.key, "label": label, "required": False,
                                   **({"multiple": True} if item["widget"] == "relation" else
                                      {"widget": "list", "field": item})})
            continue
        fields = record_fields(child, package, lang)
        widgets.append({"name": child.source.key, "label": label, "widget": "list",
                        "required": required_child(spec, child),
                        "collapsed": child.source.allow_single, "summary": _summary(child),
                        "label_singular": label, "fields": fields})
    return widgets


def _summary(spec: ResourceSpec) -> str:
    names = [name for name in ("day", "spot", "mode", "name_zh", "title_zh", "code", "id", "spot_id")
             if name in spec.field_names]
    return " · ".join("{{fields." + name + "}}" for name in names[:2])


def collection(spec: ResourceSpec, package: PackageSpec, lang: str) -> dict:
    files = spec.source.files or ""
    folder, _, pattern = files.rpartition("/")
    extension = pattern.rpartition(".")[2]
    label = spec.title_zh if lang == "zh" else spec.title_en
    entry = package.entry(spec.name)
    described = entry.get("x-description-zh" if lang == "zh" else "description")
    common = {"name": spec.name, "label": label, "format": FORMAT, "extension": extension,
              "editor": {"preview": False}}
    if described:
        common["description"] = described
    fields = record_fields(spec, package, lang)
    if spec.source.each == "list":           # a file of records is one entry; records are added inside it
        listed = {"name": RECORDS, "label": label, "widget": "list", "summary": _summary(spec),
                  "label_singular": "记录" if lang == "zh" else "record", "fields": fields}
        body = [listed]
        extra = {"create": False, "delete": False, "summary": "{{filename}}", "identifier_field": "filename"}
    else:
        body = fields
        named = "headline_zh" if "headline_zh" in spec.field_names else "name_zh"
        if lang == "en":
            named = named.replace("_zh", "_en")
        extra = {"create": True, "delete": False, "identifier_field": "id", "slug": "{{fields.id}}",
                 "summary": "{{" + named + "}} ({{id}})"}
    if "*" in pattern:
        return common | {"folder": f"datasets/{folder}" if folder else "datasets"} | extra | {"fields": body}
    return common | {"files": [{"name": spec.name, "label": label, "file": f"datasets/{files}",
                                "fields": body}]}


def editable(package: PackageSpec) -> list[ResourceSpec]:
    specs = [spec for spec in package.resources if spec.source.files and spec.source.each in ("list", "mapping")]
    return sorted(specs, key=lambda spec: ORDER.index(spec.name) if spec.name in ORDER else len(ORDER))


def admin_config(package: PackageSpec, lang: str) -> dict:
    return {
        "locale": DECAP_LOCALE[lang],
        "backend": {"name": "github", "repo": REPOSITORY_PLACEHOLDER, "branch": "main",
                    "squash_merges": True},
        # a change is a pull request, checked by the check workflow before anyone merges it
        "publish_mode": "editorial_workflow",
        # on 127.0.0.1 only: `make edit` starts decap-server against the working copy
        "local_backend": {"url": f"http://127.0.0.1:{LOCAL_BACKEND_PORT}/api/v1",
                          "allowed_hosts": ["127.0.0.1", "localhost"]},
        # Decap requires a media folder; no field takes a file, the Media tab is hidden (admin.css),
        # and this folder is never published (an upload there could not reach the site)
        "media_folder": "build/admin-uploads",
        "collections": [collection(spec, package, lang) for spec in editable(package)],
    }


def admin_settings(package: PackageSpec) -> dict:
    """What admin.js's YAML format needs to know of the schemas."""
    dates, single = set(), set()
    for spec in package.resources:
        dates |= {field["name"] for field in spec.fields if field["type"] == "date"}
        if spec.source.allow_single and spec.source.key:
            single.add(spec.source.key)
    return {"plain_dates": sorted(dates), "one_or_list": sorted(single), "records": RECORDS}


def admin_configs(package: PackageSpec) -> dict[str, str]:
    """File name -> YAML text of the admin's configuration, per language."""
    head = ("# Generated by `python build.py schemas` from the Table Schemas (tourhub/editors/admin_config.py);\n"
            "# do not edit by hand: a test fails when this file is out of date.\n")
    return {f"config.{lang}.yml": head + yaml.safe_dump(admin_config(package, lang), allow_unicode=True,
                                                        sort_keys=False, width=100)
            for lang in LANGS}


def write_admin_configs(root: Path, package: PackageSpec) -> list[Path]:
    folder = root / OUT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in admin_configs(package).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


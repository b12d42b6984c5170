"""Everything partners read by machine, from the validated tables and the model: downloads,
datapackage.json, the DCAT-AP catalog (JSON-LD and Turtle), CAP alerts and their Atom index,
an Atom feed of changes per dataset, and the latest crowd levels as JSON.

Returns the files as Pages (copied unchanged into the site) and one Dataset record per dataset for
the dataset pages: its data dictionary, downloads (size, sha256), change history and schema.org
description, built once.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime

from tourhub.core.colour import text_colour_on
from tourhub.core.page import Page
from tourhub.model.quality import quality_json
from tourhub.model.records import Model, marked
from tourhub.publish import cap, dcat
from tourhub.publish.atom import AtomEntry, atom_feed
from tourhub.publish.compact import compact_cache
from tourhub.publish.dictionary import DatasetFacts, dataset_facts
from tourhub.publish.exports import Download, Exports, build_exports, versioned
from tourhub.publish.history import History, change_details, change_headline

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
TABLE_SCHEMA_SPEC = "https://specs.frictionlessdata.io/table-schema/"


@dataclass(frozen=True)
class Dataset(DatasetFacts):
    """One dataset as the site shows it and partners read it."""

    downloads: tuple[Download, ...] = ()
    package_files: tuple[Download, ...] = ()    # the whole Data Package: datapackage.json and the zip
    version: str = ""
    history: History | None = None
    publisher: dict[str, str] = field(default_factory=dict)
    schema_org: dict = field(default_factory=dict)   # schema.org Dataset (JSON-LD), for its page and the crowd page


@dataclass(frozen=True)
class Publication:
    files: list[Page]
    datasets: list[Dataset]      # one per dataset, for the catalog pages


def _absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _distributions(files: list[Download], base_url: str) -> tuple[dcat.Distribution, ...]:
    return tuple(dcat.Distribution(
        url=_absolute(base_url, d.path), media_type=d.media_type, format_code=d.format_code,
        title_zh=d.label.zh, title_en=d.label.en, byte_size=d.size, sha256=d.sha256,
        compress_format=d.compression) for d in files)


def _bbox(model: Model) -> tuple[float, float, float, float] | None:
    if not model.areas:
        return None
    lons, lats = [a.lon for a in model.areas], [a.lat for a in model.areas]
    return (round(min(lons), 4), round(min(lats), 4), round(max(lons), 4), round(max(lats), 4))


def dataset_info(entry: DatasetFacts, downloads: list[Download], history: History, package_meta: dict,
                 model: Model, base_url: str, data_changed: datetime, feed: bytes = b"",
                 version: str | None = None) -> dcat.DatasetInfo:
    """A dataset for the catalog: its downloads, its change feed (`feed`, data/<name>.atom), the
    live files that carry it further, and its current pinned `version`."""
    publisher = package_meta.get("x-publisher", {})
    temporal = entry.temporal
    return dcat.DatasetInfo(
        name=entry.name, title_zh=entry.title["zh"], title_en=entry.title["en"],
        description_zh=entry.description["zh"], description_en=entry.description["en"],
        landing_page=_absolute(base_url, f"data/{entry.name}/"),
        keywords=tuple(package_meta.get("keywords", [])),
        publisher_zh=publisher.get("zh", ""), publisher_en=publisher.get("en", ""),
        contact_url=_absolute(base_url, package_meta.get("x-contact", "about/")),
        frequency=entry.frequency,
        temporal_start=temporal[0] if temporal else None, temporal_end=temporal[1] if temporal else None,
        bbox=_bbox(model), modified=history.data_changed or data_changed,
        issued=history.first_published.date() if history.first_published else None,
        distributions=(_distributions(downloads, base_url) + _feed_distribution(entry.name, feed, base_url)
                       + live_distributions(base_url).get(entry.name, ())),
        conforms_to=TABLE_SCHEMA_SPEC, version=version,
        version_distributions=_distributions(versioned(downloads), base_url) if version else ())


def _feed_distribution(name: str, feed: bytes, base_url: str) -> tuple[dcat.Distribution, ...]:
    if not feed:
        return ()
    return (dcat.Distribution(
        url=_absolute(base_url, f"data/{name}.atom"), media_type="application/atom+xml", format_code="ATOM",
        title_zh="变更记录（Atom 订阅）", title_en="Change log (Atom feed)", byte_size=len(feed),
        sha256=hashlib.sha256(feed).hexdigest()),)


def live_distributions(base_url: str) -> dict[str, tuple[dcat.Distribution, ...]]:
    """Files `build.py live` rewrites between builds, by the dataset they carry further."""
    def live(path: str, media_type: str, code: str, zh: str, en: str) -> dcat.Distribution:
        return dcat.Distribution(url=_absolute(base_url, path), media_type=media_type, format_code=code,
                                 title_zh=zh, title_en=en, byte_size=0, sha256="", live=True)
    return {
        "safety_notices": (live(cap.FEED_PATH, "application/atom+xml", "ATOM",
                                "CAP 1.2 预警索引（Atom，每 5 分钟更新）",
                                "CAP 1.2 alerts index (Atom, updated every 5 minutes)"),),
        "visitor_observations": (live(LATEST_CROWD, "application/json", "JSON", "各景区最新客流等级（每 5 分钟更新）",
                                      "Latest crowd level per area (updated every 5 minutes)"),),
    }


DATA_PACKAGE_SPEC = "https://specs.frictionlessdata.io/data-package/"


def package_info(descriptor: dict, files: list[Download], tables: list[dcat.DatasetInfo],
                 base_url: str) -> dcat.DatasetInfo:
    """The whole Data Package as one more DCAT dataset: datapackage.json and the zip."""
    starts = [t.temporal_start for t in tables if t.temporal_start]
    ends = [t.temporal_end for t in tables if t.temporal_end]
    first = tables[0]
    return dcat.DatasetInfo(
        name=descriptor["name"], title_zh=descriptor.get("x-title-zh", ""), title_en=descriptor.get("title", ""),
        description_zh=descriptor.get("x-description-zh", ""), description_en=descriptor.get("description", ""),
        landing_page=_absolute(base_url, "data/"), keywords=first.keywords,
        publisher_zh=first.publisher_zh, publisher_en=first.publisher_en, contact_url=first.contact_url,
        frequency="IRREG", temporal_start=min(starts, default=None), temporal_end=max(ends, default=None),
        bbox=first.bbox, modified=max((t.modified for t in tables if t.modified), default=None), issued=None,
        distributions=_distributions(files, base_url) + (dcat.Distribution(
            url=_absolute(base_url, "data/quality.json"), media_type="application/json", format_code="JSON",
            title_zh="数据质量（JSON，随实时数据更新）", title_en="Data quality (JSON, updated with the live data)",
            byte_size=0, sha256="", live=True),),
        conforms_to=DATA_PACKAGE_SPEC)


def change_feed(entry: DatasetFacts, history: History, base_url: str, data_changed: datetime) -> bytes:
    """An Atom feed announcing each change of one dataset."""
    page = _absolute(base_url, f"data/{entry.name}/")
    entries = [AtomEntry(
        id=f"{page}#change-{change.commit[:12]}",
        title=f"{change_headline(change, 'zh')} / {change_headline(change, 'en')}", updated=change.when, link=page,
        link_type="text/html", summary="\n".join(change_details(change, "zh") + change_details(change, "en")) or None)
        for change in history.changes]
    return atom_feed(feed_id=_absolute(base_url, f"data/{entry.name}.atom"),
                     title=f"{entry.title['zh']} / {entry.title['en']}",
                     updated=history.data_changed or data_changed,
                     self_url=_absolute(base_url, f"data/{entry.name}.atom"), alternate_url=page,
                     entries=entries, author="巴蜀文旅开放数据 · Bashu Travel Open Data")


def schema_org_dataset(info: dcat.DatasetInfo, demo: bool) -> dict:
    """The dataset as schema.org reads it. In a demo build invented records are laid over the
    real ones, so its name says so first, as an invented notice's does."""
    doc = dcat.schema_org_dataset(info, LICENCE_URL)
    doc["name"] = marked(marked(doc["name"], demo, "en"), demo, "zh")     # the name is bilingual
    return doc


def crowd_service(base_url: str) -> dcat.DataServiceInfo:
    """The latest crowd levels as an endpoint partners poll (DCAT DataService)."""
    return dcat.DataServiceInfo(
        name="data/crowd/", title_zh="最新客流等级接口", title_en="Latest crowd levels endpoint",
        description_zh="各景区最新一次客流观测及其预警等级（LB/T 068-2017），有合作方数据时每 5 分钟更新；"
                       "格式见 JSON Schema。跨域读取需站点返回 Access-Control-Allow-Origin: *。",
        description_en="Each area's latest reading and its warning level (LB/T 068-2017), rewritten every 5 minutes "
                       "while partner readings arrive; described by a JSON Schema. Browsers on other sites need "
                       "Access-Control-Allow-Origin: * from the host.",
        endpoint_url=_absolute(base_url, LATEST_CROWD), endpoint_description=_absolute(base_url, LATEST_CROWD_SCHEMA),
        serves=("visitor_observations",))


LATEST_CROWD = "data/crowd/latest.json"
LATEST_CROWD_SCHEMA = "data/crowd/latest.schema.json"
_TIME = {"type": "string", "format": "date-time"}
_TEXT = {"type": "string"}


def crowd_feed_schema(base_url: str) -> bytes:
    """The JSON Schema of data/crowd/latest.json, published next to it: what a partner's app
    may rely on (the fields below; more may be added, none removed without a new file)."""
    entry = {
        "type": "object",
        "required": ["id", "name_zh", "name_en", "observed_at", "window", "count", "capacity", "percent", "level",
                     "level_rank", "colour", "stale", "illustrative"],
        "properties": {
            "id": {**_TEXT, "description": "scenic area id (data/scenic_areas.csv)"},
            "name_zh": _TEXT, "name_en": _TEXT,
            "lon": {"type": ["number", "null"]}, "lat": {"type": ["number", "null"]},
            "observed_at": {**_TIME, "description": "when the count was taken (+08:00)"},
            "window": {"enum": ["daily", "instant"],
                       "description": "daily: visitors so far today; instant: in the area now"},
            "count": {"type": "integer", "minimum": 0},
            "capacity": {"type": "integer", "minimum": 1, "description": "the approved maximum for the window"},
            "capacity_source": {"type": ["string", "null"], "format": "uri"},
            "percent": {"type": "number", "minimum": 0},
            "level": _TEXT, "level_rank": {"type": "integer", "minimum": 0},
            "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "text_colour": {"enum": ["#000", "#fff"]},
            "label_zh": _TEXT, "label_en": _TEXT, "level_label_zh": _TEXT, "level_label_en": _TEXT,
            "stale": {"type": "boolean", "description": "older than the scheme allows, or its feed went quiet"},
            "scheme": _TEXT,
            "illustrative": {"type": "boolean", "description": "invented (demo) counts or capacity: never real"},
        },
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base_url + LATEST_CROWD_SCHEMA,
        "title": "Latest crowd level of each scenic area / 各景区最新客流等级",
        "description": "Rewritten by `build.py live` whenever a partner's reading arrives (every 5 minutes "
                       "where the object store is configured, else at the hourly build).",
        "type": "object",
        "required": ["built_at", "demo", "live", "areas"],
        "properties": {
            "built_at": {**_TIME, "description": "when this file was written"},
            "demo": {"type": "boolean"}, "live": {"type": "boolean", "description": "a partner feed is connected"},
            "areas": {"type": "array", "items": entry},
        },
    }
    return (json.dumps(schema, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def crowd_feed(model: Model) -> bytes:
    """data/crowd/latest.json: each area's latest level, for map and travel apps. An entry
    computed from invented counts or an invented capacity (the demo) says so in `illustrative`
    and in its label; with no partner feed connected, `areas` is empty and `live` false."""
    areas = []
    for area_id, occ in sorted(model.occupancy_by_area.items()):
        area = model.area_by_id[area_id]
        invented = occ.illustrative
        areas.append({
            "id": area_id, "name_zh": area.name.zh, "name_en": area.name.en, "lon": area.lon, "lat": area.lat,
            "observed_at": occ.observed_at.isoformat(), "window": occ.window, "count": occ.count,
            "capacity": occ.capacity, "capacity_source": area.capacity.source if area.capacity else None,
            "percent": occ.percent, "level": occ.level.level, "level_rank": occ.level.rank,
            "colour": occ.level.colour, "text_colour": text_colour_on(occ.level.colour),
            "label_zh": marked(occ.level.label.zh, invented, "zh"),
            "label_en": marked(occ.level.label.en, invented, "en"),
            "level_label_zh": occ.level.label.zh, "level_label_en": occ.level.label.en,
            "stale": occ.stale, "scheme": occ.scheme.id, "illustrative": invented,
        })
    return json.dumps({"built_at": model.built_at.isoformat(), "demo": model.demo, "live": bool(model.sources),
                       "areas": areas}, ensure_ascii=False, indent=1).encode("utf-8")


def live_files(model: Model, base_url: str) -> list[Page]:
    """The files that change with the clock and the partners' readings, not with the editors'
    data: each area's latest crowd level, the data-quality figures, and the CAP alerts with their
    Atom index (crowd warnings are raised and lifted by readings). `build.py live` rewrites only
    these in a built site; a full build writes them too."""
    return [Page(LATEST_CROWD, crowd_feed(model)), Page("data/quality.json", quality_json(model)),
            *cap.cap_files(model, base_url)]


def build_publication(validated, model: Model, histories: dict[str, History], base_url: str) -> Publication:
    package = validated.package
    exports: Exports = build_exports(package, validated.typed, validated.partitioned, model,
                                     compact_cache(package.root.parent))
    # When the data last changed (git): a dataset with no history of its own (a file not yet
    # committed, or none) takes it; only a project outside git falls back to the build time.
    data_changed = max((h.data_changed for h in histories.values() if h.data_changed), default=model.built_at)
    infos = []
    datasets = []
    files = [Page(d.path, d.content) for d in exports.all_files]
    for facts in dataset_facts(package, validated.typed, validated.partitioned):
        downloads, history = exports.by_dataset[facts.name], histories[facts.name]
        feed = change_feed(facts, history, base_url, data_changed)
        files.append(Page(f"data/{facts.name}.atom", feed))
        info = dataset_info(facts, downloads, history, package.descriptor, model, base_url, data_changed, feed,
                            exports.versions[facts.name] if any(d.pinned for d in downloads) else None)
        infos.append(info)
        datasets.append(Dataset(
            **{f.name: getattr(facts, f.name) for f in fields(DatasetFacts)},
            downloads=tuple(downloads), package_files=tuple(exports.package), version=exports.versions[facts.name],
            history=history, publisher=package.descriptor.get("x-publisher", {"zh": "", "en": ""}),
            schema_org=schema_org_dataset(info, model.demo)))
    descriptor = package.descriptor
    infos.append(package_info(descriptor, exports.package, infos, base_url))
    catalog = dcat.CatalogInfo(
        title_zh=descriptor.get("x-title-zh", ""), title_en=descriptor.get("title", ""),
        description_zh=descriptor.get("x-description-zh", ""), description_en=descriptor.get("description", ""),
        homepage=base_url, publisher_zh=descriptor.get("x-publisher", {}).get("zh", ""),
        publisher_en=descriptor.get("x-publisher", {}).get("en", ""), licence_url=LICENCE_URL,
        modified=data_changed,
        issued=min((info.issued for info in infos if info.issued), default=None), datasets=tuple(infos),
        services=(crowd_service(base_url),))
    document = dcat.catalog_jsonld(catalog, base_url)
    files += [
        Page("catalog.jsonld", json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")),
        Page("catalog.ttl", dcat.catalog_turtle(document).encode("utf-8")),
        Page(LATEST_CROWD_SCHEMA, crowd_feed_schema(base_url)),
        *live_files(model, base_url),
    ]
    return Publication(files, datasets)

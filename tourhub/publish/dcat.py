"""Machine-readable catalogue of the hub's datasets: DCAT-AP 3.0.1 and schema.org.

`catalog_jsonld` describes the whole catalogue for harvesters (EU and national open-data
portals) in DCAT-AP 3.0.1 JSON-LD with an inline context, so that nobody needs to fetch a remote
context to read it. `catalog_turtle` gives the same graph as Turtle. `schema_org_dataset`
describes one dataset for its page, in the form Google Dataset Search reads, and
`json_for_script` makes any JSON-LD safe to embed in `<script type="application/ld+json">`.

The DCAT-AP shapes check the class of every referenced resource (a format must be a
dct:MediaTypeOrExtent, a licence a dct:LicenseDocument, …) and a validator only sees what we
publish, so the document also states the type of each controlled-vocabulary IRI it uses.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from rdflib import Graph

from tourhub.core.geo import out_of_china

# --- Inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """One downloadable file of a dataset."""

    url: str            # absolute download URL
    media_type: str     # IANA media type, e.g. text/csv
    format_code: str    # EU file-type authority code: CSV, JSON, GEOJSON, XLSX, ZIP
    title_zh: str
    title_en: str
    byte_size: int
    sha256: str         # hex digest
    compress_format: str | None = None    # media type of the compression (application/gzip), if compressed
    live: bool = False    # rewritten between builds (crowd levels, CAP alerts): no size or checksum holds for long


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset (a Data Package resource, or the package as a whole) and its downloads."""

    name: str                     # resource name, e.g. scenic_areas
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    landing_page: str             # absolute URL of the dataset's catalogue page
    keywords: tuple[str, ...]     # Chinese and English keywords, mixed
    publisher_zh: str
    publisher_en: str
    contact_url: str              # http(s) page or mailto: address
    frequency: str                # EU frequency authority code, e.g. DAILY, IRREG
    temporal_start: date | None
    temporal_end: date | None
    bbox: tuple[float, float, float, float] | None  # west, south, east, north (WGS-84)
    modified: datetime | None     # when the data last changed
    issued: date | None
    distributions: tuple[Distribution, ...]
    conforms_to: str | None       # URL of the specification the data follow
    version: str | None = None    # the current pinned version (data/versions/<version>/), never changed
    version_distributions: tuple[Distribution, ...] = ()


@dataclass(frozen=True)
class DataServiceInfo:
    """An endpoint partners poll (the live crowd levels): what it serves and how it is described."""

    name: str                     # its IRI is <site>/<name>#service
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    endpoint_url: str             # absolute
    endpoint_description: str     # absolute URL of the description (a JSON Schema)
    serves: tuple[str, ...]       # dataset names


@dataclass(frozen=True)
class CatalogInfo:
    """The catalogue: the hub itself, its publisher and licence, and every dataset."""

    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    homepage: str
    publisher_zh: str
    publisher_en: str
    licence_url: str
    modified: datetime
    issued: date | None
    datasets: tuple[DatasetInfo, ...]
    services: tuple[DataServiceInfo, ...] = ()


# --- Vocabularies -------------------------------------------------------------------------

PREFIXES: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_FILE_TYPE = EU_AUTHORITY + "file-type/"
EU_FREQUENCY = EU_AUTHORITY + "frequency/"
EU_LANGUAGE = EU_AUTHORITY + "language/"
EU_LICENCE = EU_AUTHORITY + "licence/"
EU_COUNTRY = EU_AUTHORITY + "country/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SHA256 = PREFIXES["spdx"] + "checksumAlgorithm_sha256"

# Languages of the metadata: every title and description is given in Chinese and English.
CATALOG_LANGUAGES = (EU_LANGUAGE + "ZHO", EU_LANGUAGE + "ENG")

# The hub covers Sichuan and Chongqing, both in China; a dataset whose bounding box lies in
# China's rough rectangle is also said to cover the country, which portals can facet on.
CHINA = EU_COUNTRY + "CHN"

# The publishers are the provincial-level culture and tourism departments of Sichuan and
# Chongqing (ADMS publisher type vocabulary, as DCAT-AP recommends for an agent's dct:type).
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/RegionalAuthority"
PUBLISHER_TYPE_LABEL = "Regional authority"

# Licence deeds and the EU licence authority IRIs that DCAT-AP harvesters resolve; keys are
# the deed URL without scheme and trailing slash.
LICENCE_AUTHORITY: dict[str, str] = {
    "creativecommons.org/licenses/by/4.0": EU_LICENCE + "CC_BY_4_0",
    "creativecommons.org/licenses/by-sa/4.0": EU_LICENCE + "CC_BYSA_4_0",
    "creativecommons.org/publicdomain/zero/1.0": EU_LICENCE + "CC0",
}

_LANG_MAP = ("dct:title", "dct:description", "dcat:keyword", "foaf:name", "vcard:fn",
             "skos:prefLabel")
_IRI_VALUED = ("dct:publisher", "dct:license", "dct:format", "dcat:mediaType", "dcat:compressFormat",
               "dct:accrualPeriodicity", "dct:language", "dct:conformsTo", "dct:spatial",
               "dct:type", "dcat:accessURL", "dcat:downloadURL", "dcat:landingPage",
               "foaf:homepage", "vcard:hasURL", "vcard:hasEmail", "spdx:algorithm",
               "rdfs:seeAlso", "dcat:endpointURL", "dcat:endpointDescription", "dcat:servesDataset")
_TYPED = {"dcat:byteSize": "xsd:nonNegativeInteger", "spdx:checksumValue": "xsd:hexBinary",
          "dcat:startDate": "xsd:date", "dcat:endDate": "xsd:date", "dct:issued": "xsd:date",
          "dct:modified": "xsd:dateTime", "dcat:bbox": "gsp:wktLiteral"}


def jsonld_context() -> dict:
    """The inline JSON-LD context: prefixes, language maps, IRI-valued and typed properties.

    Terms are the usual prefixed names, so the document reads like the DCAT-AP specification.
    """
    context: dict = dict(PREFIXES)
    context.update({term: {"@id": term, "@container": "@language"} for term in _LANG_MAP})
    context.update({term: {"@id": term, "@type": "@id"} for term in _IRI_VALUED})
    context.update({term: {"@id": term, "@type": datatype} for term, datatype in _TYPED.items()})
    return context


# --- Small value helpers ------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CODE = re.compile(r"^[A-Z0-9_]+$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def _absolute(url: str) -> str:
    """The URL itself, after checking it is an absolute http(s) URL."""
    if not re.match(r"^https?://[^/\s]+", url or ""):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return url


def _base(base_url: str) -> str:
    """The site base URL, ending with one slash."""
    return _absolute(base_url).rstrip("/") + "/"


def _code(code: str, what: str) -> str:
    """An EU authority code (upper-case letters, digits, underscores)."""
    if not _CODE.match(code or ""):
        raise ValueError(f"not an EU {what} authority code: {code!r}")
    return code


def _lang_map(zh: str, en: str) -> dict[str, str]:
    """A JSON-LD language map of the non-empty texts."""
    return {lang: text for lang, text in (("zh", zh), ("en", en)) if text}


def keyword_language(keyword: str) -> str:
    """`zh` for a keyword with Chinese characters, `en` otherwise."""
    return "zh" if _CJK.search(keyword) else "en"


def _keywords(keywords: tuple[str, ...]) -> dict[str, list[str]]:
    """Keywords as a language map, each language's list in the given order, without repeats."""
    out: dict[str, list[str]] = {}
    for keyword in dict.fromkeys(k.strip() for k in keywords if k.strip()):
        out.setdefault(keyword_language(keyword), []).append(keyword)
    return out


def _date_text(value: date) -> str:
    """xsd:date lexical form (a datetime gives its date)."""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _datetime_text(value: date) -> str:
    """xsd:dateTime lexical form, to the second (a plain date means its midnight)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value.isoformat(timespec="seconds")


def licence_iri(licence_url: str) -> str:
    """The EU licence authority IRI of a known licence deed, else the URL itself."""
    key = re.sub(r"^https?://(www\.)?", "", licence_url.strip()).rstrip("/").lower()
    return LICENCE_AUTHORITY.get(key, licence_url)


def media_type_iri(media_type: str) -> str:
    """The IANA registry IRI of a media type, parameters (`; charset=…`) dropped."""
    essence = media_type.split(";", 1)[0].strip().lower()
    if not re.match(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$", essence):
        raise ValueError(f"not a media type: {media_type!r}")
    return IANA_MEDIA_TYPES + essence


def file_type_iri(format_code: str) -> str:
    """The EU file-type authority IRI of a format code (CSV, JSON, GEOJSON, XLSX, ZIP…)."""
    return EU_FILE_TYPE + _code(format_code, "file-type")


def frequency_iri(frequency: str) -> str:
    """The EU frequency authority IRI of a frequency code (DAILY, HOURLY, IRREG…)."""
    return EU_FREQUENCY + _code(frequency, "frequency")


def _coord(value: float) -> str:
    """A coordinate in plain decimal notation, to 1e-6 degree (about 0.1 m)."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    """A west, south, east, north box as a WKT polygon (CRS84: longitude first).

    The ring runs counter-clockwise from the south-west corner and closes on it.
    """
    west, south, east, north = bbox
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError(f"not a west, south, east, north box in degrees: {bbox!r}")
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "POLYGON((" + ", ".join(f"{_coord(lon)} {_coord(lat)}" for lon, lat in corners) + "))"


def in_china(bbox: tuple[float, float, float, float]) -> bool:
    """Whether all four corners of a box lie in China's rough rectangle."""
    west, south, east, north = bbox
    return not any(out_of_china(lon, lat) for lon in (west, east) for lat in (south, north))


def _contact(contact_url: str, name: dict[str, str]) -> dict:
    """A vcard:Kind for the contact point: its web page, or its e-mail for a mailto: URL."""
    node: dict = {"@type": "vcard:Kind", "vcard:fn": name}
    if contact_url.startswith("mailto:"):
        node["vcard:hasEmail"] = contact_url
    else:
        node["vcard:hasURL"] = _absolute(contact_url)
    return node


# --- DCAT-AP nodes ------------------------------------------------------------------------


def catalog_iri(base_url: str) -> str:
    """IRI of the catalogue."""
    return _base(base_url) + "catalog"


def dataset_iri(base_url: str, name: str) -> str:
    """IRI of a dataset."""
    if not re.match(r"^[A-Za-z0-9._-]+$", name):
        raise ValueError(f"dataset name unfit for an IRI: {name!r}")
    return _base(base_url) + "data/" + name


def distribution_iri(url: str) -> str:
    """IRI of a distribution: its download URL with the fragment `#distribution`."""
    return _absolute(url).split("#", 1)[0] + "#distribution"


def _agent(iri: str, name_zh: str, name_en: str) -> dict:
    """A publisher: a foaf:Agent with its names and ADMS publisher type."""
    return {"@id": iri, "@type": ["foaf:Agent", "foaf:Organization"],
            "foaf:name": _lang_map(name_zh, name_en), "dct:type": PUBLISHER_TYPE}


def distribution_node(dist: Distribution, licence: str, modified: datetime | None) -> dict:
    """A dcat:Distribution: where to get the file, what it is, how big, its checksum."""
    if dist.byte_size < 0 and not dist.live:
        raise ValueError(f"negative byte size for {dist.url}")
    if not dist.live and not _HEX64.match(dist.sha256):
        raise ValueError(f"not a hex SHA-256 digest for {dist.url}: {dist.sha256!r}")
    url = _absolute(dist.url)
    node: dict = {
        "@id": distribution_iri(url),
        "@type": "dcat:Distribution",
        "dct:title": _lang_map(dist.title_zh, dist.title_en),
        "dcat:accessURL": url,
        "dcat:downloadURL": url,
        "dcat:mediaType": media_type_iri(dist.media_type),
        "dct:format": file_type_iri(dist.format_code),
        "dcat:byteSize": str(dist.byte_size),
        "spdx:checksum": {"@type": "spdx:Checksum", "spdx:algorithm": SHA256,
                          "spdx:checksumValue": dist.sha256.lower()},
        "dct:license": licence,
    }
    if dist.live:
        del node["dcat:byteSize"], node["spdx:checksum"]
        return node                          # changes with every reading: no modified date either
    if dist.compress_format:
        node["dcat:compressFormat"] = media_type_iri(dist.compress_format)
    if modified is not None:
        node["dct:modified"] = _datetime_text(modified)
    return node


def _temporal(dataset: DatasetInfo) -> dict | None:
    """The dct:PeriodOfTime the data cover, or None without either end."""
    if dataset.temporal_start is None and dataset.temporal_end is None:
        return None
    node: dict = {"@type": "dct:PeriodOfTime"}
    if dataset.temporal_start is not None:
        node["dcat:startDate"] = _date_text(dataset.temporal_start)
    if dataset.temporal_end is not None:
        node["dcat:endDate"] = _date_text(dataset.temporal_end)
    return node


def _spatial(dataset: DatasetInfo) -> list:
    """The places the data cover: the bounding box, and China when the box lies in it."""
    if dataset.bbox is None:
        return []
    places: list = [{"@type": "dct:Location", "dcat:bbox": bbox_wkt(dataset.bbox)}]
    if in_china(dataset.bbox):
        places.insert(0, CHINA)
    return places


def _descriptions(dataset: DatasetInfo) -> dict[str, str]:
    """The dataset's descriptions; its titles stand in when it has none (DCAT-AP needs one)."""
    return (_lang_map(dataset.description_zh, dataset.description_en)
            or _lang_map(dataset.title_zh, dataset.title_en))


def dataset_node(dataset: DatasetInfo, base_url: str, licence: str,
                 catalog_publisher: tuple[str, str, str]) -> dict:
    """A dcat:Dataset with its distributions.

    `catalog_publisher` is (IRI, zh name, en name) of the catalogue's publisher: a dataset with
    the same publisher refers to it, another publisher is described under the dataset's IRI.
    """
    iri = dataset_iri(base_url, dataset.name)
    publisher_iri, publisher_zh, publisher_en = catalog_publisher
    if (dataset.publisher_zh, dataset.publisher_en) == (publisher_zh, publisher_en):
        publisher: str | dict = publisher_iri
    else:
        publisher = _agent(iri + "#publisher", dataset.publisher_zh, dataset.publisher_en)
    node: dict = {
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": iri,
        "dct:title": _lang_map(dataset.title_zh, dataset.title_en),
        "dct:description": _descriptions(dataset),
        "dcat:keyword": _keywords(dataset.keywords),
        "dct:publisher": publisher,
        "dcat:contactPoint": _contact(dataset.contact_url,
                                      _lang_map(dataset.publisher_zh, dataset.publisher_en)),
        "dcat:landingPage": {"@id": _absolute(dataset.landing_page), "@type": "foaf:Document"},
        "dct:accrualPeriodicity": frequency_iri(dataset.frequency),
    }
    optional = {
        "dct:temporal": _temporal(dataset),
        "dct:spatial": _spatial(dataset),
        "dct:modified": dataset.modified and _datetime_text(dataset.modified),
        "dct:issued": dataset.issued and _date_text(dataset.issued),
        "dct:conformsTo": dataset.conforms_to and _absolute(dataset.conforms_to),
    }
    node.update({key: value for key, value in optional.items() if value})
    if not node["dcat:keyword"]:
        del node["dcat:keyword"]
    node["dcat:distribution"] = [distribution_node(d, licence, dataset.modified)
                                 for d in dataset.distributions]
    if dataset.version:
        node["dcat:hasVersion"] = _version_node(dataset, iri, licence, publisher)
    return node


def _version_node(dataset: DatasetInfo, iri: str, licence: str, publisher) -> dict:
    """The dataset's current pinned version: its own dcat:Dataset whose files never change."""
    version = dataset.version or ""
    return {
        "@id": f"{iri}/versions/{version}",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{iri}/versions/{version}",
        "dct:title": _lang_map(f"{dataset.title_zh}（版本 {version}）" if dataset.title_zh else "",
                               f"{dataset.title_en} (version {version})" if dataset.title_en else ""),
        "dct:description": _lang_map(
            f"{dataset.title_zh}的固定版本 {version}：文件内容永不改变。" if dataset.title_zh else "",
            f"Pinned version {version} of {dataset.title_en}: its files never change." if dataset.title_en else ""),
        "dcat:version": version,
        "dct:publisher": publisher,
        **({"dct:modified": _datetime_text(dataset.modified)} if dataset.modified else {}),
        "dcat:distribution": [distribution_node(d, licence, dataset.modified) for d in dataset.version_distributions],
    }


def service_node(service: DataServiceInfo, base_url: str, licence: str, publisher_iri: str) -> dict:
    """A dcat:DataService: an endpoint that answers with the newest data (DCAT-AP 3.0.1)."""
    return {
        "@id": _base(base_url) + service.name + "#service",
        "@type": "dcat:DataService",
        "dct:title": _lang_map(service.title_zh, service.title_en),
        "dct:description": _lang_map(service.description_zh, service.description_en),
        "dcat:endpointURL": _absolute(service.endpoint_url),
        "dcat:endpointDescription": _absolute(service.endpoint_description),
        "dcat:servesDataset": [dataset_iri(base_url, name) for name in service.serves],
        "dct:publisher": publisher_iri,
        "dct:license": licence,
    }


def vocabulary_nodes(catalog: CatalogInfo) -> list[dict]:
    """The controlled-vocabulary IRIs the catalogue uses, each with the class DCAT-AP expects.

    The shapes check e.g. that a dct:format value is a dct:MediaTypeOrExtent; stating the
    class here lets a validator check the catalogue as published, without fetching the
    vocabularies.
    """
    types: dict[str, str] = {SHA256: "spdx:ChecksumAlgorithm"}
    types.update({language: "dct:LinguisticSystem" for language in CATALOG_LANGUAGES})
    for dataset in catalog.datasets:
        types[frequency_iri(dataset.frequency)] = "dct:Frequency"
        if dataset.conforms_to:
            types[dataset.conforms_to] = "dct:Standard"
        if dataset.bbox is not None and in_china(dataset.bbox):
            types[CHINA] = "dct:Location"
        for dist in dataset.distributions + dataset.version_distributions:
            types[file_type_iri(dist.format_code)] = "dct:MediaTypeOrExtent"
            types[media_type_iri(dist.media_type)] = "dct:MediaType"
            if dist.compress_format:
                types[media_type_iri(dist.compress_format)] = "dct:MediaType"
    nodes = [{"@id": iri, "@type": cls} for iri, cls in sorted(types.items())]
    licence = licence_iri(catalog.licence_url)
    licence_node: dict = {"@id": licence, "@type": "dct:LicenseDocument"}
    if licence != catalog.licence_url:
        licence_node["rdfs:seeAlso"] = catalog.licence_url
    publisher_type = {"@id": PUBLISHER_TYPE, "@type": "skos:Concept",
                      "skos:prefLabel": {"en": PUBLISHER_TYPE_LABEL}}
    return [licence_node, publisher_type, *nodes]


def catalog_jsonld(catalog: CatalogInfo, base_url: str) -> dict:
    """The DCAT-AP 3.0.1 description of the catalogue, as JSON-LD with an inline context.

    The document's `@graph` holds the dcat:Catalog (its datasets and their distributions
    nested in it) followed by the typed vocabulary IRIs it refers to.
    """
    iri = catalog_iri(base_url)
    licence = licence_iri(catalog.licence_url)
    publisher = (iri + "#publisher", catalog.publisher_zh, catalog.publisher_en)
    node: dict = {
        "@id": iri,
        "@type": "dcat:Catalog",
        "dct:title": _lang_map(catalog.title_zh, catalog.title_en),
        "dct:description": _lang_map(catalog.description_zh, catalog.description_en),
        "dct:publisher": _agent(*publisher),
        "foaf:homepage": {"@id": _absolute(catalog.homepage), "@type": "foaf:Document"},
        "dct:language": list(CATALOG_LANGUAGES),
        "dct:license": licence,
        "dct:modified": _datetime_text(catalog.modified),
    }
    if catalog.issued is not None:
        node["dct:issued"] = _date_text(catalog.issued)
    node["dcat:dataset"] = [dataset_node(d, base_url, licence, publisher)
                            for d in catalog.datasets]
    if catalog.services:
        node["dcat:service"] = [service_node(s, base_url, licence, publisher[0]) for s in catalog.services]
    return {"@context": jsonld_context(), "@graph": [node, *vocabulary_nodes(catalog)]}


def catalog_graph(doc: dict) -> Graph:
    """The RDF graph of a JSON-LD document (with an inline context: nothing is fetched)."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph.parse(data=json.dumps(doc, ensure_ascii=False), format="json-ld")


def catalog_turtle(doc: dict) -> str:
    """The JSON-LD catalogue as Turtle."""
    return catalog_graph(doc).serialize(format="turtle")


# --- schema.org for the dataset pages -----------------------------------------------------

# Google Dataset Search wants a description of 50 to 5000 characters.
DESCRIPTION_MIN = 50
DESCRIPTION_MAX = 5000
OPEN_DATA_NOTE = ("Open data: free to download and reuse under an open licence, "
                  "as long as the source is credited.")


def _bilingual(zh: str, en: str) -> str:
    """Chinese and English text joined house-style (`中文 · English`), blanks left out."""
    return " · ".join(text for text in (zh, en) if text)


def _holdings(dataset: DatasetInfo) -> str:
    """One English sentence on what the dataset holds and how to get it."""
    parts = [f"{dataset.title_en or dataset.title_zh}"]
    if dataset.publisher_en:
        parts.append(f"published by {dataset.publisher_en}")
    formats = list(dict.fromkeys(d.format_code for d in dataset.distributions))
    if formats:
        parts.append("downloadable as " + ", ".join(formats))
    start, end = dataset.temporal_start, dataset.temporal_end
    if start and end:
        parts.append(f"covering {_date_text(start)} to {_date_text(end)}")
    elif start:
        parts.append(f"covering {_date_text(start)} onwards")
    elif end:
        parts.append(f"covering up to {_date_text(end)}")
    return ", ".join(parts) + "."


def schema_org_description(dataset: DatasetInfo) -> str:
    """Chinese and English descriptions; what the dataset holds is added while under 50 chars."""
    text = "\n\n".join(t for t in (dataset.description_zh, dataset.description_en) if t)
    for extra in (_holdings(dataset), OPEN_DATA_NOTE):
        if len(text) >= DESCRIPTION_MIN:
            break
        text = f"{text} {extra}".strip()
    return text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1] + "…"


def _organization(name_zh: str, name_en: str, contact_url: str) -> dict:
    """A schema.org Organization: Chinese name, English alternate name, how to reach it."""
    node: dict = {"@type": "Organization", "name": name_zh or name_en}
    if name_zh and name_en:
        node["alternateName"] = name_en
    if contact_url.startswith("mailto:"):
        node["email"] = contact_url.removeprefix("mailto:")
    elif contact_url:
        node["url"] = contact_url
    return node


def temporal_coverage(start: date | None, end: date | None) -> str | None:
    """An ISO 8601 interval `start/end`, `..` for an open end; None without either end."""
    if start is None and end is None:
        return None
    return f"{_date_text(start) if start else '..'}/{_date_text(end) if end else '..'}"


def schema_org_dataset(dataset: DatasetInfo, licence_url: str) -> dict:
    """A schema.org Dataset for the dataset's page, as Google Dataset Search reads it."""
    organization = _organization(dataset.publisher_zh, dataset.publisher_en, dataset.contact_url)
    doc: dict = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": _bilingual(dataset.title_zh, dataset.title_en),
        "alternateName": [t for t in (dataset.title_zh, dataset.title_en) if t],
        "description": schema_org_description(dataset),
        "url": dataset.landing_page,
        "identifier": dataset.name,
        "keywords": list(dict.fromkeys(dataset.keywords)),
        "inLanguage": ["zh", "en"],
        "license": licence_url,
        "isAccessibleForFree": True,
        "creator": organization,
        "publisher": organization,
        "distribution": [{"@type": "DataDownload",
                          "name": _bilingual(d.title_zh, d.title_en),
                          "encodingFormat": d.media_type,
                          "contentUrl": d.url,
                          # a live file (rewritten between builds) has no checksum that holds
                          **({"sha256": d.sha256.lower()} if d.sha256 else {})} for d in dataset.distributions],
    }
    coverage = temporal_coverage(dataset.temporal_start, dataset.temporal_end)
    if coverage:
        doc["temporalCoverage"] = coverage
    if dataset.bbox is not None:
        west, south, east, north = dataset.bbox
        doc["spatialCoverage"] = {"@type": "Place", "geo": {
            "@type": "GeoShape", "box": " ".join(map(_coord, (south, west, north, east)))}}
    if dataset.modified is not None:
        doc["dateModified"] = _datetime_text(dataset.modified)
    if dataset.issued is not None:
        doc["datePublished"] = _date_text(dataset.issued)
    return doc


# --- Embedding ----------------------------------------------------------------------------

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_script(doc: dict) -> str:
    """JSON for a `<script type="application/ld+json">` element.

    `<`, `>` and `&` (and the JavaScript line separators) can only occur inside JSON strings,
    where their `\\uXXXX` escapes mean the same: so `</script>` or `<!--` in the data cannot
    end or disturb the element, and the text still parses to the same document.
    """
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group()], text)

"""The hub's catalogue as DCAT-AP 3.0.1 and schema.org: harvesters and partners read it offline,
the official shapes accept it, and nothing in the data can break out of the page's script tag."""
from __future__ import annotations

import copy
import hashlib
import json
import socket
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from tourhub.publish.dcat import (
    CatalogInfo,
    DatasetInfo,
    Distribution,
    catalog_graph,
    catalog_jsonld,
    catalog_turtle,
    json_for_script,
    schema_org_dataset,
)

SHAPES = Path(__file__).resolve().parent.parent / "specs" / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl"
BASE = "https://hub.example.org/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
EU = "http://publications.europa.eu/resource/authority/"
# Open namespaces: rdflib's closed ones warn when pytest probes the module's globals.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
CST = timezone(timedelta(hours=8))
TRICKY_TITLE = "Safety notices </script><b>& alerts"
SICHUAN = ("四川省文化和旅游厅", "Department of Culture and Tourism of Sichuan Province")
CHONGQING = ("重庆市文化和旅游发展委员会", "Chongqing Municipal Commission of Culture and Tourism Development")

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

MEDIA = {"CSV": "text/csv", "JSON": "application/json", "GEOJSON": "application/geo+json",
         "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "ZIP": "application/zip"}


def download(path: str, code: str, zh: str, en: str, media: str | None = None) -> Distribution:
    """A distribution whose size and checksum are those of some made-up file content."""
    content = f"{path} {zh} {en}".encode() * 37
    return Distribution(url=BASE + "downloads/" + path, media_type=media or MEDIA[code],
                        format_code=code, title_zh=zh, title_en=en, byte_size=len(content),
                        sha256=hashlib.sha256(content).hexdigest())


def table_downloads(name: str, geojson: bool = False) -> tuple[Distribution, ...]:
    files = [download(f"{name}.csv", "CSV", "CSV（UTF-8）", "CSV (UTF-8)"),
             download(f"{name}.excel.csv", "CSV", "CSV（UTF-8 带 BOM，适用于 Excel）",
                      "CSV (UTF-8 with BOM, for Excel)", "text/csv; charset=utf-8"),
             download(f"{name}.json", "JSON", "JSON", "JSON"),
             download(f"{name}.xlsx", "XLSX", "Excel 工作簿", "Excel workbook")]
    if geojson:
        files.append(download(f"{name}.geojson", "GEOJSON", "GeoJSON 地图数据", "GeoJSON map data"))
    return tuple(files)


SCENIC_AREAS = DatasetInfo(
    name="scenic_areas", title_zh="A级旅游景区", title_en="Scenic areas",
    description_zh="川渝两地A级旅游景区的名称、等级、位置（WGS-84）、开放时间和最大承载量。",
    description_en="A-level scenic areas of Sichuan and Chongqing: name, grade, location "
                   "(WGS-84), opening hours and maximum visitor capacity.",
    landing_page=BASE + "data/scenic_areas/",
    keywords=("景区", "A级景区", "四川", "重庆", "scenic areas", "tourism", "Sichuan", "Chongqing"),
    publisher_zh=SICHUAN[0], publisher_en=SICHUAN[1], contact_url=BASE + "about/#contact",
    frequency="DAILY", temporal_start=date(2024, 1, 1), temporal_end=date(2026, 11, 20),
    bbox=(97.35, 26.05, 110.19, 34.32), modified=datetime(2026, 11, 20, 8, 30, tzinfo=CST),
    issued=date(2025, 3, 1), distributions=table_downloads("scenic_areas", geojson=True),
    conforms_to="https://specs.frictionlessdata.io/table-schema/")

SAFETY_NOTICES = DatasetInfo(
    name="safety_notices", title_zh="旅游安全提示 </script><b>&", title_en=TRICKY_TITLE,
    description_zh="安全提示。", description_en="Notices.",  # short: schema.org must pad it
    landing_page=BASE + "data/safety_notices/", keywords=("安全", "safety"),
    publisher_zh=CHONGQING[0], publisher_en=CHONGQING[1], contact_url="mailto:data@hub.example.org",
    frequency="IRREG", temporal_start=date(2025, 6, 1), temporal_end=None,
    bbox=(105.29, 28.16, 110.19, 32.2), modified=datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
    issued=None, distributions=table_downloads("safety_notices"),
    conforms_to="https://specs.frictionlessdata.io/table-schema/")

WHOLE_PACKAGE = DatasetInfo(
    name="bashu-travel-open-data", title_zh="巴蜀文旅开放数据（川渝）",
    title_en="Bashu Travel Open Data (Sichuan–Chongqing)", description_zh="", description_en="",
    landing_page=BASE + "data/", keywords=(), publisher_zh=SICHUAN[0], publisher_en=SICHUAN[1],
    contact_url=BASE + "about/", frequency="DAILY", temporal_start=None, temporal_end=None,
    bbox=None, modified=None, issued=None,
    distributions=(download("datapackage.json", "JSON", "数据包描述文件", "Data Package descriptor"),
                   download("bashu-travel-open-data.zip", "ZIP", "全部数据（ZIP）", "All data (ZIP)")),
    conforms_to="https://specs.frictionlessdata.io/data-package/")

CATALOG = CatalogInfo(
    title_zh="巴蜀文旅开放数据", title_en="Bashu Travel Open Data",
    description_zh="川渝共建的旅游信息数据库：精品线路、A级景区、客流预警、安全提示、服务标准与统一认证。",
    description_en="The joint tourism information hub of Sichuan and Chongqing: routes, A-level "
                   "scenic areas, crowd warnings, safety notices, service standards and certifications.",
    homepage=BASE, publisher_zh=SICHUAN[0], publisher_en=SICHUAN[1], licence_url=CC_BY,
    modified=datetime(2026, 11, 20, 12, 0, tzinfo=UTC), issued=date(2025, 3, 1),
    datasets=(SCENIC_AREAS, SAFETY_NOTICES, WHOLE_PACKAGE))


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("tried to reach the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def doc() -> dict:
    return catalog_jsonld(CATALOG, BASE)


@pytest.fixture(scope="module")
def graph(doc) -> Graph:
    return catalog_graph(doc)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    from tests.conftest import dcat_ap_shapes
    return dcat_ap_shapes()


def shacl(data: Graph, shapes: Graph) -> tuple[bool, str, float]:
    """Validate with pyshacl as a harvester would: no inference, no imports, nothing fetched."""
    from pyshacl import validate

    started = time.perf_counter()
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", abort_on_first=False,
                                 allow_warnings=False, allow_infos=False, advanced=False,
                                 do_owl_imports=False, meta_shacl=False)
    return conforms, text, time.perf_counter() - started


def objects(graph: Graph, subject, predicate) -> list:
    return list(graph.objects(subject, predicate))


# --- DCAT-AP ------------------------------------------------------------------------------


def test_catalog_conforms_to_the_official_dcat_ap_3_shapes(graph, shapes, offline):
    conforms, text, seconds = shacl(graph, shapes)
    print(f"pyshacl took {seconds:.2f} s")
    assert conforms, text


def test_shapes_reject_a_distribution_without_access_url_or_typed_format(doc, shapes, offline):
    broken = copy.deepcopy(doc)
    distribution = broken["@graph"][0]["dcat:dataset"][0]["dcat:distribution"][0]
    del distribution["dcat:accessURL"]
    broken["@graph"] = [n for n in broken["@graph"] if n.get("@type") != "dct:MediaTypeOrExtent"]
    conforms, text, _ = shacl(catalog_graph(broken), shapes)
    assert not conforms
    assert "accessURL" in text and "MediaTypeOrExtent" in text


def test_the_context_is_inline_and_parses_without_the_network(doc, offline):
    assert isinstance(doc["@context"], dict)
    assert len(catalog_graph(doc)) > 100


def test_catalog_datasets_and_distributions_have_stable_iris(graph):
    catalog = URIRef(BASE + "catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    datasets = set(objects(graph, catalog, DCAT.dataset))
    assert datasets == {URIRef(BASE + "data/" + d.name) for d in CATALOG.datasets}
    csv = URIRef(BASE + "downloads/scenic_areas.csv#distribution")
    assert (URIRef(BASE + "data/scenic_areas"), DCAT.distribution, csv) in graph
    assert (csv, DCAT.accessURL, URIRef(BASE + "downloads/scenic_areas.csv")) in graph
    assert (csv, DCAT.downloadURL, URIRef(BASE + "downloads/scenic_areas.csv")) in graph


def test_turtle_parses_back_to_the_same_graph(doc, graph):
    turtle = catalog_turtle(doc)
    assert "@prefix dcat:" in turtle
    assert isomorphic(Graph().parse(data=turtle, format="turtle"), graph)


def test_byte_sizes_and_checksums_are_typed_literals(graph):
    for dataset in CATALOG.datasets:
        for dist in dataset.distributions:
            node = URIRef(dist.url + "#distribution")
            assert objects(graph, node, DCAT.byteSize) == [
                Literal(str(dist.byte_size), datatype=XSD.nonNegativeInteger)]
            [checksum] = objects(graph, node, SPDX.checksum)
            assert (checksum, RDF.type, SPDX.Checksum) in graph
            assert (checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256) in graph
            [value] = objects(graph, checksum, SPDX.checksumValue)
            assert value.datatype == XSD.hexBinary and str(value).lower() == dist.sha256


def test_dates_are_typed_date_and_datetime(graph):
    dataset = URIRef(BASE + "data/scenic_areas")
    assert objects(graph, dataset, DCTERMS.modified) == [
        Literal("2026-11-20T08:30:00+08:00", datatype=XSD.dateTime)]
    assert objects(graph, dataset, DCTERMS.issued) == [Literal("2025-03-01", datatype=XSD.date)]
    [period] = objects(graph, dataset, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert (period, DCAT.startDate, Literal("2024-01-01", datatype=XSD.date)) in graph
    assert (period, DCAT.endDate, Literal("2026-11-20", datatype=XSD.date)) in graph


def test_texts_carry_zh_and_en_language_tags(graph):
    dataset = URIRef(BASE + "data/scenic_areas")
    for predicate in (DCTERMS["title"], DCTERMS.description, DCAT.keyword):
        assert {o.language for o in objects(graph, dataset, predicate)} == {"zh", "en"}
    assert Literal("A级景区", lang="zh") in objects(graph, dataset, DCAT.keyword)
    assert Literal("tourism", lang="en") in objects(graph, dataset, DCAT.keyword)
    [publisher] = objects(graph, URIRef(BASE + "catalog"), DCTERMS.publisher)
    assert set(objects(graph, publisher, FOAF.name)) == {Literal(SICHUAN[0], lang="zh"),
                                                        Literal(SICHUAN[1], lang="en")}


def test_the_tricky_title_is_kept_verbatim(graph):
    titles = objects(graph, URIRef(BASE + "data/safety_notices"), DCTERMS["title"])
    assert Literal(TRICKY_TITLE, lang="en") in titles


def test_vocabulary_iris_come_from_the_eu_authorities_and_iana(graph):
    csv = URIRef(BASE + "downloads/scenic_areas.excel.csv#distribution")
    assert objects(graph, csv, DCTERMS["format"]) == [URIRef(EU + "file-type/CSV")]
    assert objects(graph, csv, DCAT.mediaType) == [
        URIRef("https://www.iana.org/assignments/media-types/text/csv")]
    assert objects(graph, csv, DCTERMS.license) == [URIRef(EU + "licence/CC_BY_4_0")]
    assert objects(graph, URIRef(BASE + "data/scenic_areas"), DCTERMS.accrualPeriodicity) == [
        URIRef(EU + "frequency/DAILY")]
    assert set(objects(graph, URIRef(BASE + "catalog"), DCTERMS.language)) == {
        URIRef(EU + "language/ZHO"), URIRef(EU + "language/ENG")}
    geojson = URIRef(BASE + "downloads/scenic_areas.geojson#distribution")
    assert objects(graph, geojson, DCTERMS["format"]) == [URIRef(EU + "file-type/GEOJSON")]


def test_spatial_coverage_is_a_wkt_box_and_china(graph):
    spatial = objects(graph, URIRef(BASE + "data/scenic_areas"), DCTERMS.spatial)
    assert URIRef(EU + "country/CHN") in spatial
    [bbox] = [b for s in spatial for b in objects(graph, s, DCAT.bbox)]
    assert bbox.datatype == URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
    assert str(bbox) == ("POLYGON((97.35 26.05, 110.19 26.05, 110.19 34.32, "
                         "97.35 34.32, 97.35 26.05))")
    assert objects(graph, URIRef(BASE + "data/bashu-travel-open-data"), DCTERMS.spatial) == []


def test_a_dataset_with_another_publisher_names_its_own_agent(graph):
    [agent] = objects(graph, URIRef(BASE + "data/safety_notices"), DCTERMS.publisher)
    assert agent == URIRef(BASE + "data/safety_notices#publisher")
    assert Literal(CHONGQING[0], lang="zh") in objects(graph, agent, FOAF.name)
    [same] = objects(graph, URIRef(BASE + "data/scenic_areas"), DCTERMS.publisher)
    assert same == URIRef(BASE + "catalog#publisher")


def test_a_dataset_without_description_is_described_by_its_titles(graph):
    descriptions = objects(graph, URIRef(BASE + "data/bashu-travel-open-data"), DCTERMS.description)
    assert Literal(WHOLE_PACKAGE.title_zh, lang="zh") in descriptions


@pytest.mark.parametrize("change, message", [
    ({"sha256": "abc"}, "SHA-256"), ({"url": "downloads/x.csv"}, "absolute"),
    ({"format_code": "csv"}, "file-type"), ({"byte_size": -1}, "byte size")])
def test_bad_distributions_are_refused(change, message):
    bad = replace(SCENIC_AREAS.distributions[0], **change)
    dataset = replace(SCENIC_AREAS, distributions=(bad,))
    with pytest.raises(ValueError, match=message):
        catalog_jsonld(replace(CATALOG, datasets=(dataset,)), BASE)


# --- Embedding and schema.org -------------------------------------------------------------


def test_json_for_script_cannot_close_the_script_element(doc):
    text = json_for_script(doc)
    assert "</" not in text and "<" not in text and "&" not in text
    assert "\\u003c/script\\u003e" in text
    assert json.loads(text) == doc


def test_schema_org_dataset_has_what_dataset_search_needs():
    out = schema_org_dataset(SCENIC_AREAS, CC_BY)
    assert out["@context"] == "https://schema.org/" and out["@type"] == "Dataset"
    assert out["license"] == CC_BY and out["isAccessibleForFree"] is True
    assert out["url"] == SCENIC_AREAS.landing_page
    assert SCENIC_AREAS.description_zh in out["description"]
    assert SCENIC_AREAS.description_en in out["description"]
    assert [d["contentUrl"] for d in out["distribution"]] == [
        d.url for d in SCENIC_AREAS.distributions]
    assert {d["@type"] for d in out["distribution"]} == {"DataDownload"}
    assert "application/geo+json" in {d["encodingFormat"] for d in out["distribution"]}
    assert out["temporalCoverage"] == "2024-01-01/2026-11-20"
    assert out["spatialCoverage"]["geo"]["box"] == "26.05 97.35 34.32 110.19"
    assert out["creator"]["name"] == SICHUAN[0]
    assert out["dateModified"] == "2026-11-20T08:30:00+08:00"


def test_a_live_file_is_offered_without_a_checksum_that_would_not_hold():
    latest = Distribution(url=BASE + "data/crowd/latest.json", media_type="application/json", format_code="JSON",
                          title_zh="最新客流等级", title_en="Latest crowd levels", byte_size=0, sha256="", live=True)
    out = schema_org_dataset(replace(SCENIC_AREAS, distributions=SCENIC_AREAS.distributions + (latest,)), CC_BY)
    *files, live = out["distribution"]
    assert live["contentUrl"] == latest.url and "sha256" not in live
    assert all(len(d["sha256"]) == 64 for d in files)


def test_a_short_description_is_padded_with_what_the_dataset_holds():
    out = schema_org_dataset(SAFETY_NOTICES, CC_BY)
    assert len(out["description"]) >= 50
    assert "CSV" in out["description"] and "安全提示。" in out["description"]
    assert out["temporalCoverage"] == "2025-06-01/.."
    assert out["publisher"]["email"] == "data@hub.example.org"


def test_the_schema_org_dataset_embeds_safely():
    out = schema_org_dataset(SAFETY_NOTICES, CC_BY)
    text = json_for_script(out)
    assert "</" not in text and json.loads(text) == out

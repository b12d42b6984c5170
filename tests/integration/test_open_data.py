"""What partners download, read back by independent readers: Frictionless, the older
`datapackage` library (Table Schema v1), pyshacl, lxml with
the OASIS XSD, feedparser, openpyxl, an RFC 7946 check, and sha256 of the bytes served."""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest
import requests
from lxml import etree

from tests.conftest import ROOT
from tourhub.check.descriptor import load_package
from tourhub.publish.history import dataset_history

SPECS = ROOT / "tests" / "specs"


@pytest.fixture(scope="module")
def project(demo_site) -> Path:
    """The demo (real data with the invented overlay and partner counts): it has every kind of
    output a partner reads, the monthly counts and crowd levels included. The production build's
    outputs are read back in test_truth.py."""
    return demo_site.project


@pytest.fixture(scope="module")
def site(demo_site) -> Path:
    return demo_site.folder


@pytest.fixture(scope="module")
def served(site):
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_frictionless_validates_the_published_data_package_and_every_csv(site):
    from frictionless import validate
    report = validate(str(site / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "type", "note"])[:10]
    descriptor = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
    assert len(report.tasks) == len(descriptor["resources"]) >= 12
    single = [r for r in descriptor["resources"] if isinstance(r["path"], str)]
    assert len(single) >= 12 and all(r["hash"].startswith("sha256:") and r["bytes"] > 0 for r in single)
    # Data Package v2, declared: a v1 reader (Table Schema v1 has no +08:00 datetimes) knows it is not its own
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"


def test_the_zip_holds_every_file_it_describes_and_validates_offline(site, tmp_path):
    import zipfile

    from frictionless import validate
    with zipfile.ZipFile(site / "data" / "bashu-travel-open-data.zip") as bundle:
        names = set(bundle.namelist())
        descriptor = json.loads(bundle.read("datapackage.json"))
        for resource in descriptor["resources"]:
            parts = [resource] if isinstance(resource["path"], str) else resource["x-parts"]
            for part in parts:
                assert not part["path"].startswith("http")
                assert part["hash"] == "sha256:" + hashlib.sha256(bundle.read(part["path"])).hexdigest()
        bundle.extractall(tmp_path / "unzipped")
    described = {p["path"] for r in descriptor["resources"]
                 for p in ([r] if isinstance(r["path"], str) else r["x-parts"])}
    assert names == described | {"datapackage.json"}
    report = validate(str(tmp_path / "unzipped" / "datapackage.json"))    # nothing outside the zip is read
    assert report.valid, report.flatten(["resourceName", "type", "note"])[:10]


@pytest.mark.filterwarnings("ignore:Subclassing validator classes:DeprecationWarning")   # tableschema
def test_the_older_datapackage_library_reads_every_table_as_frictionless_does(site):
    """A partner still on the `datapackage` library (Table Schema v1, before the Data Package v2
    profile the descriptor declares) opens datapackage.json and the zip and reads every table
    with the rows Frictionless reads. One step is theirs, as the developers page shows: v1's
    default datetime format is UTC ending in Z, so the counts' times (+08:00) need `format: any`."""
    import datapackage
    import frictionless
    from datapackage.exceptions import CastError
    path = str(site / "data" / "datapackage.json")
    current = frictionless.Package(path)
    older = datapackage.Package(path)
    assert older.valid, older.errors
    assert [r.name for r in older.resources] == current.resource_names
    assert all(r.tabular for r in older.resources)
    with pytest.raises(CastError) as refused:          # what the developers page tells them about
        older.get_resource("visitor_observations").read(keyed=True)
    assert [re.sub(r'value "[^"]+\+08:00"', "value +08:00", str(e)) for e in refused.value.errors] == [
        'Field "observed_at" can\'t cast value +08:00 for type "datetime" with format "default"']
    for resource in older.descriptor["resources"]:     # the developers page's step
        for field in resource["schema"]["fields"]:
            if field["type"] == "datetime":
                field["format"] = "any"
    older.commit()
    for resource in older.resources:
        expected = [row.to_dict() for row in current.get_resource(resource.name).read_rows()]
        assert resource.read(keyed=True) == expected, resource.name
    counts = [r for r in older.resources if r.name == "visitor_observations"][0].read(keyed=True)
    assert counts and all(row["observed_at"].utcoffset().total_seconds() == 8 * 3600 for row in counts)
    zipped = datapackage.Package(str(site / "data" / "bashu-travel-open-data.zip"))
    assert zipped.valid and zipped.get_resource("scenic_areas").read(keyed=True) == [
        row.to_dict() for row in current.get_resource("scenic_areas").read_rows()]


def test_visitor_counts_are_published_month_by_month_as_gzip_csv_and_parquet(site, project):
    import gzip

    import duckdb
    from frictionless import Package
    descriptor = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
    counts = next(r for r in descriptor["resources"] if r["name"] == "visitor_observations")
    assert counts["path"] == ["visitor_observations/demo-2026-11.csv.gz"] == [p["path"] for p in counts["x-parts"]]
    assert counts["compression"] == "gz"
    assert [p["path"] for p in counts["x-parquet"]] == ["visitor_observations/demo-2026-11.parquet"]
    source = project / "demo" / "observations" / "2026-11.csv"
    for part in counts["x-parts"] + counts["x-parquet"]:
        data = (site / "data" / part["path"]).read_bytes()
        assert part["bytes"] == len(data) and part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert gzip.decompress((site / "data" / counts["x-parts"][0]["path"]).read_bytes()) == source.read_bytes()
    rows = Package(str(site / "data" / "datapackage.json")).get_resource("visitor_observations").read_rows()
    assert len(rows) == source.read_text("utf-8").count("\n") - 1 >= 6 * 12
    parquet = site / "data" / counts["x-parquet"][0]["path"]
    (typed,) = duckdb.sql(f"SELECT sum(count), count(*), epoch(min(observed_at)) FROM '{parquet}'").fetchall()
    assert typed[0] == sum(row["count"] for row in rows) and typed[1] == len(rows)
    assert typed[2] == min(row["observed_at"] for row in rows).timestamp()   # the same instant, typed


def test_the_excel_csv_has_a_bom_and_crlf_and_the_same_rows(site):
    plain = (site / "data" / "scenic_areas.csv").read_bytes()
    excel = (site / "data" / "scenic_areas.excel.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf") and b"\r\n" in excel and not plain.startswith(b"\xef\xbb\xbf")
    rows = lambda data, enc: list(csv.reader(io.StringIO(data.decode(enc), newline="")))  # noqa: E731
    assert rows(plain, "utf-8") == rows(excel, "utf-8-sig")


def test_xlsx_opens_with_the_same_header_and_rows(site):
    from openpyxl import load_workbook
    book = load_workbook(site / "data" / "scenic_areas.xlsx", read_only=True)
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    csv_rows = list(csv.reader(io.StringIO((site / "data" / "scenic_areas.csv").read_text("utf-8"))))
    assert list(sheet_rows[0]) == csv_rows[0] and len(sheet_rows) == len(csv_rows)


def _is_position(value) -> bool:
    return (isinstance(value, list) and len(value) in (2, 3) and all(isinstance(v, (int, float)) for v in value)
            and -180 <= value[0] <= 180 and -90 <= value[1] <= 90)


@pytest.mark.parametrize("name, geometry", [("scenic_areas", "Point"), ("routes", "LineString")])
def test_geojson_is_rfc_7946_with_lon_lat_in_the_region(site, name, geometry):
    document = json.loads((site / "data" / f"{name}.geojson").read_text("utf-8"))
    assert document["type"] == "FeatureCollection" and "crs" not in document and document["features"]
    for feature in document["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geo = feature["geometry"]
        assert geo["type"] == geometry
        positions = [geo["coordinates"]] if geometry == "Point" else geo["coordinates"]
        assert geometry == "Point" or len(positions) >= 2
        for position in positions:
            assert _is_position(position)
            assert 97 <= position[0] <= 110.5 and 26 <= position[1] <= 34.5   # lon first


def test_the_dcat_catalog_conforms_to_the_official_dcat_ap_3_shapes(site):
    import pyshacl
    from rdflib import Graph
    data = Graph().parse(data=(site / "catalog.jsonld").read_text("utf-8"), format="json-ld")
    from tests.conftest import dcat_ap_shapes
    conforms, _, text = pyshacl.validate(data, shacl_graph=dcat_ap_shapes(), inference="none")
    assert conforms, text
    from rdflib.namespace import DCAT
    descriptor = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
    assert len(set(data.objects(None, DCAT.dataset))) == len(descriptor["resources"]) + 1  # + the package
    turtle = Graph().parse(data=(site / "catalog.ttl").read_text("utf-8"), format="turtle")
    assert len(turtle) == len(data)


def test_every_cap_file_validates_against_the_oasis_cap_1_2_schema(site):
    schema = etree.XMLSchema(etree.parse(str(SPECS / "cap-1.2" / "CAP-v1.2-schema.xsd")))
    files = sorted((site / "cap").glob("*.xml"))
    assert len(files) >= 6
    for file in files:
        document = etree.parse(str(file))
        assert schema.validate(document), (file.name, schema.error_log)


def test_every_feed_parses_without_errors(site):
    feeds = sorted(site.rglob("*.atom"))
    assert (site / "cap" / "index.atom") in feeds and (site / "data" / "scenic_areas.atom") in feeds
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert parsed.feed.get("title")


def test_the_crowd_feed_lists_every_area_with_a_level(site):
    feed = json.loads((site / "data" / "crowd" / "latest.json").read_text("utf-8"))
    assert len(feed["areas"]) == 6
    for area in feed["areas"]:
        assert area["level"] and area["label_zh"] and area["observed_at"] and isinstance(area["stale"], bool)


def test_every_checksum_on_a_dataset_page_matches_the_bytes_served(site, served):
    pages = sorted((site / "data").glob("*/index.html"))
    assert len(pages) >= 12
    checked = 0
    for page in pages:
        html = page.read_text("utf-8")
        links = re.findall(r'href="([^"]+)"[^>]*data-sha256="([0-9a-f]{64})" data-bytes="(\d+)"', html)
        for href, digest, size in links:
            url = requests.compat.urljoin(served + page.parent.relative_to(site).as_posix() + "/", href)
            body = requests.get(url, timeout=10).content
            assert hashlib.sha256(body).hexdigest() == digest and len(body) == int(size), url
            checked += 1
    assert checked >= 12 * 4


def test_dataset_pages_embed_a_schema_org_dataset(site):
    html = (site / "data" / "scenic_areas" / "index.html").read_text("utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    dataset = json.loads(block)
    assert dataset["@type"] == "Dataset" and len(dataset["description"]) >= 50
    assert dataset["license"] and dataset["distribution"]


def test_route_and_area_pages_embed_tourist_trip_and_attraction(site):
    for path, kind in (("routes/huayingshan-red-hongyan", "TouristTrip"), ("areas/huayingshan", "TouristAttraction")):
        html = (site / path / "index.html").read_text("utf-8")
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        assert json.loads(block)["@type"] == kind


def test_the_developers_page_shows_pandas_r_and_curl(site):
    for lang in ("", "en/"):
        text = (site / lang / "data" / "developers" / "index.html").read_text("utf-8")
        assert "pd.read_csv" in text and "read_csv(" in text and "curl" in text
        assert "from datapackage import Package" in text and 'field[&quot;format&quot;] = &quot;any&quot;' in text
        assert "data/visitor_observations/&lt;YYYY-MM&gt;.csv.gz" in text   # the monthly files, and there they are:
    assert (site / "data" / "visitor_observations" / "demo-2026-11.csv.gz").is_file()


def test_history_is_computed_from_git_and_says_so_in_a_shallow_clone(tmp_path):
    package, _ = load_package(ROOT / "datasets")
    history = dataset_history(ROOT, package)["scenic_areas"]
    assert history.available and history.changes and history.data_changed
    assert any(c.added > 0 for c in history.changes) and any(c.schema_changed for c in history.changes)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(shallow)], check=True)
    package, _ = load_package(shallow / "datasets")
    assert dataset_history(shallow, package)["scenic_areas"].reason == "shallow"


def test_the_catalog_lists_every_feed_the_live_endpoint_and_each_pinned_version(site):
    """A harvester finds everything a partner can fetch: the change feeds, the CAP alerts, the
    live crowd levels as a data service, and the pinned versions; checksums only where the file
    does not change between builds."""
    import hashlib

    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, DCTERMS, Namespace
    spdx = Namespace("http://spdx.org/rdf/terms#")
    data = Graph().parse(data=(site / "catalog.jsonld").read_text("utf-8"), format="json-ld")
    base = "http://127.0.0.1:8000/"

    def local(url) -> Path:
        return site / str(url).removeprefix(base)

    def checksum(distribution) -> str | None:
        node = data.value(distribution, spdx.checksum)
        return str(data.value(node, spdx.checksumValue)) if node is not None else None

    datasets = list(data.objects(None, DCAT.dataset))
    downloads = {str(data.value(d, DCAT.downloadURL)): d for d in data.subjects(DCAT.downloadURL, None)}
    feeds = [url for url in downloads if url.endswith(".atom") and "/data/" in url]
    assert len(feeds) == len(datasets) - 1                         # every table's change log (not the package)
    for url in feeds:
        assert checksum(downloads[url]) == hashlib.sha256(local(url).read_bytes()).hexdigest()
    cap_index, latest = downloads[base + "cap/index.atom"], downloads[base + "data/crowd/latest.json"]
    assert checksum(cap_index) is None and checksum(latest) is None     # rewritten every 5 minutes by build.py live
    assert local(base + "cap/index.atom").is_file() and local(base + "data/crowd/latest.json").is_file()

    (service,) = data.objects(None, DCAT.service)
    assert data.value(service, DCAT.endpointURL) == URIRef(base + "data/crowd/latest.json")
    assert data.value(service, DCAT.endpointDescription) == URIRef(base + "data/crowd/latest.schema.json")
    assert (site / "data/crowd/latest.schema.json").is_file()
    served = data.value(service, DCAT.servesDataset)
    assert served == URIRef(base + "data/visitor_observations") and served in datasets

    dcat3 = Namespace("http://www.w3.org/ns/dcat#")      # rdflib's DCAT namespace predates hasVersion and version
    versions = list(data.objects(None, dcat3.hasVersion))
    assert len(versions) >= 10
    for version in versions:
        number = str(data.value(version, dcat3.version))
        assert data.value(version, DCTERMS.title) is not None and number
        files = [data.value(d, DCAT.downloadURL) for d in data.objects(version, DCAT.distribution)]
        assert files and all(f"/data/versions/{number}/" in str(url) for url in files)
        for distribution in data.objects(version, DCAT.distribution):
            url = data.value(distribution, DCAT.downloadURL)
            assert checksum(distribution) == hashlib.sha256(local(url).read_bytes()).hexdigest()


def test_every_link_on_the_dataset_pages_leads_to_a_published_file(site):
    """Downloads, pinned copies and feeds are linked as plain HTML, which MkDocs does not check."""
    import re
    from urllib.parse import unquote, urlsplit
    pages = sorted((site / "data").glob("*/index.html")) + sorted((site / "en" / "data").glob("*/index.html"))
    assert len(pages) > 20
    checked = 0
    for page in pages:
        for href in re.findall(r'href="([^"#]+)', page.read_text("utf-8")):
            if urlsplit(href).scheme or href.startswith(("mailto:", "//")):
                continue
            target = (page.parent / unquote(urlsplit(href).path)).resolve()
            assert target.is_file() or (target / "index.html").is_file(), (page, href)
            checked += 1
    assert checked > 500

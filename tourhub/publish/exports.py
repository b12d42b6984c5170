"""Downloads for partners, from the validated tables: CSV (UTF-8, and UTF-8 with BOM and CRLF
for Excel in China), JSON, XLSX, GeoJSON for areas and routes (RFC 7946), the published
datapackage.json (with each CSV's bytes and sha256, so Frictionless checks integrity) and a zip
of the whole package.

Every file lives at a stable URL (`data/<dataset>.<ext>`) and again under a content-addressed
version (`data/versions/<id>/<dataset>.<ext>`, id = start of the CSV's sha256), so a partner
can pin exactly the bytes they tested with.

A dataset kept in CSV partitions (visitor counts, a file a month) is published month by month,
never gathered into one file (at region scale that would be a gigabyte of CSV): each month as
gzip CSV (`data/<dataset>/YYYY-MM.csv.gz`, the bytes Frictionless validated, compressed) and as
Parquet (`YYYY-MM.parquet`, typed, zstd; compact.py). Its datapackage.json resource is multipart
gzip CSV (`path` lists the months, `compression: gz`; each file's bytes and sha256 in `x-parts`,
the Parquet files in `x-parquet`), and a month's files are their own pinned version: their sha256
is published, and a closed month never changes. The zip holds every file the descriptor names,
the months included, so it validates offline.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cached_property
from pathlib import Path, PurePosixPath

from tourhub.check.descriptor import PackageSpec
from tourhub.check.partitions import PartitionedTable
from tourhub.model.records import Model, Text
from tourhub.publish.compact import gzip_csv, parquet

DATA_DIR = "data"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)   # fixed entry times: the same data always zips to the same bytes


@dataclass(frozen=True)
class Download:
    """One file partners can fetch: what it holds, where, and its bytes."""

    dataset: str            # resource name, or "package"
    path: str               # relative to the site root, POSIX
    media_type: str
    format_code: str        # EU file-type code: CSV, JSON, XLSX, GEOJSON, ZIP
    label: Text
    data: bytes = b""
    source: Path | None = None    # or a validated file published as it is, with its size and sha256
    source_size: int = 0
    source_sha256: str = ""
    pinned: bool = True           # a copy also sits under data/versions/ (a month is pinned by its sha256)
    compression: str | None = None    # media type of the compression (application/gzip), if compressed

    @property
    def size(self) -> int:
        return self.source_size if self.source else len(self.data)

    @cached_property
    def sha256(self) -> str:
        return self.source_sha256 if self.source else hashlib.sha256(self.data).hexdigest()

    @property
    def content(self) -> bytes | Path:
        return self.source or self.data


def cell_text(value) -> str:
    """A value as CSV text the Table Schema reads back: ISO dates, lowercase booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def cell_json(value):
    """A value as JSON: numbers and booleans as such, dates and times as ISO text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return cell_text(value)


def csv_bytes(names: list[str], rows: list[dict], *, excel: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if excel else "\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell_text(row.get(name)) for name in names])
    return out.getvalue().encode("utf-8-sig" if excel else "utf-8")


def json_bytes(names: list[str], rows: list[dict]) -> bytes:
    records = [{name: cell_json(row.get(name)) for name in names} for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


XLSX_MAX_ROWS = 1_048_575      # Excel's sheet limit, less the header row
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CONTENT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT}.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIP}/styles" Target="styles.xml"/></Relationships>'),
    # cell styles: 0 plain, 1 a date, 2 a date and time (China time), 3 the bold header row
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
_EXCEL_EPOCH = datetime(1899, 12, 30)
_CHINA_TIME = timezone(timedelta(hours=8))
_DATE_STYLE, _DATETIME_STYLE, _HEADER_STYLE = 1, 2, 3


def _serial(value: date) -> str:
    """Excel's day number of a date, or of a time in China time (Excel has no time zones; the
    CSV and JSON keep the +08:00 offset)."""
    if isinstance(value, datetime):
        local = value.astimezone(_CHINA_TIME).replace(tzinfo=None) if value.tzinfo else value
        return format((local - _EXCEL_EPOCH) / timedelta(days=1), ".10f").rstrip("0").rstrip(".")
    return str((value - _EXCEL_EPOCH.date()).days)


def _xlsx_cell(value, style: int = 0) -> str:
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f"<c><v>{cell_text(value)}</v></c>"
    if isinstance(value, datetime):
        return f'<c s="{_DATETIME_STYLE}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c s="{_DATE_STYLE}"><v>{_serial(value)}</v></c>'
    if value is None:
        return "<c/>"
    text = _XML_UNSAFE.sub("\ufffd", cell_text(value))      # a date known only to the year or month stays text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    styled = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{styled}><is><t xml:space="preserve">{text}</t></is></c>'


def _column_width(name: str, rows: list[dict]) -> float:
    """Wide enough for the header and the first rows' values (a Chinese character counts two),
    within 8 and 60 characters."""
    def width(value) -> int:
        if isinstance(value, datetime):
            return 19
        text = cell_text(value)
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text[:80])
    widest = max([width(name), *(width(row.get(name)) for row in rows[:200])])
    return float(min(60, max(8, widest + 2)))


def xlsx_bytes(title: str, names: list[str], rows: list[dict]) -> bytes:
    """A one-sheet workbook written directly (inline strings, no shared-string table): a small
    fraction of a general library's time, and the same bytes for the same rows. Dates and times
    are Excel dates (sortable, filterable), the header row stays in view, the columns fit."""
    columns = "".join(f'<col min="{n}" max="{n}" width="{_column_width(name, rows)}" customWidth="1"/>'
                      for n, name in enumerate(names, start=1))
    sheet = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetViews><sheetView workbookViewId="0">'
             '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
             '</sheetView></sheetViews>'
             f"<cols>{columns}</cols><sheetData>",
             "<row>" + "".join(_xlsx_cell(name, _HEADER_STYLE) for name in names) + "</row>"]
    sheet += ["<row>" + "".join(_xlsx_cell(row.get(name)) for name in names) + "</row>" for row in rows]
    sheet.append("</sheetData></worksheet>")
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'xmlns:r="{_RELATIONSHIP}">'
                f'<sheets><sheet name="{title[:31]}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in [*_XLSX_PARTS.items(), ("xl/workbook.xml", workbook),
                           ("xl/worksheets/sheet1.xml", "".join(sheet))]:
            book.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def areas_geojson(model: Model) -> bytes:
    """Scenic areas as RFC 7946 Points ([lon, lat], WGS-84)."""
    features = [{
        "type": "Feature",
        "id": area.id,
        "geometry": {"type": "Point", "coordinates": [round(area.lon, 6), round(area.lat, 6)]},
        "properties": {
            "id": area.id, "name_zh": area.name.zh, "name_en": area.name.en, "a_level": area.a_level,
            "admin_code": area.admin_code, "city_zh": area.city.zh, "city_en": area.city.en,
            "county_zh": area.county.zh, "county_en": area.county.en, "tags": list(area.tags),
            "coords_approx": area.coords_approx,
            "coords_point_zh": area.coords_point.zh if area.coords_point else None,
            "coords_point_en": area.coords_point.en if area.coords_point else None,
            "coord_uncertainty_km": area.coord_uncertainty_km,
            "a_level_source": area.a_level_source, "a_level_evidence": area.a_level_evidence,
            "checked_on": area.check.on.isoformat(),
            "source": area.source,
        },
    } for area in model.areas]
    return _geojson(features)


def routes_geojson(model: Model) -> bytes:
    """Routes as RFC 7946 LineStrings through their stops in visiting order."""
    features = []
    for route in model.routes:
        areas = [model.area_by_id[spot] for spot in route.spot_ids]
        coordinates = [[round(a.lon, 6), round(a.lat, 6)] for a in areas]
        geometry = ({"type": "LineString", "coordinates": coordinates} if len(coordinates) > 1
                    else {"type": "Point", "coordinates": coordinates[0]})
        features.append({
            "type": "Feature",
            "id": route.id,
            "geometry": geometry,
            "properties": {"id": route.id, "name_zh": route.name.zh, "name_en": route.name.en,
                           "theme": route.theme, "days": len(route.days), "stops": list(route.spot_ids),
                           "distance_km": route.distance_km, "source": route.source},
        })
    return _geojson(features)


def _geojson(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, indent=1).encode("utf-8")


def _label(zh: str, en: str) -> Text:
    return Text(zh, en)


def dataset_downloads(spec, rows: list[dict], model: Model) -> list[Download]:
    """Every file of one dataset, at its stable path."""
    names, base = spec.field_names, f"{DATA_DIR}/{spec.name}"
    files = [
        Download(spec.name, f"{base}.csv", "text/csv", "CSV", _label("CSV（UTF-8）", "CSV (UTF-8)"),
                 csv_bytes(names, rows)),
        Download(spec.name, f"{base}.excel.csv", "text/csv", "CSV",
                 _label("CSV（Excel 用，带 BOM）", "CSV for Excel (UTF-8 with BOM)"),
                 csv_bytes(names, rows, excel=True)),
        Download(spec.name, f"{base}.json", "application/json", "JSON", _label("JSON", "JSON"),
                 json_bytes(names, rows)),
    ]
    if len(rows) <= XLSX_MAX_ROWS:
        files.append(Download(spec.name, f"{base}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
                              _label("Excel 工作簿（XLSX）", "Excel workbook (XLSX)"), xlsx_bytes(spec.name, names,
                                                                                             rows)))
    geo = {"scenic_areas": areas_geojson, "routes": routes_geojson}.get(spec.name)
    if geo:
        files.append(Download(spec.name, f"{base}.geojson", "application/geo+json", "GEOJSON",
                              _label("GeoJSON（WGS-84）", "GeoJSON (WGS-84)"), geo(model)))
    return files


def partition_downloads(table: PartitionedTable, package: PackageSpec, cache: Path | None = None) -> list[Download]:
    """A partitioned dataset's months, each as gzip CSV and as Parquet; the demo overlay's are
    published as demo-YYYY-MM.*, so that they can never pass for real counts."""
    files = []
    schema = package.resource(table.name).schema
    for part in table.parts:
        stem = ("demo-" if package.from_overlay(part.file) else "") + PurePosixPath(part.file).stem
        source = package.root.parent / part.file
        files.append(Download(table.name, f"{DATA_DIR}/{table.name}/{stem}.csv.gz", "text/csv", "CSV",
                              _label(f"CSV（UTF-8，gzip 压缩）{stem}", f"CSV (UTF-8, gzip) {stem}"),
                              gzip_csv(source, part.sha256, cache), pinned=False, compression="application/gzip"))
        files.append(Download(table.name, f"{DATA_DIR}/{table.name}/{stem}.parquet", PARQUET_MEDIA_TYPE, "PARQUET",
                              _label(f"Parquet {stem}", f"Parquet {stem}"),
                              parquet(source, part.sha256, schema, cache), pinned=False))
    return files


PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"


def described(files: list[Download]) -> list[Download]:
    """The files a datapackage.json resource lists as its data: the CSV (a partitioned dataset's
    gzip CSV months; not its Parquet copies, nor the other formats)."""
    if files and files[0].pinned:
        return files[:1]
    return [d for d in files if d.compression == "application/gzip"]


def version_id(downloads: list[Download]) -> str:
    if all(d.pinned for d in downloads):
        return downloads[0].sha256[:12]
    return hashlib.sha256("".join(d.sha256 for d in downloads).encode("ascii")).hexdigest()[:12]


def versioned(downloads: list[Download]) -> list[Download]:
    """The dataset's CSV again under data/versions/<id>/, id from its bytes: the canonical file,
    the one datapackage.json describes with its sha256. The other formats are made from it and
    are not pinned (at region scale they would add 13 MB to the site at every version)."""
    version = version_id(downloads)
    return [Download(d.dataset, f"{DATA_DIR}/versions/{version}/{d.path.rsplit('/', 1)[1]}", d.media_type,
                     d.format_code, d.label, d.data) for d in downloads[:1] if d.pinned]


DATA_PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def published_descriptor(package: PackageSpec, by_dataset: dict[str, list[Download]]) -> dict:
    """datapackage.json as partners get it: our descriptor without the loader's x-source, each
    resource pointing at its CSV (a path relative to data/) with bytes and sha256; a partitioned
    one at all its months (multipart gzip CSV), each file's bytes and sha256 in x-parts, and its
    Parquet copies in x-parquet."""
    descriptor: dict = {"$schema": DATA_PACKAGE_PROFILE}     # v2: datetimes with +08:00, multipart CSV
    descriptor.update((key, value) for key, value in package.descriptor.items()
                      if key not in ("resources", "x-region", "$schema"))
    descriptor["resources"] = []

    def where(d: Download) -> str:
        return d.path.removeprefix(f"{DATA_DIR}/")

    def part(d: Download) -> dict:
        return {"path": where(d), "bytes": d.size, "hash": f"sha256:{d.sha256}"}

    for spec in package.resources:
        files = described(by_dataset[spec.name])
        resource = {key: value for key, value in package.entry(spec.name).items()
                    if key not in ("x-source", "schema")}
        resource.update({"path": where(files[0]), "format": "csv", "mediatype": "text/csv", "encoding": "utf-8"})
        if files[0].pinned:
            resource.update({"bytes": files[0].size, "hash": f"sha256:{files[0].sha256}"})
        else:
            resource["path"] = [where(d) for d in files]
            resource["compression"] = "gz"
            resource["x-parts"] = [part(d) for d in files]
            resource["x-parquet"] = [part(d) for d in by_dataset[spec.name] if d.media_type == PARQUET_MEDIA_TYPE]
        resource["schema"] = spec.schema
        descriptor["resources"].append(resource)
    return descriptor


def package_downloads(package: PackageSpec, by_dataset: dict[str, list[Download]]) -> list[Download]:
    """datapackage.json, and a zip of it with every file it describes (the months of counts as
    gzip CSV, stored as they are): self-contained, so it validates offline."""
    descriptor = _json(published_descriptor(package, by_dataset))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(zipfile.ZipInfo("datapackage.json", ZIP_TIME), descriptor, compress_type=zipfile.ZIP_DEFLATED)
        for spec in package.resources:
            for d in described(by_dataset[spec.name]):
                compress = zipfile.ZIP_STORED if d.compression else zipfile.ZIP_DEFLATED
                bundle.writestr(zipfile.ZipInfo(d.path.removeprefix(f"{DATA_DIR}/"), ZIP_TIME), d.data,
                                compress_type=compress)
    return [
        Download("package", f"{DATA_DIR}/datapackage.json", "application/json", "JSON",
                 _label("Data Package 描述文件", "Data Package descriptor"), descriptor),
        Download("package", f"{DATA_DIR}/{package.descriptor['name']}.zip", "application/zip", "ZIP",
                 _label("全部数据（zip）", "Everything (zip)"), out.getvalue()),
    ]


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, default=cell_text).encode("utf-8")


@dataclass(frozen=True)
class Exports:
    by_dataset: dict[str, list[Download]]     # stable paths, per dataset
    package: list[Download]                   # datapackage.json and the zip
    versions: dict[str, str]                  # dataset -> version id

    @property
    def all_files(self) -> list[Download]:
        stable = [d for files in self.by_dataset.values() for d in files]
        pinned = [d for files in self.by_dataset.values() for d in versioned(files)]
        return stable + pinned + self.package


def build_exports(package: PackageSpec, typed: dict[str, list[dict]], partitioned: dict[str, PartitionedTable],
                  model: Model, cache: Path | None = None) -> Exports:
    """Every download; `cache` keeps the compact forms of each month (compact.py)."""
    by_dataset = {spec.name: partition_downloads(partitioned[spec.name], package, cache)
                  if spec.name in partitioned and partitioned[spec.name].parts
                  else dataset_downloads(spec, typed.get(spec.name, []), model)
                  for spec in package.resources}
    return Exports(by_dataset, package_downloads(package, by_dataset),
                   {name: version_id(files) for name, files in by_dataset.items()})

"""What partners read about each dataset: title, data dictionary, keys, row count, a preview."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tourhub.check.descriptor import PackageSpec
from tourhub.check.partitions import PREVIEW_ROWS, PartitionedTable
from tourhub.core.dates import PartialDate


def _constraints(field: dict) -> str:
    parts = []
    for name, value in field.get("constraints", {}).items():
        if name == "required":
            parts.append("required" if value else "")
        elif name == "enum":
            parts.append("one of " + ", ".join(map(str, value)))
        else:
            parts.append(f"{name} {value}")
    return "; ".join(p for p in parts if p)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _days(value) -> list[date]:
    """The first and last day a value may mean: a date, a time, or text such as 2014 or
    2025-06-30T20:00:00+08:00 (a date known to the year spans that year)."""
    if isinstance(value, datetime):
        return [value.date()]
    if isinstance(value, date):
        return [value]
    partial = PartialDate.parse(value[:10]) if isinstance(value, str) else None
    return [partial.earliest, partial.latest] if partial else []


def _span(rows: list[dict], names: tuple[str, ...]) -> tuple[date, date] | None:
    """Earliest and latest date found in any of the named fields (temporal coverage)."""
    days = [day for row in rows for name in names for day in _days(row.get(name))]
    return (min(days), max(days)) if days else None


TEMPORAL_FIELDS = ("observed_at", "effective", "expires", "sent", "valid_from", "valid_until", "issued")


@dataclass(frozen=True)
class DatasetFacts:
    """What the data dictionary says of one dataset, computed from its validated table."""

    name: str
    title: dict[str, str]              # zh, en
    description: dict[str, str]
    frequency: str                     # DCAT frequency code: IRREG, DAILY, HOURLY ...
    temporal: tuple[date, date] | None
    rows: int
    primary_key: list[str]
    foreign_keys: list[dict]
    fields: list[dict]                 # name, type, constraints, title and description in zh/en
    preview: list[list[str]]           # the first rows, as text


def dataset_facts(package: PackageSpec, typed: dict[str, list[dict]],
                  partitioned: dict[str, PartitionedTable]) -> list[DatasetFacts]:
    facts = []
    for spec in package.resources:
        rows = typed.get(spec.name, [])
        table = partitioned.get(spec.name)
        preview = table.preview if table else rows[:PREVIEW_ROWS]
        names = spec.field_names
        resource = package.entry(spec.name)
        facts.append(DatasetFacts(
            name=spec.name,
            title={"zh": spec.title_zh, "en": spec.title_en},
            description={"zh": resource.get("x-description-zh", ""), "en": resource.get("description", "")},
            frequency=resource.get("x-frequency", "IRREG"),
            temporal=table.span if table else _span(rows, TEMPORAL_FIELDS),
            rows=table.rows if table else len(rows),
            primary_key=spec.primary_key,
            foreign_keys=[{"fields": fk["fields"], "resource": fk["reference"]["resource"] or spec.name,
                           "reference_fields": fk["reference"]["fields"]}
                          for fk in spec.schema.get("foreignKeys", [])],
            fields=[{"name": f["name"], "type": f["type"] + (f"/{f['format']}" if f.get("format") else ""),
                     "constraints": _constraints(f),
                     "title": {"zh": f.get("x-title-zh", ""), "en": f.get("title", "")},
                     "description": {"zh": f.get("x-description-zh", ""), "en": f.get("description", "")}}
                    for f in spec.fields],
            preview=[[_cell(row.get(name)) for name in names] for row in preview],
        ))
    return facts

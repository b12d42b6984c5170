"""The model from validated rows: each dataset's typed rows become the records of records.py,
joined (route days and stops, notice areas and references, capacities to their areas) and, for
partner sources, completed with what the last fetch runs recorded."""
from __future__ import annotations

from datetime import datetime, timedelta

from tourhub.core.dates import Moment, PartialDate
from tourhub.model.records import (
    DEFAULT_SCHEME,
    Capacity,
    Certification,
    Check,
    Day,
    Maintainer,
    Model,
    Notice,
    Observation,
    PartnerSource,
    Route,
    ScenicArea,
    Sourced,
    Standard,
    Stop,
    Text,
    VisitInfo,
    WarningLevel,
    WarningScheme,
    Way,
)


def _text(row: dict, name: str) -> Text:
    """A required text in both languages (name_zh, name_en …)."""
    return Text(row.get(f"{name}_zh") or "", row.get(f"{name}_en") or "")


def _optional_text(row: dict, name: str) -> Text | None:
    zh, en = row.get(f"{name}_zh"), row.get(f"{name}_en")
    return Text(zh or "", en or "") if (zh or en) else None


def build_model(typed: dict[str, list[dict]], built_at: datetime, fetch_state: dict | None = None,
                demo: bool = False) -> Model:
    """The model from validated, typed rows (resource name -> rows in file order), and what the
    last `fetch` runs recorded per partner source (datasets/fetch-state.json), if any. `demo`:
    the rows include the demo overlay."""
    levels: dict[str, list[WarningLevel]] = {}
    days: dict[str, list[Day]] = {}
    stops: dict[tuple[str, int], list[Stop]] = {}
    ways: dict[tuple[str, int, int], list[Way]] = {}
    spots_of: dict[str, list[str]] = {}
    refs_of: dict[str, list[str]] = {}
    capacities = {row["spot_id"]: _capacity(row) for row in typed.get("capacities", [])}
    for row in typed["warning_levels"]:
        levels.setdefault(row["scheme_id"], []).append(WarningLevel(
            row["level"], row["rank"], float(row["min_percent"]), row["colour"], _text(row, "label")))
    for row in typed.get("route_legs", []):
        ways.setdefault((row["route_id"], row["day"], row["seq"]), []).append(
            Way(row["mode"], row["minutes"], _float(row.get("km")), _optional_text(row, "note"), row.get("source")))
    for row in typed["route_stops"]:
        stops.setdefault((row["route_id"], row["day"]), []).append(
            Stop(row["spot"], row["stay_minutes"], _optional_text(row, "note"),
                 tuple(ways.get((row["route_id"], row["day"], row["seq"]), ()))))
    for row in typed["route_days"]:
        days.setdefault(row["route_id"], []).append(
            Day(row["day"], _optional_text(row, "title"), tuple(stops.get((row["route_id"], row["day"]), ())),
                _optional_text(row, "overnight"), row.get("overnight_source")))
    for row in typed["notice_spots"]:
        spots_of.setdefault(row["notice_id"], []).append(row["spot_id"])
    for row in typed["notice_references"]:
        refs_of.setdefault(row["notice_id"], []).append(row["referenced_id"])
    return Model(
        built_at=built_at,
        areas=tuple(_area(row, capacities.get(row["id"])) for row in typed["scenic_areas"]),
        routes=tuple(_route(row, days.get(row["id"], [])) for row in typed["routes"]),
        notices=tuple(_notice(row, spots_of.get(row["id"], []), refs_of.get(row["id"], []))
                      for row in typed["safety_notices"]),
        standards=tuple(_standard(row) for row in typed["service_standards"]),
        certifications=tuple(_certification(row) for row in typed["certifications"]),
        schemes=tuple(WarningScheme(row["id"], _text(row, "name"), row.get("standard"), row["basis"],
                                    row["stale_after_minutes"], row["source"], tuple(levels.get(row["id"], ())))
                      for row in typed["warning_schemes"]),
        observations=tuple(Observation(row["spot_id"], row["observed_at"], row["window"], row["count"],
                                       row["method"], row["source"])
                           for row in typed.get("visitor_observations", [])),
        sources=tuple(_source(row, (fetch_state or {}).get(row["id"], {}), built_at)
                      for row in typed.get("sources", [])),
        demo=demo,
    )


def _duration(value, at: datetime) -> timedelta:
    return value if isinstance(value, timedelta) else value.totimedelta(start=at)


def _source(row: dict, state: dict, built_at: datetime) -> PartnerSource:
    success = state.get("last_success")
    return PartnerSource(
        row["id"], _text(row, "name"), row["url"], row["resource"], row["format"], row.get("token_env"),
        float(row["timeout_s"]), row["max_bytes"], _duration(row["expected_every"], built_at), row["maintainer"],
        datetime.fromisoformat(success) if success else None, state.get("last_error"),
        tuple(state.get("areas", ())))


def _float(value) -> float | None:
    return float(value) if value is not None else None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split(",")) if value else ()


def _check(row: dict) -> Check:
    return Check(row["checked_on"], row["checked_by"])


def _known(value: str) -> PartialDate:
    """A date the check already found valid (2014, 2014-11 or 2014-11-21)."""
    parsed = PartialDate.parse(value)
    if parsed is None:
        raise ValueError(f"not a validated date: {value!r}")
    return parsed


def _moment(value: str) -> Moment:
    """A time the check already found valid."""
    parsed = Moment.parse(value)
    if parsed is None:
        raise ValueError(f"not a validated time: {value!r}")
    return parsed


def _partial(value) -> PartialDate | None:
    return PartialDate.parse(value) if value is not None else None


def _capacity(row: dict) -> Capacity:
    return Capacity(row.get("capacity_daily"), row.get("capacity_instant"), _known(row["as_of"]),
                    row["source"], row.get("source_note"), row["illustrative"], _check(row))


def _area(row: dict, capacity: Capacity | None = None) -> ScenicArea:
    return ScenicArea(
        row["id"], _text(row, "name"), row["admin_code"], _text(row, "city"), _text(row, "county"),
        row["a_level"], row["a_level_source"], row["a_level_evidence"], _partial(row.get("a_level_since")),
        row.get("a_level_note"),
        float(row["lon"]), float(row["lat"]), row["coords_approx"], _optional_text(row, "coords_point"),
        _float(row.get("coord_uncertainty_km")), row["coords_source"], row.get("coords_check_source"),
        _float(row.get("coords_check_km")), _visit(row),
        _split(row.get("tags")), _text(row, "description"), row.get("warning_scheme") or DEFAULT_SCHEME,
        row["source"], row.get("source_note"), _maintainer(row), _check(row), capacity)


def _sourced(row: dict, name: str) -> Sourced | None:
    text = _optional_text(row, name)
    return Sourced(text, row[f"{name}_source"]) if text else None


def _visit(row: dict) -> VisitInfo | None:
    """What the check let through: each value with its source, all with their check date."""
    hours, ticket = _sourced(row, "opening_hours"), _sourced(row, "ticket")
    if not (hours or ticket or row.get("reservation_url")):
        return None
    return VisitInfo(hours, ticket, row.get("reservation_url"), row.get("reservation_source"),
                     _optional_text(row, "visit_note"), row["visit_info_checked_on"])


def _maintainer(row: dict) -> Maintainer | None:
    if not row.get("maintainer"):
        return None
    return Maintainer(Text(row["maintainer"], row.get("maintainer_en") or ""), bool(row.get("maintainer_en_official")))


def _route(row: dict, days: list[Day]) -> Route:
    return Route(
        row["id"], _text(row, "name"), _text(row, "summary"), row["theme"], row["difficulty"],
        _text(row, "season"), _text(row, "accessibility"), _text(row, "safety"), row["legs_estimated"],
        row["source"], row.get("source_note"), tuple(days), _check(row))


def _notice(row: dict, spot_ids: list[str], references: list[str]) -> Notice:
    sent = _moment(row["sent"])
    return Notice(
        row["id"], row["status"], row["msg_type"], row["category"], _text(row, "event"), row["urgency"],
        row["severity"], row["certainty"], sent, Moment.parse(row.get("effective")) or sent,
        Moment.parse(row.get("expires")),
        _text(row, "sender"), _text(row, "headline"), _text(row, "description"), _text(row, "instruction"),
        _text(row, "area_desc"), _split(row.get("admin_codes")), tuple(spot_ids), tuple(references),
        row["source"], row["illustrative"], _check(row), row.get("source_note"))


def _standard(row: dict) -> Standard:
    return Standard(
        row["code"], _text(row, "title"), _text(row, "issuer"), row["scope"], _known(row["issued"]),
        _known(row["effective"]), row["status"], row.get("superseded_by"), row.get("url"), row["source"],
        row.get("source_note"), _check(row))


def _certification(row: dict) -> Certification:
    return Certification(
        row["id"], row.get("certificate_no"), _text(row, "holder"), row["holder_kind"], row.get("spot_id"),
        row["standard"], row["level"], _text(row, "issuer"), _partial(row.get("valid_from")),
        row.get("valid_until"), row["status"], _optional_text(row, "status_note"), row["source"],
        row.get("source_note"), row["illustrative"], _check(row))

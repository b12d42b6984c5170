"""Rules Frictionless cannot express: across rows, across datasets, and about the real world.

Each rule reads the rows Frictionless cast (None where a cell's type failed, so such a cell is
reported once, by Frictionless, and skipped here; a value breaking a constraint keeps its value)
and points back at the cell it is about.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from tourhub.check.problems import Problem
from tourhub.check.tables import Row
from tourhub.core.dates import CHINA, Moment, PartialDate

MARKUP = re.compile(r"<[a-zA-Z/!?]|javascript\s*:", re.I)
PLACEHOLDER = re.compile(r"^TODO\b|//example\.invalid/TODO")     # what `build.py new` leaves to fill in
WEB_URL = re.compile(r"https?://[^\s/]+", re.I)
FUTURE_TOLERANCE = timedelta(minutes=10)
PARTITION = re.compile(r"[0-9]{4}-[0-9]{2}")
PARTIAL_DATE_PATTERN = "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
RECHECK_AFTER = timedelta(days=365)
CHECK_DISTANCE_KM = 1.0       # a second source further off than this does not confirm a point


def check_rules(validated, now: datetime | None = None) -> list[Problem]:
    now = now or datetime.now(UTC)
    package = validated.package
    rows = {name: list(zip(validated.tables.rows[name], validated.typed.get(name, [])))
            for name in validated.tables.rows}
    found: list[Problem] = []
    for name, pairs in rows.items():
        found += text_rules(package.resource(name), pairs)
        if package.resource(name).source.each == "mapping":
            found += file_name_rules(pairs)
    found += scenic_area_rules(rows["scenic_areas"], package.region)
    found += capacity_rules(rows.get("capacities", []))
    found += route_rules(rows["routes"], rows["route_days"], rows["route_stops"], rows.get("route_legs", []))
    found += visit_info_rules(rows["scenic_areas"])
    found += language_pair_rules(rows["route_days"], ("overnight_zh", "overnight_en"))
    found += notice_rules(rows["safety_notices"], rows["notice_spots"], rows["notice_references"])
    found += standard_rules(rows["service_standards"])
    found += certification_rules(rows["certifications"], rows["service_standards"])
    found += scheme_rules(rows["warning_levels"])
    for name, pairs in rows.items():
        spec = package.resource(name)
        found += partial_date_rules(spec, pairs)
        found += check_date_rules(pairs, now)
        found += truth_rules(pairs, package.from_overlay)
    return found


def partial_date_rules(spec, pairs) -> Iterator[Problem]:
    """Dates known to the year or month (2014, 2014-11): a month or day that does not exist."""
    fields = [f["name"] for f in spec.fields if f["type"] == "string"
              and f.get("constraints", {}).get("pattern") == PARTIAL_DATE_PATTERN]
    for row, typed in pairs:
        for name in fields:
            value = typed.get(name)
            if value is not None and PartialDate.parse(value) is None:
                yield _at(row, name, "value-type", field=name, value=value, type_zh="日期", type_en="date")


CHECK_DATES = ("checked_on", "visit_info_checked_on")    # when a record, or part of it, was checked


def check_date_rules(pairs, now: datetime) -> Iterator[Problem]:
    """Check dates are not in the future, and what was not checked for a year is flagged."""
    today = now.astimezone(CHINA).date()
    for row, typed in pairs:
        for name in CHECK_DATES:
            checked = typed.get(name)
            if checked is None:
                continue
            if checked > today:
                yield _at(row, name, "checked-in-future", value=checked.isoformat(), today=today.isoformat())
            elif today - checked > RECHECK_AFTER:
                yield _at(row, name, "check-overdue", value=checked.isoformat(), days=(today - checked).days)


def truth_rules(pairs, from_overlay) -> Iterator[Problem]:
    """Invented values live only in the demo overlay, and everything there says it is invented."""
    for row, typed in pairs:
        flag = typed.get("illustrative")
        if flag is None:
            continue
        if flag and not from_overlay(row.pos.file):
            yield _at(row, "illustrative", "illustrative-in-production")
        elif not flag and from_overlay(row.pos.file):
            yield _at(row, "illustrative", "demo-not-illustrative")
        if flag and typed.get("status") == "Actual":
            yield _at(row, "status", "illustrative-status-actual")


def _at(row: Row, name: str, code: str, **params) -> Problem:
    return Problem.at(row.pos_of(name), code, params)


def text_rules(spec, pairs) -> Iterator[Problem]:
    """No markup in any text, and web addresses only where a field is a link."""
    strings = [f for f in spec.fields if f["type"] == "string"]
    for row, typed in pairs:
        for field in strings:
            text = row.text(field["name"])
            if not text or typed.get(field["name"]) is None:
                continue
            if PLACEHOLDER.search(text):
                yield _at(row, field["name"], "value-placeholder", field=field["name"])
                continue
            markup = MARKUP.search(text)
            if markup:
                snippet = text[markup.start(): markup.start() + 20]
                yield _at(row, field["name"], "value-markup", field=field["name"], snippet=snippet)
            elif field.get("format") == "uri" and not WEB_URL.match(text):
                yield _at(row, field["name"], "value-url-scheme", field=field["name"])


def file_name_rules(pairs) -> Iterator[Problem]:
    """A record that has a file of its own is named after its id (routes, notices)."""
    for row, _ in pairs:
        stem = PurePosixPath(row.pos.file).stem
        if row.text("id") and row.text("id") != stem:
            yield _at(row, "id", "record-id-filename", value=row.text("id"), stem=stem)


def scenic_area_rules(pairs, region: dict) -> Iterator[Problem]:
    for row, area in pairs:
        code, lon, lat = area.get("admin_code"), area.get("lon"), area.get("lat")
        province = region.get((code or "")[:2])
        if code and province is None:
            yield _at(row, "admin_code", "admin-code-region", value=code)
        if lon is not None and lat is not None:
            yield from _coordinate_problems(row, float(lon), float(lat), province, region)
        yield from _coordinate_check_problems(row, area)


def _coordinate_check_problems(row, area: dict) -> Iterator[Problem]:
    """A point is either confirmed by a second source within 1 km, or approximate and says what it is."""
    approx = area.get("coords_approx")
    if approx and not (area.get("coords_point_zh") and area.get("coords_point_en")):
        yield _at(row, "coords_approx", "coords-approx-unexplained")
    elif approx is False and not area.get("coords_check_source"):
        yield _at(row, "coords_approx", "coords-unconfirmed")
    elif approx is False and (area.get("coords_check_km") or 0) > CHECK_DISTANCE_KM:
        yield _at(row, "coords_check_km", "coords-check-far", km=area["coords_check_km"], limit=CHECK_DISTANCE_KM)


def capacity_rules(pairs) -> Iterator[Problem]:
    for row, capacity in pairs:
        daily, instant = capacity.get("capacity_daily"), capacity.get("capacity_instant")
        if daily and instant and instant > daily:
            yield _at(row, "capacity_instant", "capacity-order", instant=instant, daily=daily)
        if not daily and not instant and "capacity_daily" not in row.cells and "capacity_instant" not in row.cells:
            yield Problem.at(row.pos, "record-missing-key", {"key": "capacity_daily"})


def _inside(box: dict, lon: float, lat: float) -> bool:
    return box["lon"][0] <= lon <= box["lon"][1] and box["lat"][0] <= lat <= box["lat"][1]


def _coordinate_problems(row, lon, lat, province, region) -> Iterator[Problem]:
    boxes = [province] if province else list(region.values())
    if abs(lon) < 1e-9 and abs(lat) < 1e-9:
        yield _at(row, "lon", "coord-null-island")
    elif any(_inside(box, lon, lat) for box in boxes):
        return
    elif any(_inside(box, lat, lon) for box in boxes):
        yield _at(row, "lon", "coord-swapped")
    elif province:
        yield _at(row, "lon", "coord-outside-region", lon=lon, lat=lat,
                  province_zh=province["zh"], province_en=province["en"])


def route_rules(routes, days, stops, legs=()) -> Iterator[Problem]:
    days_of, stops_of, ways_of = defaultdict(list), defaultdict(list), defaultdict(list)
    for row, day in days:
        days_of[day.get("route_id")].append((row, day))
    for row, stop in stops:
        stops_of[(stop.get("route_id"), stop.get("day"))].append((row, stop))
    for row, way in legs:
        ways_of[(way.get("route_id"), way.get("day"), way.get("seq"))].append((row, way))
    for route_row, route in routes:
        route_id = route.get("id")
        route_days = days_of.get(route_id, [])
        if not route_days:
            yield Problem(route_row.pos.file, route_row.pos.line, route_row.pos.column,
                          "record-missing-key", {"key": "days"})
            continue
        ordered_stops = []
        for position, (day_row, day) in enumerate(route_days, start=1):
            if day.get("day") is not None and day["day"] != position:
                yield _at(day_row, "day", "route-day-order", position=position, expected=position, value=day["day"])
            day_stops = stops_of.get((route_id, day.get("day")), [])
            if not day_stops:
                yield _at(day_row, "day", "route-day-empty", day=day.get("day"))
            ordered_stops += day_stops
        ways = [ways_of.get((route_id, stop.get("day"), stop.get("seq")), []) for _, stop in ordered_stops]
        yield from _leg_problems(ordered_stops, ways)
        if route.get("legs_estimated") is False:
            yield from (_at(row, "mode", "route-way-unsourced", mode=way.get("mode"))
                        for leg in ways for row, way in leg if not way.get("source"))


def _leg_problems(ordered_stops, ways) -> Iterator[Problem]:
    """Every stop but the route's last has at least one way to the next; the last has none."""
    for index, (row, stop) in enumerate(ordered_stops):
        last = index == len(ordered_stops) - 1
        if last and ways[index]:
            yield _at(ways[index][0][0], "mode", "route-leg-extra")
        elif not last and not ways[index]:
            yield Problem.at(row.pos, "route-leg-missing")
        elif not last and ways[index][0][1].get("minutes") is None and "minutes" not in ways[index][0][0].cells:
            yield Problem.at(ways[index][0][0].pos, "record-missing-key", {"key": "minutes"})   # the totals count it
        if index and stop.get("spot") and stop["spot"] == ordered_stops[index - 1][1].get("spot"):
            yield _at(row, "spot", "route-repeated-stop", value=stop["spot"])


# What a visitor plans with, each value with the field naming the public page that states it.
VISIT_INFO = (("opening_hours_zh", "opening_hours_source"), ("opening_hours_en", "opening_hours_source"),
              ("ticket_zh", "ticket_source"), ("ticket_en", "ticket_source"),
              ("reservation_url", "reservation_source"))


def visit_info_rules(areas) -> Iterator[Problem]:
    """Opening hours, tickets and a reservation link only with the page stating them and the day
    they were checked, in both languages."""
    for row, area in areas:
        given = [name for name, _ in VISIT_INFO if area.get(name)]
        for name, source in VISIT_INFO:
            if name in given and not area.get(source):
                yield _at(row, name, "visit-info-unsourced", field=name, source=source)
        if given and not area.get("visit_info_checked_on"):
            yield _at(row, given[0], "visit-info-unchecked", field=given[0])
    yield from language_pair_rules(areas, ("opening_hours_zh", "opening_hours_en"), ("ticket_zh", "ticket_en"),
                                   ("visit_note_zh", "visit_note_en"))


def language_pair_rules(pairs, *names: tuple[str, str]) -> Iterator[Problem]:
    """A text a visitor reads in both languages is written in both, or not at all."""
    for row, typed in pairs:
        for first, second in names:
            if bool(typed.get(first)) != bool(typed.get(second)):
                given, missing = (first, second) if typed.get(first) else (second, first)
                yield _at(row, given, "value-other-language", field=given, other=missing)


def notice_rules(notices, spots, references) -> Iterator[Problem]:
    by_id = {notice.get("id"): notice for _, notice in notices}
    with_spots = {link.get("notice_id") for _, link in spots}
    refs_of = defaultdict(list)
    for row, link in references:
        refs_of[link.get("notice_id")].append((row, link))
    moments = {}
    for row, notice in notices:
        for name in ("sent", "effective", "expires"):
            value = notice.get(name)
            if value is not None and Moment.parse(value) is None:
                code = "value-time-offset" if _without_offset(value) else "value-type"
                yield _at(row, name, code, field=name, value=value, type_zh="时间", type_en="time")
        sent = Moment.parse(notice.get("sent"))
        effective = Moment.parse(notice.get("effective")) or sent
        expires = Moment.parse(notice.get("expires"))
        moments[notice.get("id")] = sent
        if effective and expires and expires.end <= effective.start:
            yield _at(row, "expires", "notice-expires-order", expires=row.text("expires"),
                      effective=row.text("effective") or row.text("sent"))
        if notice.get("id") not in with_spots and not notice.get("admin_codes"):
            yield Problem.at(row.pos, "notice-no-area")
        msg_type, refs = notice.get("msg_type"), refs_of.get(notice.get("id"), [])
        if msg_type in ("Update", "Cancel") and not refs:
            yield _at(row, "msg_type", "notice-update-needs-reference", msg_type=msg_type)
        if msg_type == "Alert" and refs:
            yield _at(refs[0][0], "referenced_id", "notice-alert-has-reference")
        for ref_row, link in refs:
            target = by_id.get(link.get("referenced_id"))
            if link.get("referenced_id") == notice.get("id"):
                yield _at(ref_row, "referenced_id", "notice-reference-self")
            elif target and _later(Moment.parse(target.get("sent")), Moment.parse(notice.get("sent"))):
                yield _at(ref_row, "referenced_id", "notice-reference-later", value=link["referenced_id"])


def _later(first: Moment | None, second: Moment | None) -> bool:
    """Whether `first` surely comes after `second` (a day-only time covers its whole day)."""
    return first is not None and second is not None and first.start >= second.end and first.start > second.start


def _without_offset(value: str) -> bool:
    """A date and time that would be valid but for its missing UTC offset."""
    try:
        return "T" in value and datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        return False


def standard_rules(standards) -> Iterator[Problem]:
    for row, standard in standards:
        if standard.get("status") == "superseded" and not standard.get("superseded_by"):
            yield _at(row, "status", "standard-superseded-by")
        issued, effective = PartialDate.parse(standard.get("issued")), PartialDate.parse(standard.get("effective"))
        if issued and effective and effective.surely_before(issued):
            yield _at(row, "effective", "standard-dates-order", effective=effective, issued=issued)


def certification_rules(certifications, standards) -> Iterator[Problem]:
    by_code = {standard.get("code"): standard for _, standard in standards}
    for row, cert in certifications:
        start, end = PartialDate.parse(cert.get("valid_from")), cert.get("valid_until")
        if start and end and end <= start.earliest:
            yield _at(row, "valid_until", "cert-dates-order", valid_until=end, valid_from=start)
        standard = by_code.get(cert.get("standard"))
        if standard is None:
            continue
        if standard.get("status") == "withdrawn":
            yield _at(row, "standard", "cert-standard-withdrawn", value=cert["standard"])
        issued = PartialDate.parse(standard.get("issued"))
        if start and issued and start.surely_before(issued):
            yield _at(row, "valid_from", "cert-before-standard", valid_from=start,
                      value=cert["standard"], issued=issued)


def scheme_rules(levels) -> Iterator[Problem]:
    by_scheme = defaultdict(list)
    for row, level in levels:
        by_scheme[level.get("scheme_id")].append((row, level))
    for scheme_levels in by_scheme.values():
        thresholds = [level.get("min_percent") for _, level in scheme_levels]
        if None in thresholds:
            continue
        if thresholds[0] != 0:
            yield _at(scheme_levels[0][0], "min_percent", "scheme-levels-order")
        for index in range(1, len(thresholds)):
            if thresholds[index] <= thresholds[index - 1]:
                yield _at(scheme_levels[index][0], "min_percent", "scheme-levels-order")
                break


def partition_row_rules(resource: str, file: str, field_names: list[str], with_capacity: frozenset,
                        demo: bool = False):
    """The per-row rules of one CSV partition, as a function taking a batch of (line, cells in
    field order) and returning its problems, or None when the resource has none. Millions of
    rows pass here, so each rule looks at a row's time, and at each area, source and method once.
    `demo`: the file belongs to the demo overlay, where every count must be marked illustrative
    (and nowhere else may one be). Rule obs-future needs the clock: see `future_observations`."""
    if resource != "visitor_observations":
        return None
    stem = PurePosixPath(file).stem
    month = (int(stem[:4]), int(stem[5:])) if PARTITION.fullmatch(stem) else None
    i_spot, i_at, i_source, i_method = (field_names.index(n) for n in ("spot_id", "observed_at", "source", "method"))
    spots_seen: set = set()
    sources_seen: set = set()
    methods_seen: set = set()

    def check(batch: list[tuple[int, tuple]]) -> list[Problem]:
        found = []
        for line, cells in batch:
            at = cells[i_at]
            if at.tzinfo is None:
                found.append(Problem(file, line, 1, "value-time-offset", {"field": "observed_at",
                                                                          "value": at.isoformat()}))
            if month and (at.year, at.month) != month:
                found.append(Problem(file, line, 1, "obs-partition", {"value": at.isoformat(), "file": file,
                                                                      "expected": at.strftime("%Y-%m")}))
            spot, source = cells[i_spot], cells[i_source]
            if spot not in spots_seen:
                spots_seen.add(spot)
                if spot not in with_capacity:
                    found.append(Problem(file, line, 1, "obs-no-capacity", {"value": spot}))
            if source not in sources_seen:
                sources_seen.add(source)
                if MARKUP.search(source):
                    found.append(Problem(file, line, 1, "value-markup", {"field": "source", "snippet": source[:20]}))
            method = cells[i_method]
            if method not in methods_seen:
                methods_seen.add(method)
                if method == "illustrative" and not demo:
                    found.append(Problem(file, line, 1, "illustrative-in-production"))
                elif method != "illustrative" and demo:
                    found.append(Problem(file, line, 1, "demo-not-illustrative"))
        return found

    return check


def future_observations(file: str, late: tuple[tuple[int, datetime], ...], now: datetime) -> list[Problem]:
    """Rule obs-future on the rows a partition noted as later than the time it was checked."""
    return [Problem(file, line, 1, "obs-future", {"value": at.isoformat(), "now": now.isoformat(timespec="minutes")})
            for line, at in late if at > now + FUTURE_TOLERANCE]

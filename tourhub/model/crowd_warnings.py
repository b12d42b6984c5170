"""Crowd warnings (景区客流预警) raised from the observations themselves.

Each area's readings are graded by its warning scheme. Entering a warning level (orange or red
under LB/T 068-2017) issues a safety notice (CAP msgType Alert, severity by level); moving between
warning levels issues an Update; falling back below them issues a Cancel. Every notice expires
`stale_after_minutes` after the last reading that supports it, so a feed that goes quiet never
leaves an old warning standing. The notices join the editors' notices in the model: the site,
the banner and the CAP feed treat them alike.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tourhub.core.dates import Moment
from tourhub.model.records import Model, Notice, Text, WarningLevel

WARNING_LEVELS = {"orange": "Moderate", "red": "Severe"}   # level -> CAP severity
LOOKBACK = timedelta(hours=24)
SENDER = Text("巴蜀文旅开放数据（自动客流预警）", "Bashu Travel Open Data (automatic crowd warning)")


@dataclass(frozen=True)
class Reading:
    at: datetime
    percent: float
    level: WarningLevel


@dataclass(frozen=True)
class Run:
    """Consecutive readings in the same warning level (None: below every warning level)."""

    level: WarningLevel | None
    first: Reading
    last: Reading


def readings(model: Model, area_id: str, since: datetime) -> list[Reading]:
    """The area's graded readings after `since`, oldest first (empty without a capacity)."""
    area = model.area_by_id[area_id]
    scheme = model.scheme_by_id[area.warning_scheme]
    if not area.capacity_for(scheme.basis):
        return []
    found = []
    for obs in model.observations_of(area_id, scheme.basis, after=since):
        percent = area.percent_of(obs.count, scheme.basis)
        found.append(Reading(obs.observed_at, percent, scheme.level_for(percent)))
    return found


def level_changes(model: Model, area_id: str, since: datetime) -> list[Reading]:
    """The readings at which the area's level changed (the first reading included)."""
    changes: list[Reading] = []
    for reading in readings(model, area_id, since):
        if not changes or reading.level.level != changes[-1].level.level:
            changes.append(reading)
    return changes


def runs(series: list[Reading]) -> list[Run]:
    grouped: list[Run] = []
    for reading in series:
        level = reading.level if reading.level.level in WARNING_LEVELS else None
        if grouped and _same(grouped[-1].level, level):
            grouped[-1] = replace(grouped[-1], last=reading)
        else:
            grouped.append(Run(level, reading, reading))
    return grouped


def _same(a: WarningLevel | None, b: WarningLevel | None) -> bool:
    return (a.level if a else None) == (b.level if b else None)


def area_warnings(model: Model, area_id: str) -> list[Notice]:
    area = model.area_by_id[area_id]
    scheme = model.scheme_by_id[area.warning_scheme]
    stale = timedelta(minutes=scheme.stale_after_minutes)
    observed = model.observations_of(area_id, scheme.basis)
    source = observed[-1].source if observed else "observations"
    illustrative = (bool(area.capacity and area.capacity.illustrative)
                    or any(o.method == "illustrative" for o in observed[-1:]))
    notices: list[Notice] = []
    current: Notice | None = None
    for run in runs(readings(model, area_id, model.built_at - LOOKBACK)):
        if run.level is None:
            if current is not None:
                notices.append(_notice(area, run.first, None, "Cancel", current, run.first.at + stale,
                                       source, illustrative))
                current = None
            continue
        msg_type = "Alert" if current is None else "Update"
        current = _notice(area, run.first, run.level, msg_type, current, run.last.at + stale, source, illustrative)
        notices.append(current)
    return notices


def _notice(area, reading: Reading, level: WarningLevel | None, msg_type: str, previous: Notice | None,
            expires: datetime, source: str, illustrative: bool) -> Notice:
    if level is None and previous is None:
        raise ValueError("a Cancel needs the warning it cancels")
    severity = WARNING_LEVELS[level.level] if level else previous.severity   # type: ignore[union-attr]
    if level:
        headline = Text(f"{area.name.zh}{level.label.zh}：游客已达最大承载量的 {reading.percent}%",
                        f"{area.name.en}: {level.label.en}, visitors at {reading.percent}% of the approved maximum")
        description = Text(
            f"{reading.at:%m-%d %H:%M} 观测，{area.name.zh}游客数已达核定最大承载量的 {reading.percent}%"
            f"（{level.label.zh}）。",
            f"Observed {reading.at:%m-%d %H:%M}: {area.name.en} holds {reading.percent}% of its approved "
            f"maximum ({level.label.en}).")
        instruction = Text("请错峰出行，或改去附近其他景区；已在园游客请听从现场疏导。",
                           "Visit at another time or choose a nearby area; visitors inside, follow the "
                           "staff's directions.")
    else:
        headline = Text(f"{area.name.zh}客流预警解除（{reading.percent}%）",
                        f"{area.name.en}: crowd warning lifted ({reading.percent}%)")
        description = Text(f"{reading.at:%m-%d %H:%M} 观测，游客数已回落至最大承载量的 {reading.percent}%。",
                           f"Observed {reading.at:%m-%d %H:%M}: visitors are down to {reading.percent}% "
                           "of the maximum.")
        instruction = Text("可正常游览。", "Visit as usual.")
    return Notice(
        id=f"crowd-{area.id}-{reading.at:%Y%m%d%H%M}", status="Exercise" if illustrative else "Actual",
        msg_type=msg_type, category="Safety",
        event=Text("景区客流预警", "Scenic-area crowd warning"), urgency="Immediate", severity=severity,
        certainty="Observed", sent=Moment(reading.at), effective=Moment(reading.at), expires=Moment(expires),
        sender=SENDER,
        headline=headline, description=description, instruction=instruction, area_desc=area.name,
        admin_codes=(area.admin_code,), spot_ids=(area.id,),
        references=(previous.id,) if previous else (), source=source, illustrative=illustrative)


def with_crowd_warnings(model: Model) -> Model:
    """The model with the crowd warnings of the last LOOKBACK added to its notices."""
    generated = tuple(n for area in model.areas if area.id in model.occupancy_by_area
                      for n in area_warnings(model, area.id))
    return replace(model, notices=model.notices + generated) if generated else model

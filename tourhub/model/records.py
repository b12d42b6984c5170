"""The validated model: typed, immutable, and the only thing pages and exports read.

Built from the rows Frictionless cast, after validation found no error. States that depend on
time (a notice active or expired, a certification expired) are computed against the build time
`now`, never typed in by editors.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from tourhub.core.dates import Moment, PartialDate

DEFAULT_SCHEME = "lbt-068-2017"
SEVERITY_ORDER = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
RECHECK_AFTER = timedelta(days=365)   # a record not checked for a year is flagged on its page


@dataclass(frozen=True)
class Text:
    """The same text in Chinese and English."""

    zh: str
    en: str

    def in_(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


DEMO_MARK = Text("【示例 · 虚构数据】", "[DEMO · invented data] ")


def marked(text: str, illustrative: bool, lang: str) -> str:
    """A headline or title as shown anywhere outside the page itself: invented ones say so first."""
    return DEMO_MARK.in_(lang) + text if illustrative else text


@dataclass(frozen=True)
class Check:
    """When a record was last checked against its sources, and by whom."""

    on: date
    by: str

    def overdue(self, today: date) -> bool:
        return today - self.on > RECHECK_AFTER


@dataclass(frozen=True)
class Capacity:
    """An area's approved maximum capacity (LB/T 034-2014), as a source published it."""

    daily: int | None
    instant: int | None
    as_of: PartialDate
    source: str
    source_note: str | None
    illustrative: bool
    check: Check


@dataclass(frozen=True)
class Sourced:
    """A fact a visitor plans with, in both languages, and the public page that states it."""

    text: Text
    source: str


@dataclass(frozen=True)
class VisitInfo:
    """Opening hours, tickets and the official reservation link, each only where a source
    publishes it, and the day they were last checked."""

    opening_hours: Sourced | None
    ticket: Sourced | None
    reservation_url: str | None
    reservation_source: str | None
    note: Text | None
    checked_on: date


@dataclass(frozen=True)
class Maintainer:
    """The bureau responsible for a record; its English name is the one it publishes, or the
    hub's translation (`official_en` False), and is shown as such."""

    name: Text
    official_en: bool


@dataclass(frozen=True)
class ScenicArea:
    id: str
    name: Text
    admin_code: str
    city: Text
    county: Text
    a_level: int
    a_level_source: str
    a_level_evidence: str              # announcement, proposal, report or secondary
    a_level_since: PartialDate | None
    a_level_note: str | None
    lon: float
    lat: float
    coords_approx: bool
    coords_point: Text | None          # what an approximate point is (a town centre …)
    coord_uncertainty_km: float | None
    coords_source: str
    coords_check_source: str | None
    coords_check_km: float | None
    visit: VisitInfo | None            # None: no opening hours, tickets or reservation link published
    tags: tuple[str, ...]
    description: Text
    warning_scheme: str
    source: str
    source_note: str | None
    maintainer: Maintainer | None
    check: Check
    capacity: Capacity | None = None

    def capacity_for(self, basis: str) -> int | None:
        """The approved maximum a warning scheme measures against: daily or instant."""
        if self.capacity is None:
            return None
        return self.capacity.daily if basis == "daily" else self.capacity.instant

    def percent_of(self, count: int, basis: str) -> float:
        capacity = self.capacity_for(basis)
        if not capacity:
            raise ValueError(f"{self.id} has no {basis} capacity to grade a count against")
        return round(100 * count / capacity, 1)

    @property
    def province(self) -> str:
        return {"51": "sichuan", "50": "chongqing"}.get(self.admin_code[:2], "other")


@dataclass(frozen=True)
class Way:
    """One way to travel from a stop to the next: drive, high-speed-rail, rail, bus, metro, walk
    or boat. Without a source, its time and distance are the editors' estimate."""

    mode: str
    minutes: int | None                # None: no source states it (never for a leg's first way)
    km: float | None
    note: Text | None = None
    source: str | None = None


@dataclass(frozen=True)
class Stop:
    spot_id: str
    stay_minutes: int
    note: Text | None
    ways: tuple[Way, ...] = ()         # to the next stop, the editors' first choice first; none after the last

    @property
    def leg(self) -> Way | None:
        """The way the day plan and the route's totals count (the first)."""
        return self.ways[0] if self.ways else None


@dataclass(frozen=True)
class Day:
    number: int
    title: Text | None
    stops: tuple[Stop, ...]
    overnight: Text | None = None      # where to sleep at the end of the day
    overnight_source: str | None = None


@dataclass(frozen=True)
class Route:
    id: str
    name: Text
    summary: Text
    theme: str
    difficulty: str
    season: Text
    accessibility: Text
    safety: Text
    legs_estimated: bool
    source: str
    source_note: str | None
    days: tuple[Day, ...]
    check: Check

    @cached_property
    def stops(self) -> tuple[Stop, ...]:
        return tuple(stop for day in self.days for stop in day.stops)

    @cached_property
    def spot_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(stop.spot_id for stop in self.stops))

    @property
    def distance_km(self) -> float:
        return round(sum(stop.leg.km or 0 for stop in self.stops if stop.leg), 1)

    @property
    def travel_minutes(self) -> int:
        return sum(stop.leg.minutes or 0 for stop in self.stops if stop.leg)


@dataclass(frozen=True)
class Notice:
    id: str
    status: str
    msg_type: str
    category: str
    event: Text
    urgency: str
    severity: str
    certainty: str
    sent: Moment
    effective: Moment               # when sent, unless the notice states otherwise
    expires: Moment | None          # None: the notice states no end
    sender: Text
    headline: Text
    description: Text
    instruction: Text
    area_desc: Text
    admin_codes: tuple[str, ...]
    spot_ids: tuple[str, ...]
    references: tuple[str, ...]
    source: str
    illustrative: bool
    check: Check | None = None      # None for the crowd warnings the hub computes itself
    source_note: str | None = None

    @property
    def severity_rank(self) -> int:
        return SEVERITY_ORDER.index(self.severity)


@dataclass(frozen=True)
class Standard:
    code: str
    title: Text
    issuer: Text
    scope: str
    issued: PartialDate
    effective: PartialDate
    status: str
    superseded_by: str | None
    url: str | None
    source: str
    source_note: str | None
    check: Check


@dataclass(frozen=True)
class Certification:
    id: str
    certificate_no: str | None
    holder: Text
    holder_kind: str
    spot_id: str | None
    standard: str
    level: str
    issuer: Text
    valid_from: PartialDate | None      # None: no source dates the award
    valid_until: date | None
    declared_status: str
    status_note: Text | None
    source: str
    source_note: str | None
    illustrative: bool
    check: Check

    def status_on(self, day: date) -> str:
        """valid, suspended, revoked — or expired once valid_until has passed."""
        if self.declared_status == "valid" and self.valid_until and self.valid_until < day:
            return "expired"
        return self.declared_status


@dataclass(frozen=True)
class WarningLevel:
    level: str
    rank: int
    min_percent: float
    colour: str
    label: Text


@dataclass(frozen=True)
class WarningScheme:
    id: str
    name: Text
    standard: str | None
    basis: str
    stale_after_minutes: int
    source: str
    levels: tuple[WarningLevel, ...]

    def level_for(self, percent: float) -> WarningLevel:
        return [level for level in self.levels if percent >= level.min_percent][-1]


@dataclass(frozen=True)
class Observation:
    spot_id: str
    observed_at: datetime
    window: str
    count: int
    method: str
    source: str


@dataclass(frozen=True)
class PartnerSource:
    """A partner feed, and what the last `fetch` runs recorded about it (datasets/fetch-state.json)."""

    id: str
    name: Text
    url: str
    resource: str
    format: str
    token_env: str | None
    timeout_s: float
    max_bytes: int
    expected_every: timedelta
    maintainer: str
    last_success: datetime | None = None
    last_error: dict | None = None
    area_ids: tuple[str, ...] = ()

    def quiet_at(self, now: datetime) -> bool:
        """No good delivery within `expected_every`: its areas are stale, never 'comfortable'."""
        return self.last_success is None or now - self.last_success > self.expected_every


@dataclass(frozen=True)
class Occupancy:
    """An area's latest crowding: count against its approved maximum, graded by its scheme."""

    area_id: str
    scheme: WarningScheme
    window: str                                    # daily or instant, as the scheme's basis says
    observed_at: datetime
    count: int
    capacity: int
    percent: float
    level: WarningLevel
    stale: bool                                    # older than the scheme allows, at build time
    series: tuple[tuple[datetime, float], ...]     # percent over the last SERIES_DAYS days
    illustrative: bool = False                     # invented counts or capacity (the demo)


SERIES_DAYS = 7


@dataclass(frozen=True)
class Model:
    built_at: datetime
    areas: tuple[ScenicArea, ...]
    routes: tuple[Route, ...]
    notices: tuple[Notice, ...]
    standards: tuple[Standard, ...]
    certifications: tuple[Certification, ...]
    schemes: tuple[WarningScheme, ...]
    observations: tuple[Observation, ...] = field(repr=False)
    sources: tuple[PartnerSource, ...] = ()
    demo: bool = False        # the demo overlay is laid over the real data: every page says so

    @property
    def today(self) -> date:
        return self.built_at.date()

    @property
    def default_scheme(self) -> WarningScheme:
        return self.scheme_by_id.get(DEFAULT_SCHEME) or self.schemes[0]

    @cached_property
    def area_by_id(self) -> dict[str, ScenicArea]:
        return {area.id: area for area in self.areas}

    @cached_property
    def notice_by_id(self) -> dict[str, Notice]:
        return {notice.id: notice for notice in self.notices}

    @cached_property
    def standard_by_code(self) -> dict[str, Standard]:
        return {standard.code: standard for standard in self.standards}

    @cached_property
    def scheme_by_id(self) -> dict[str, WarningScheme]:
        return {scheme.id: scheme for scheme in self.schemes}

    @cached_property
    def _by_spot(self) -> dict[str, tuple[list[Route], list[Certification], list[Notice]]]:
        """Each area id -> the routes through it, its certifications and the notices naming it,
        each in model order (one pass, not one scan per area page)."""
        found: dict[str, tuple[list, list, list]] = {}
        for route in self.routes:
            for spot_id in route.spot_ids:
                found.setdefault(spot_id, ([], [], []))[0].append(route)
        for cert in self.certifications:
            if cert.spot_id:
                found.setdefault(cert.spot_id, ([], [], []))[1].append(cert)
        for notice in self.notices:
            for spot_id in dict.fromkeys(notice.spot_ids):
                found.setdefault(spot_id, ([], [], []))[2].append(notice)
        return found

    def routes_through(self, spot_id: str) -> list[Route]:
        return list(self._by_spot.get(spot_id, ([], [], []))[0])

    def certifications_at(self, spot_id: str) -> list[Certification]:
        return list(self._by_spot.get(spot_id, ([], [], []))[1])

    @cached_property
    def _replaced_by(self) -> dict[str, Notice]:
        """Each notice id -> the latest later notice that updates or cancels it."""
        replaced: dict[str, Notice] = {}
        for notice in sorted(self.notices, key=lambda n: n.sent.start):
            for ref in notice.references:
                replaced[ref] = notice
        return replaced

    def notice_state(self, notice: Notice) -> str:
        """active, upcoming, expired, cancelled (by a Cancel), updated (by an Update), or
        open-ended: in effect with no end the notice states, so never shown as surely active."""
        if notice.msg_type == "Cancel":
            return "cancelled"
        later = self._replaced_by.get(notice.id)
        if later is not None and later.sent.start <= self.built_at:
            return "cancelled" if later.msg_type == "Cancel" else "updated"
        if notice.expires is not None and notice.expires.end <= self.built_at:
            return "expired"
        if notice.effective.start > self.built_at:
            return "upcoming"
        return "active" if notice.expires is not None else "open-ended"

    def notices_for(self, spot_id: str) -> list[Notice]:
        return list(self._by_spot.get(spot_id, ([], [], []))[2])

    def active_notices_for(self, spot_ids) -> list[Notice]:
        """Notices in force now for any of the spots, most severe first."""
        wanted = set(spot_ids)
        found = [n for n in self.notices if wanted & set(n.spot_ids) and self.notice_state(n) == "active"]
        return sorted(found, key=lambda n: (n.severity_rank, n.effective.start))

    @cached_property
    def _observations_by_key(self) -> dict[tuple[str, str], list[Observation]]:
        grouped: dict[tuple[str, str], list[Observation]] = {}
        for obs in sorted(self.observations, key=lambda o: o.observed_at):
            if obs.observed_at <= self.built_at:
                grouped.setdefault((obs.spot_id, obs.window), []).append(obs)
        return grouped

    def observations_of(self, spot_id: str, window: str, after: datetime | None = None) -> list[Observation]:
        """The area's observations in one window (daily or instant), oldest first, none after
        built_at; only those later than `after` if given (found by bisection, not a scan)."""
        observed = self._observations_by_key.get((spot_id, window), [])
        if after is None:
            return observed
        return observed[bisect_right(observed, after, key=lambda o: o.observed_at):]

    @cached_property
    def quiet_areas(self) -> frozenset[str]:
        """Areas fed by a partner source that has gone quiet past its `expected_every`."""
        return frozenset(a for src in self.sources if src.quiet_at(self.built_at) for a in src.area_ids)

    @cached_property
    def occupancy_by_area(self) -> dict[str, Occupancy]:
        """Latest occupancy of every area that has both a capacity and observations."""
        found = {}
        for area in self.areas:
            scheme = self.scheme_by_id[area.warning_scheme]
            capacity = area.capacity_for(scheme.basis)
            observed = self.observations_of(area.id, scheme.basis)
            if not capacity or not observed:
                continue
            latest = observed[-1]
            percent = area.percent_of(latest.count, scheme.basis)
            since = latest.observed_at - timedelta(days=SERIES_DAYS)
            series = tuple((o.observed_at, area.percent_of(o.count, scheme.basis))
                           for o in self.observations_of(area.id, scheme.basis, after=since))
            stale = (self.built_at - latest.observed_at > timedelta(minutes=scheme.stale_after_minutes)
                     or area.id in self.quiet_areas)
            invented = latest.method == "illustrative" or bool(area.capacity and area.capacity.illustrative)
            found[area.id] = Occupancy(area.id, scheme, scheme.basis, latest.observed_at, latest.count,
                                       capacity, percent, scheme.level_for(percent), stale, series, invented)
        return found

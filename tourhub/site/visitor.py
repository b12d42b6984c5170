"""What the home page and the notice pages pick from the model for a visitor: the warnings in
force, where it is crowded now, a few routes to start from, a notice's status and the notices
before and after it, and place names a foreign visitor can read and show (English with Chinese).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from markupsafe import Markup, escape

from tourhub.core.dates import CHINA, Moment
from tourhub.model.records import Model, Notice, Occupancy, Route, Text

FIRST_SCREEN = 3                           # entries per block on the home page's first screen
SEVERE = ("Extreme", "Severe")
WARNING_STATES = ("active", "upcoming")


def warnings_in_force(model: Model) -> list[Notice]:
    """Notices in force at build time, then those to come (the page script shows each one only
    between its `effective` and `expires`), most severe first."""
    found = [n for n in model.notices if model.notice_state(n) in WARNING_STATES]
    return sorted(found, key=lambda n: (model.notice_state(n) != "active", n.severity_rank, n.effective.start))


def open_ended(model: Model) -> list[Notice]:
    """Notices that state no end: perhaps still in force, never shown as surely active."""
    return [n for n in model.notices if model.notice_state(n) == "open-ended"]


def crowded_now(model: Model, most: int = FIRST_SCREEN) -> list[Occupancy]:
    """The areas at the highest crowd levels (above their scheme's lowest), by their latest
    reading that is not out of date."""
    current = [occ for occ in model.occupancy_by_area.values() if not occ.stale and occ.level.min_percent > 0]
    return sorted(current, key=lambda occ: (-occ.level.rank, -occ.percent, occ.area_id))[:most]


def featured_routes(model: Model, most: int = FIRST_SCREEN) -> list[Route]:
    """A few routes to start from, in the routes list's order: first those with no severe
    notice in force along them, crossing both provinces, of different themes."""
    def rank(route: Route) -> tuple[bool, int]:
        warned = any(n.severity in SEVERE for n in model.active_notices_for(route.spot_ids))
        provinces = {model.area_by_id[spot].province for spot in route.spot_ids}
        return warned, -len(provinces)

    ordered = sorted(model.routes, key=rank)
    chosen: list[Route] = []
    for route in ordered:
        if route.theme not in {r.theme for r in chosen}:
            chosen.append(route)
    chosen += [r for r in ordered if r not in chosen]
    return chosen[:most]


def short_time(moment: datetime | Moment, built_at: datetime) -> str:
    """A time near the build, in China time, as short as is still clear: 20:00 on the build's
    day, 12-04 18:00 in its year, else 2027-05-01 23:59 (a date alone if only the day is known)."""
    day_only = isinstance(moment, Moment) and moment.day_only
    local = (moment.start if isinstance(moment, Moment) else moment).astimezone(CHINA)
    today = built_at.astimezone(CHINA).date()
    if day_only:
        return local.strftime("%m-%d" if local.year == today.year else "%Y-%m-%d")
    if local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M" if local.year == today.year else "%Y-%m-%d %H:%M")


def route_ends(model: Model, route: Route) -> tuple[Text, Text]:
    """Where a route starts and ends: the cities of its first and last stops."""
    return model.area_by_id[route.stops[0].spot_id].city, model.area_by_id[route.stops[-1].spot_id].city


def earlier_notices(model: Model, notice: Notice) -> list[Notice]:
    """The notices this one updates or lifts."""
    return [model.notice_by_id[ref] for ref in notice.references if ref in model.notice_by_id]


def later_notices(model: Model, notice: Notice) -> list[Notice]:
    """The notices that update or lift this one, oldest first."""
    return sorted((n for n in model.notices if notice.id in n.references), key=lambda n: n.sent.start)


def place(name: Text, lang: str, escaped: Callable[[str], Markup] = escape) -> Markup:
    """A place (or issuer) as a visitor needs it: in Chinese on Chinese pages; on English pages
    the English name with the Chinese one after it, for taxis, signs and maps, marked as Chinese
    for screen readers. `escaped` makes text safe where it goes (HTML, or Markdown)."""
    if lang == "zh" or not name.zh or name.zh == name.en:
        return escaped(name.in_(lang))
    return escaped(name.en) + Markup(' (<span lang="zh-CN">') + escaped(name.zh) + Markup("</span>)")


TEMPLATE_GLOBALS = {
    "warnings_in_force": warnings_in_force,
    "open_ended_notices": open_ended,
    "crowded_now": crowded_now,
    "featured_routes": featured_routes,
    "route_ends": route_ends,
    "short_time": short_time,
    "earlier_notices": earlier_notices,
    "later_notices": later_notices,
}

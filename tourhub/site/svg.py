"""Small SVG pictures drawn at build time and inlined into pages: a route map and a sparkline.

Inlined SVG is part of the page, so every picture here is built to be safe and plain:

* every text and attribute value goes through `html.escape`, and control characters are dropped,
  so a name can never become markup and the output is well-formed XML;
* no scripts, no links, no external references (`href`, `url(...)`); colours given by callers
  are accepted only in simple forms;
* `role="img"` with `<title>` and `<desc>` (and `aria-labelledby`) gives screen readers a name
  and a description, since the drawing itself is silent;
* a `viewBox` with `width="100%"` lets the picture shrink to a 390 px phone screen;
* dark strokes on a white background, dashes rather than colour for meaning, so it prints in
  black and white. CSS classes (`th-map-*`, `th-spark-*`) let the site restyle it; the inline
  presentation attributes are only defaults.
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

# Route map canvas, in viewBox units.
MAP_WIDTH = 640
MAP_HEIGHT = 420
MAP_PADDING = 48
# Smallest extent of the map, in degrees of latitude (about 1.1 km), so that a single stop or
# stops at one place are drawn at a sensible zoom instead of dividing by zero.
MAP_MIN_SPAN_DEG = 0.01
# Text sizes are in viewBox units: on a 390 px phone the map is drawn at about 0.56×, so a
# stop's 20-unit number is about 11 px (bold) and a 19-unit label about 10.6 px; the legend under
# the map (route page) gives every name in full at the page's own size.
STOP_RADIUS = 16
STOP_NUMBER_FONT_SIZE = 20
LABEL_FONT_SIZE = 19
LABEL_GAP = 4
# Longest label, in viewBox units: half the width minus the stop circle and a margin, so a label
# drawn away from the centre always fits (see _label_x).
LABEL_MAX_WIDTH = MAP_WIDTH / 2 - STOP_RADIUS - LABEL_GAP - 8
SCALE_BAR_MAX = 160
KM_PER_DEGREE = math.pi * 6371.0088 / 180.0

NO_DATA_TEXT = "暂无数据 · No data"

INK = "#111"
PAPER = "#fff"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAFE_COLOUR = re.compile(
    r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\(\s*[0-9.,%\s/]+\)")


@dataclass(frozen=True)
class MapPoint:
    """One stop of a route on the map: where (WGS-84), its name, its number on the itinerary,
    and whether the position is only estimated (drawn with a dashed outline)."""

    lon: float
    lat: float
    label: str
    number: int
    estimated: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            raise ValueError(f"stop {self.number} has no finite coordinates: {self.lon}, {self.lat}")


# Text and numbers ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text without control characters (which XML forbids), escaped for markup and attributes."""
    return escape(_CONTROL_CHARS.sub("", text), quote=True)


def _num(value: float) -> str:
    """A coordinate as short SVG text: at most 2 decimals, no trailing zeros, no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _colour(value: str, fallback: str = "#888") -> str:
    """A caller's colour if it is a plain CSS colour (hex, name, rgb()/hsl()), else `fallback`."""
    value = value.strip()
    return value if _SAFE_COLOUR.fullmatch(value) else fallback


def text_width(text: str, font_size: float) -> float:
    """A rough width of `text` in viewBox units: wide (CJK) characters 1 em, others 0.6 em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6 for ch in text)
    return ems * font_size


def _fit_label(text: str, font_size: float, max_width: float) -> str:
    """`text` shortened with an ellipsis so that its rough width is at most `max_width`."""
    if text_width(text, font_size) <= max_width:
        return text
    while text and text_width(text + "…", font_size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


# The frame shared by both pictures ---------------------------------------------------------


def _svg_document(*, width: float, height: float, css_class: str, title: str, desc: str,
                  body: list[str], style: str = "") -> str:
    """A complete accessible SVG element around `body`.

    The title/desc ids are derived from the content, so builds are reproducible and two
    different pictures on one page do not share ids.
    """
    digest = hashlib.sha1("\n".join([title, desc, *body]).encode("utf-8")).hexdigest()[:10]
    title_id, desc_id = f"th-svg-{digest}-title", f"th-svg-{digest}-desc"
    style_attr = f' style="{_clean(style)}"' if style else ""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" class="{css_class}"'
        f' font-family="system-ui, -apple-system, &quot;PingFang SC&quot;, &quot;Noto Sans CJK SC&quot;, sans-serif"'
        f"{style_attr}>"
    )
    return "\n".join([
        head,
        f'<title id="{title_id}">{_clean(title)}</title>',
        f'<desc id="{desc_id}">{_clean(desc)}</desc>',
        *body,
        "</svg>",
    ])


def _no_data_body(width: float, height: float, css_prefix: str, text: str, font_size: float) -> list[str]:
    """A framed box with a centred note, for a picture that has nothing to draw."""
    return [
        f'<rect class="{css_prefix}-bg" x="0.5" y="0.5" width="{_num(width - 1)}" height="{_num(height - 1)}"'
        f' fill="{PAPER}" stroke="#bbb" stroke-dasharray="4 3"/>',
        f'<text class="{css_prefix}-empty" x="{_num(width / 2)}" y="{_num(height / 2)}" dy="0.35em"'
        f' text-anchor="middle" font-size="{_num(font_size)}" fill="#555">{_clean(text)}</text>',
    ]


# Route map ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Projection:
    """Equirectangular projection of lon/lat onto the map canvas, fitted around the stops."""

    lon0: float
    lat0: float
    cos_lat: float
    scale: float  # viewBox units per degree of latitude

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = MAP_WIDTH / 2 + (lon - self.lon0) * self.cos_lat * self.scale
        y = MAP_HEIGHT / 2 - (lat - self.lat0) * self.scale
        return x, y

    @property
    def km_per_unit(self) -> float:
        return KM_PER_DEGREE / self.scale


def fit_projection(stops: Sequence[MapPoint]) -> _Projection:
    """The projection that fits all stops inside the padded canvas, centred, north up.

    Longitudes are scaled by cos(mean latitude) so distances look right near the route. The
    extent is at least MAP_MIN_SPAN_DEG in both directions, so one stop, or several at the same
    place, never divide by zero.
    """
    lons = [stop.lon for stop in stops]
    lats = [stop.lat for stop in stops]
    cos_lat = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * cos_lat, MAP_MIN_SPAN_DEG)
    span_y = max(max(lats) - min(lats), MAP_MIN_SPAN_DEG)
    scale = min((MAP_WIDTH - 2 * MAP_PADDING) / span_x, (MAP_HEIGHT - 2 * MAP_PADDING) / span_y)
    return _Projection(
        lon0=(max(lons) + min(lons)) / 2, lat0=(max(lats) + min(lats)) / 2,
        cos_lat=cos_lat, scale=scale)


def nice_distance_km(max_km: float) -> float:
    """The largest round distance (1, 2 or 5 times a power of ten) not above `max_km`."""
    exponent = math.floor(math.log10(max_km))
    for mantissa in (5, 2):
        value = round(mantissa * 10.0 ** exponent, 12)
        if value <= max_km:
            return value
    return round(10.0 ** exponent, 12)


def _distance_text(km: float) -> str:
    """A scale-bar distance: "20 km", or "500 m" below one kilometre."""
    return f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"


def _label_x(x: float, label_width: float) -> tuple[float, str]:
    """Where a stop's label starts and its text-anchor: right of the stop in the left half of the
    map, left of it in the right half, and never past the edge."""
    offset = STOP_RADIUS + LABEL_GAP
    if x > MAP_WIDTH / 2:
        return max(x - offset, label_width + 4), "end"
    return min(x + offset, MAP_WIDTH - 4 - label_width), "start"


def _route_line(points: list[tuple[float, float]]) -> list[str]:
    """The route as one polyline through the stops in itinerary order (nothing for one stop)."""
    if len(points) < 2:
        return []
    coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    return [
        f'<polyline class="th-map-route" points="{coords}" fill="none" stroke="#444"'
        f' stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
    ]


def _stop_marker(stop: MapPoint, x: float, y: float) -> str:
    """A numbered circle; dashed when the position is only estimated."""
    classes = "th-map-stop th-map-stop-estimated" if stop.estimated else "th-map-stop"
    dash = ' stroke-dasharray="3 2.5"' if stop.estimated else ""
    number = str(stop.number)
    font_size = STOP_NUMBER_FONT_SIZE if len(number) <= 2 else STOP_NUMBER_FONT_SIZE * 0.7
    return (
        f'<g class="{classes}">'
        f'<circle class="th-map-stop-circle" cx="{_num(x)}" cy="{_num(y)}" r="{STOP_RADIUS}"'
        f' fill="{PAPER}" stroke="{INK}" stroke-width="2"{dash}/>'
        f'<text class="th-map-stop-number" x="{_num(x)}" y="{_num(y)}" dy="0.35em"'
        f' text-anchor="middle" font-size="{_num(font_size)}" font-weight="700" fill="{INK}">'
        f"{_clean(number)}</text>"
        "</g>"
    )


Box = tuple[float, float, float, float]   # left, top, right, bottom in viewBox units


@dataclass(frozen=True)
class _Label:
    """A stop's name placed on the map: anchor point, text-anchor and rough extent."""

    text: str
    x: float
    y: float
    anchor: str
    width: float

    @property
    def left(self) -> float:
        return self.x - self.width if self.anchor == "end" else self.x

    @property
    def right(self) -> float:
        return self.x if self.anchor == "end" else self.x + self.width

    def collides(self, other: _Label) -> bool:
        return (self.left < other.right and other.left < self.right
                and abs(self.y - other.y) < LABEL_FONT_SIZE + 2)

    def covers(self, x: float, y: float) -> bool:
        """Whether the label would hide (part of) a stop circle centred at (x, y)."""
        return (self.left < x + STOP_RADIUS and x - STOP_RADIUS < self.right
                and abs(self.y - y) < STOP_RADIUS + LABEL_FONT_SIZE / 2)

    def overlaps(self, box: Box) -> bool:
        """Whether the label would overprint a rectangle (left, top, right, bottom): the scale bar
        or the north arrow."""
        left, top, right, bottom = box
        return (self.left < right and left < self.right
                and self.y - LABEL_FONT_SIZE / 2 < bottom and top < self.y + LABEL_FONT_SIZE / 2)


def _initial_label(stop: MapPoint, x: float, y: float) -> _Label | None:
    """A stop's label beside its circle, shortened to fit; None for a stop without a name."""
    text = _fit_label(_CONTROL_CHARS.sub("", stop.label).strip(), LABEL_FONT_SIZE, LABEL_MAX_WIDTH)
    if not text:
        return None
    width = text_width(text, LABEL_FONT_SIZE)
    label_x, anchor = _label_x(x, width)
    label_y = min(max(y, LABEL_FONT_SIZE), MAP_HEIGHT - LABEL_FONT_SIZE)
    return _Label(text, label_x, label_y, anchor, width)


def place_labels(stops: Sequence[MapPoint], points: Sequence[tuple[float, float]],
                 keep_clear: Sequence[Box] = ()) -> list[_Label | None]:
    """Labels for the stops, in stop order, nudged up or down a line or two where they would
    overprint a label already placed, another stop's circle (stops close together) or one of the
    `keep_clear` boxes (scale bar, north arrow). Top labels are placed first; a label that finds
    no free line within two lines stays beside its stop."""
    labels = [_initial_label(stop, x, y) for stop, (x, y) in zip(stops, points)]
    step = LABEL_FONT_SIZE + 2
    placed: list[_Label] = []
    shown = {i: label for i, label in enumerate(labels) if label}
    for index in sorted(shown, key=lambda i: shown[i].y):
        label = shown[index]
        for shift in (0, step, -step, 2 * step, -2 * step):
            y = label.y + shift
            if not LABEL_FONT_SIZE <= y <= MAP_HEIGHT - LABEL_FONT_SIZE:
                continue
            moved = _Label(label.text, label.x, y, label.anchor, label.width)
            if not (any(moved.collides(other) for other in placed)
                    or any(moved.covers(*point) for point in points)
                    or any(moved.overlaps(box) for box in keep_clear)):
                labels[index] = label = moved
                break
        placed.append(label)
    return labels


def _label_markup(label: _Label) -> str:
    """A label as SVG text, with a white halo so it stays readable over the route line."""
    return (
        f'<text class="th-map-label" x="{_num(label.x)}" y="{_num(label.y)}" dy="0.35em"'
        f' text-anchor="{label.anchor}" font-size="{LABEL_FONT_SIZE}" fill="{INK}"'
        f' stroke="{PAPER}" stroke-width="4" stroke-linejoin="round" paint-order="stroke">'
        f"{_clean(label.text)}</text>"
    )


SCALE_FONT_SIZE = 15
NORTH_ARROW_BOX: Box = (MAP_WIDTH - 36.0, 0.0, MAP_WIDTH, 46.0)


def _scale_bar_geometry(projection: _Projection) -> tuple[float, float, float, float]:
    """The scale bar's distance (km), its left and right ends and its baseline."""
    km = nice_distance_km(SCALE_BAR_MAX * projection.km_per_unit)
    x0, y = 16.0, MAP_HEIGHT - 14.0
    return km, x0, x0 + km / projection.km_per_unit, y


def scale_bar_box(projection: _Projection) -> Box:
    """The rectangle the scale bar and its text take, which labels keep clear of."""
    km, x0, x1, y = _scale_bar_geometry(projection)
    return x0 - 2, y - SCALE_FONT_SIZE, x1 + 8 + text_width(_distance_text(km), SCALE_FONT_SIZE), MAP_HEIGHT


def _scale_bar(projection: _Projection) -> list[str]:
    """A bar of a round number of kilometres in the bottom-left corner."""
    km, x0, x1, y = _scale_bar_geometry(projection)
    return [
        '<g class="th-map-scale">',
        f'<path d="M{_num(x0)},{_num(y - 6)} V{_num(y)} H{_num(x1)} V{_num(y - 6)}"'
        f' fill="none" stroke="{INK}" stroke-width="2"/>',
        f'<text x="{_num(x1 + 6)}" y="{_num(y)}" font-size="{SCALE_FONT_SIZE}" fill="{INK}">'
        f"{_clean(_distance_text(km))}</text>",
        "</g>",
    ]


def _north_arrow() -> list[str]:
    """An arrow pointing up with an "N", in the top-right corner."""
    x, top = MAP_WIDTH - 24.0, 6.0
    return [
        '<g class="th-map-north">',
        f'<text x="{_num(x)}" y="{_num(top + 14)}" text-anchor="middle" font-size="16"'
        f' font-weight="700" fill="{INK}">N</text>',
        f'<path d="M{_num(x)},{_num(top + 18)} L{_num(x + 7)},{_num(top + 38)}'
        f' L{_num(x)},{_num(top + 32)} L{_num(x - 7)},{_num(top + 38)} Z"'
        f' fill="{INK}" stroke="{INK}" stroke-width="1" stroke-linejoin="round"/>',
        "</g>",
    ]


def route_map_svg(stops: Sequence[MapPoint], *, title: str, desc: str, labels: bool = True) -> str:
    """A schematic map of a route: its stops in order, numbered and joined by a line, with a
    scale bar and a north arrow. Not a base map: no roads or borders, just the shape of the trip.

    `title` and `desc` become the accessible name and description; `desc` should say in words
    what the picture shows (e.g. the stops in order), since the map is drawn at no fixed scale.
    With no stops the picture says there is no data.
    """
    if not stops:
        body = _no_data_body(MAP_WIDTH, MAP_HEIGHT, "th-map", NO_DATA_TEXT, 22)
        return _svg_document(width=MAP_WIDTH, height=MAP_HEIGHT, css_class="th-map th-map-empty",
                             title=title, desc=desc, body=body)
    projection = fit_projection(stops)
    points = [projection.xy(stop.lon, stop.lat) for stop in stops]
    body = [
        f'<rect class="th-map-bg" x="0.5" y="0.5" width="{MAP_WIDTH - 1}" height="{MAP_HEIGHT - 1}"'
        f' fill="{PAPER}" stroke="#bbb"/>',
        *_route_line(points),
        '<g class="th-map-stops">',
        *(_stop_marker(stop, x, y) for stop, (x, y) in zip(stops, points)),
        "</g>",
    ]
    if labels:
        body += [
            '<g class="th-map-labels">',
            *(_label_markup(label) for label in place_labels(
                stops, points, keep_clear=(scale_bar_box(projection), NORTH_ARROW_BOX)) if label),
            "</g>",
        ]
    body += [*_scale_bar(projection), *_north_arrow()]
    return _svg_document(width=MAP_WIDTH, height=MAP_HEIGHT, css_class="th-map",
                         title=title, desc=desc, body=body)


# Occupancy sparkline ------------------------------------------------------------------------

_SPARK_PAD_LEFT = 2.0
_SPARK_PAD_RIGHT = 4.0
_SPARK_PAD_Y = 4.0


def _spark_x(when: datetime, start: datetime, seconds: float, width: float) -> float:
    """Horizontal position of a time; with no time span, everything sits at the right end."""
    inner = width - _SPARK_PAD_LEFT - _SPARK_PAD_RIGHT
    if seconds <= 0:
        return _SPARK_PAD_LEFT + inner
    return _SPARK_PAD_LEFT + inner * (when - start).total_seconds() / seconds


def _spark_y(percent: float, top_percent: float, height: float) -> float:
    """Vertical position of a percentage on the 0..top_percent axis (0 at the bottom)."""
    inner = height - 2 * _SPARK_PAD_Y
    clamped = min(max(percent, 0.0), top_percent)
    return height - _SPARK_PAD_Y - inner * clamped / top_percent


def occupancy_sparkline_svg(points: Sequence[tuple[datetime, float]], *,
                            thresholds: Sequence[tuple[float, str]], title: str, desc: str,
                            width: int = 240, height: int = 48) -> str:
    """A small line chart of occupancy (percent of capacity) over time, last reading dotted.

    `points` are (time, percent) readings; the y axis runs from 0 to 100 %, or higher if a
    reading is higher. Each (percent, colour) in `thresholds` is drawn as a faint dashed line at
    that level, so warning levels read without colour too. Readings that are not finite numbers
    are left out; with no readings the picture says there is no data.
    """
    readings = sorted(((when, float(pct)) for when, pct in points if math.isfinite(pct)),
                      key=lambda reading: reading[0])
    style = f"max-width:{_num(width)}px"
    if not readings:
        body = _no_data_body(width, height, "th-spark", NO_DATA_TEXT, 11)
        return _svg_document(width=width, height=height, css_class="th-spark th-spark-empty",
                             title=title, desc=desc, body=body, style=style)
    top = max(100.0, max(pct for _, pct in readings))
    start = readings[0][0]
    seconds = (readings[-1][0] - start).total_seconds()
    xy = [(_spark_x(when, start, seconds, width), _spark_y(pct, top, height)) for when, pct in readings]
    body = [
        f'<rect class="th-spark-bg" x="0" y="0" width="{_num(width)}" height="{_num(height)}" fill="{PAPER}"/>',
        f'<line class="th-spark-axis" x1="0" y1="{_num(_spark_y(0, top, height))}"'
        f' x2="{_num(width)}" y2="{_num(_spark_y(0, top, height))}" stroke="#bbb" stroke-width="1"/>',
    ]
    for percent, colour in thresholds:
        if not (math.isfinite(percent) and 0 < percent <= top):
            continue
        y = _num(_spark_y(percent, top, height))
        body.append(
            f'<line class="th-spark-threshold" x1="0" y1="{y}" x2="{_num(width)}" y2="{y}"'
            f' stroke="{_clean(_colour(colour))}" stroke-opacity="0.6" stroke-width="1"'
            f' stroke-dasharray="3 2"/>')
    coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in xy)
    last_x, last_y = xy[-1]
    body += [
        f'<polyline class="th-spark-line" points="{coords}" fill="none" stroke="{INK}"'
        f' stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>',
        f'<circle class="th-spark-last" cx="{_num(last_x)}" cy="{_num(last_y)}" r="2.5" fill="{INK}"/>',
    ]
    return _svg_document(width=width, height=height, css_class="th-spark",
                         title=title, desc=desc, body=body, style=style)

"""Route maps and occupancy sparklines are safe to inline, accessible, and fit a phone screen."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from tourhub.site.svg import (
    LABEL_FONT_SIZE,
    MAP_HEIGHT,
    MAP_WIDTH,
    MapPoint,
    nice_distance_km,
    occupancy_sparkline_svg,
    route_map_svg,
    text_width,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>"

# A three-day western Sichuan loop: Chengdu, Dujiangyan, Wolong, Siguniang Mountain.
ROUTE = [
    MapPoint(104.0657, 30.6595, "成都 天府广场", 1),
    MapPoint(103.6196, 31.0008, "都江堰景区", 2),
    MapPoint(103.3200, 31.0450, "卧龙大熊猫基地", 3, estimated=True),
    MapPoint(102.9000, 31.1000, "四姑娘山 Siguniang", 4),
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in classes(el)]


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    return x, y, w, h


def assert_safe_and_accessible(svg: str, title: str, desc: str) -> ET.Element:
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert view_box(root)[2] > 0 and view_box(root)[3] > 0
    children = list(root)
    assert children[0].tag == f"{SVG}title" and children[0].text == title
    assert children[1].tag == f"{SVG}desc" and children[1].text == desc
    assert root.get("aria-labelledby") == f"{children[0].get('id')} {children[1].get('id')}"
    for el in root.iter():
        assert el.tag.removeprefix(SVG) not in ("script", "foreignObject", "image", "a", "use", "style")
        for name, value in el.attrib.items():
            assert "href" not in name and not name.startswith("on"), name
            assert "url(" not in value and "javascript:" not in value.lower()
    return root


# Route map ----------------------------------------------------------------------------------


def test_route_map_is_well_formed_accessible_and_scales_with_the_page():
    svg = route_map_svg(ROUTE, title="四姑娘山三日游", desc="1 成都 → 2 都江堰 → 3 卧龙 → 4 四姑娘山")
    root = assert_safe_and_accessible(svg, "四姑娘山三日游", "1 成都 → 2 都江堰 → 3 卧龙 → 4 四姑娘山")
    assert view_box(root) == (0, 0, MAP_WIDTH, MAP_HEIGHT)


def test_route_map_draws_one_numbered_circle_per_stop_in_order():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    stops = with_class(root, "th-map-stop")
    assert len(stops) == len(ROUTE)
    assert len(root.findall(".//svg:circle", NS)) == len(ROUTE)
    assert [stop.find("svg:text", NS).text for stop in stops] == ["1", "2", "3", "4"]
    for stop in stops:
        circle, number = stop.find("svg:circle", NS), stop.find("svg:text", NS)
        assert (circle.get("cx"), circle.get("cy")) == (number.get("x"), number.get("y"))


def test_route_line_passes_through_the_stops_in_itinerary_order():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    (line,) = with_class(root, "th-map-route")
    vertices = [tuple(p.split(",")) for p in line.get("points").split()]
    centres = [(c.get("cx"), c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert vertices == centres


def test_route_map_is_north_up_and_east_right():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    chengdu, siguniang = ROUTE[0], ROUTE[-1]
    circles = list(root.iter(f"{SVG}circle"))
    assert float(circles[0].get("cx")) > float(circles[-1].get("cx"))  # Chengdu lies east
    assert float(circles[0].get("cy")) > float(circles[-1].get("cy"))  # and south
    assert chengdu.lon > siguniang.lon and chengdu.lat < siguniang.lat


def test_estimated_positions_have_a_dashed_outline():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.get("stroke-dasharray") is not None for c in circles] == [False, False, True, False]
    assert len(with_class(root, "th-map-stop-estimated")) == 1


def test_labels_sit_beside_their_stop_and_inside_the_map():
    far_west_and_east = [
        MapPoint(97.0, 30.0, "西边很长很长的地名 West End", 1),
        MapPoint(110.0, 30.0, "东边很长很长的地名 East End", 2),
        MapPoint(103.5, 33.0, "九寨沟", 3),
        MapPoint(103.6, 26.0, "攀枝花", 4),
    ]
    for stops in (ROUTE, far_west_and_east):
        root = parse(route_map_svg(stops, title="t", desc="d"))
        labels = with_class(root, "th-map-label")
        circles = list(root.iter(f"{SVG}circle"))
        assert [label.text for label in labels] == [stop.label for stop in stops]
        for label, circle in zip(labels, circles):
            x, y = float(label.get("x")), float(label.get("y"))
            width = text_width(label.text, LABEL_FONT_SIZE)
            left, right = (x - width, x) if label.get("text-anchor") == "end" else (x, x + width)
            assert left >= 0 and right <= MAP_WIDTH, label.text
            assert LABEL_FONT_SIZE / 2 <= y <= MAP_HEIGHT - LABEL_FONT_SIZE / 2
            cx = float(circle.get("cx"))
            if cx > MAP_WIDTH / 2:
                assert label.get("text-anchor") == "end" and right < cx
            else:
                assert label.get("text-anchor") == "start" and left > cx


def label_box(label: ET.Element) -> tuple[float, float, float]:
    x, width = float(label.get("x")), text_width(label.text, LABEL_FONT_SIZE)
    left = x - width if label.get("text-anchor") == "end" else x
    return left, left + width, float(label.get("y"))


def test_labels_of_stops_close_together_do_not_overprint_each_other_or_circles():
    # A Chengdu city walk: 人民公园 and 天府广场 are a few hundred metres apart.
    walk = [
        MapPoint(104.0532, 30.6697, "宽窄巷子", 1), MapPoint(104.0470, 30.6620, "人民公园", 2),
        MapPoint(104.0498, 30.6590, "天府广场", 3), MapPoint(104.0810, 30.6420, "春熙路", 4),
        MapPoint(104.1140, 30.6360, "太古里", 5), MapPoint(104.0650, 30.6550, "锦里", 6),
    ]
    # The Siguniang loop extended to Jiuzhaigou: the first four stops bunch up at this zoom.
    grand_loop = [*ROUTE, MapPoint(102.25, 31.9, "马尔康", 5), MapPoint(103.9, 33.25, "九寨沟", 6)]
    for stops in (walk, grand_loop):
        root = parse(route_map_svg(stops, title="t", desc="d"))
        boxes = [label_box(label) for label in with_class(root, "th-map-label")]
        circles = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in root.iter(f"{SVG}circle")]
        for i, (left, right, y) in enumerate(boxes):
            for other_left, other_right, other_y in boxes[i + 1:]:
                assert not (left < other_right and other_left < right and abs(y - other_y) < LABEL_FONT_SIZE)
            for cx, cy, r in circles:
                assert not (left < cx + r and cx - r < right and abs(y - cy) < r + LABEL_FONT_SIZE / 2)


def test_a_very_long_label_is_shortened_to_fit():
    stops = [MapPoint(104.0, 30.0, "很" * 80, 1), MapPoint(104.5, 30.5, "x" * 200, 2)]
    root = parse(route_map_svg(stops, title="t", desc="d"))
    for label in with_class(root, "th-map-label"):
        assert label.text.endswith("…")
        assert text_width(label.text, LABEL_FONT_SIZE) < MAP_WIDTH / 2


def test_labels_can_be_left_out():
    root = parse(route_map_svg(ROUTE, title="t", desc="d", labels=False))
    assert with_class(root, "th-map-label") == []
    assert len(with_class(root, "th-map-stop")) == len(ROUTE)


def test_text_from_editors_appears_only_escaped():
    stops = [MapPoint(104.0, 30.0, EVIL, 1), MapPoint(104.2, 30.1, 'a"b&c\x00\x1b', 2)]
    svg = route_map_svg(stops, title=EVIL, desc=f"</desc>{EVIL}")
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    root = assert_safe_and_accessible(svg, EVIL, f"</desc>{EVIL}")
    assert [label.text for label in with_class(root, "th-map-label")] == [EVIL, 'a"b&c']
    assert root.findall(".//svg:script", NS) == []


def test_a_single_stop_is_drawn_in_the_middle_without_a_route_line():
    root = parse(route_map_svg([MapPoint(104.0657, 30.6595, "成都", 1)], title="t", desc="d"))
    (circle,) = root.iter(f"{SVG}circle")
    assert (float(circle.get("cx")), float(circle.get("cy"))) == (MAP_WIDTH / 2, MAP_HEIGHT / 2)
    assert with_class(root, "th-map-route") == []
    assert with_class(root, "th-map-scale") and with_class(root, "th-map-north")


def test_stops_at_one_place_do_not_divide_by_zero():
    same = [MapPoint(106.5516, 29.5630, f"第{i}站", i) for i in range(1, 4)]
    root = parse(route_map_svg(same, title="t", desc="d"))
    centres = {(c.get("cx"), c.get("cy")) for c in root.iter(f"{SVG}circle")}
    assert centres == {("320", "210")}
    (scale,) = with_class(root, "th-map-scale")
    assert scale.find("svg:text", NS).text == "500 m"


def test_a_route_along_one_meridian_or_parallel_still_fits():
    for stops in ([MapPoint(104.0, 30.0, "a", 1), MapPoint(104.0, 31.0, "b", 2)],
                  [MapPoint(104.0, 30.0, "a", 1), MapPoint(105.0, 30.0, "b", 2)]):
        root = parse(route_map_svg(stops, title="t", desc="d"))
        for circle in root.iter(f"{SVG}circle"):
            assert 0 < float(circle.get("cx")) < MAP_WIDTH and 0 < float(circle.get("cy")) < MAP_HEIGHT


def test_scale_bar_shows_a_round_distance_that_matches_its_length():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    (scale,) = with_class(root, "th-map-scale")
    text = scale.find("svg:text", NS).text
    value, unit = text.split()
    assert unit == "km" and float(value) in (1, 2, 5, 10, 20, 50, 100, 200, 500)
    # The bar is drawn between the path's first and last x; check it against the stops' spread.
    d = scale.find("svg:path", NS).get("d").replace("M", "").split()
    x0, x1 = float(d[0].split(",")[0]), float(d[2][1:])
    chengdu, siguniang = list(root.iter(f"{SVG}circle"))[0], list(root.iter(f"{SVG}circle"))[-1]
    px = float(chengdu.get("cx")) - float(siguniang.get("cx"))
    km_east_west = 111.195 * (ROUTE[0].lon - ROUTE[-1].lon) * 0.859  # cos(30.8°)
    assert (x1 - x0) / float(value) == pytest.approx(px / km_east_west, rel=0.02)


def test_north_arrow_is_labelled_n():
    root = parse(route_map_svg(ROUTE, title="t", desc="d"))
    (north,) = with_class(root, "th-map-north")
    assert north.find("svg:text", NS).text == "N"


@pytest.mark.parametrize("max_km, expected", [
    (0.7, 0.5), (1.0, 1), (1.9, 1), (3.0, 2), (9.99, 5), (10, 10), (42, 20), (142, 100), (600, 500),
])
def test_scale_distances_are_round_numbers(max_km, expected):
    assert nice_distance_km(max_km) == expected


def test_an_empty_route_says_there_is_no_data():
    root = assert_safe_and_accessible(route_map_svg([], title="t", desc="d"), "t", "d")
    assert "No data" in "".join(root.itertext())


def test_a_stop_without_coordinates_is_refused():
    with pytest.raises(ValueError):
        MapPoint(float("nan"), 30.0, "x", 1)


# Occupancy sparkline -----------------------------------------------------------------------

START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
THRESHOLDS = [(60.0, "#f0b400"), (80.0, "#e06000"), (100.0, "#c00000")]


def readings(*percents: float) -> list[tuple[datetime, float]]:
    return [(START + timedelta(hours=6 * i), p) for i, p in enumerate(percents)]


def polyline_points(root: ET.Element) -> list[tuple[float, float]]:
    (line,) = with_class(root, "th-spark-line")
    return [tuple(float(v) for v in p.split(",")) for p in line.get("points").split()]


def test_sparkline_is_well_formed_accessible_and_scales_with_the_page():
    svg = occupancy_sparkline_svg(readings(20, 55, 90, 70), thresholds=THRESHOLDS,
                                  title="九寨沟 客流", desc="最近 4 次：20%、55%、90%、70%")
    root = assert_safe_and_accessible(svg, "九寨沟 客流", "最近 4 次：20%、55%、90%、70%")
    assert view_box(root) == (0, 0, 240, 48)


def test_sparkline_has_one_vertex_per_reading_left_to_right():
    data = readings(20, 55, 90, 70, 30)
    points = polyline_points(parse(occupancy_sparkline_svg(data, thresholds=THRESHOLDS, title="t", desc="d")))
    assert len(points) == len(data)
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and xs[0] >= 0 and xs[-1] <= 240


def test_full_is_drawn_above_empty():
    points = polyline_points(parse(occupancy_sparkline_svg(
        readings(0, 100), thresholds=[], title="t", desc="d")))
    (_, y_empty), (_, y_full) = points
    assert y_full < y_empty
    assert y_full >= 0 and y_empty <= 48


def test_the_axis_grows_when_a_reading_is_over_capacity():
    normal = polyline_points(parse(occupancy_sparkline_svg(readings(0, 100), thresholds=[], title="t", desc="d")))
    crowded = polyline_points(parse(occupancy_sparkline_svg(readings(0, 100, 150), thresholds=[], title="t", desc="d")))
    assert crowded[1][1] > normal[1][1]  # 100 % is no longer the top
    assert crowded[2][1] == pytest.approx(normal[1][1])  # 150 % is


def test_the_last_reading_is_marked_with_a_dot():
    root = parse(occupancy_sparkline_svg(readings(20, 55, 90), thresholds=THRESHOLDS, title="t", desc="d"))
    (dot,) = with_class(root, "th-spark-last")
    assert (float(dot.get("cx")), float(dot.get("cy"))) == polyline_points(root)[-1]


def test_each_warning_level_is_a_faint_dashed_line_at_its_height():
    root = parse(occupancy_sparkline_svg(readings(0, 100), thresholds=THRESHOLDS, title="t", desc="d"))
    lines = with_class(root, "th-spark-threshold")
    assert [line.get("stroke") for line in lines] == ["#f0b400", "#e06000", "#c00000"]
    ys = [float(line.get("y1")) for line in lines]
    assert ys == sorted(ys, reverse=True)  # higher level, higher line
    assert ys[-1] == pytest.approx(polyline_points(root)[1][1])  # 100 % line meets the 100 % reading
    assert all(line.get("stroke-dasharray") and float(line.get("stroke-opacity")) < 1 for line in lines)


def test_a_colour_that_is_not_a_plain_colour_is_replaced():
    svg = occupancy_sparkline_svg(readings(10, 20), title="t", desc="d", thresholds=[
        (50, 'url(https://example.com/x.svg#p)'), (70, '"/><script>alert(1)</script>')])
    assert "<script" not in svg and "example.com" not in svg
    root = assert_safe_and_accessible(svg, "t", "d")
    assert [line.get("stroke") for line in with_class(root, "th-spark-threshold")] == ["#888", "#888"]


def test_a_single_reading_is_a_dot_at_the_right_end():
    root = parse(occupancy_sparkline_svg(readings(42), thresholds=THRESHOLDS, title="t", desc="d"))
    ((x, _),) = polyline_points(root)
    assert x > 200
    assert len(with_class(root, "th-spark-last")) == 1


def test_no_readings_gives_a_picture_that_says_no_data():
    svg = occupancy_sparkline_svg([], thresholds=THRESHOLDS, title="t", desc="d")
    root = assert_safe_and_accessible(svg, "t", "d")
    assert "No data" in "".join(root.itertext())
    assert with_class(root, "th-spark-line") == []


def test_sparkline_text_from_editors_appears_only_escaped():
    svg = occupancy_sparkline_svg(readings(10), thresholds=[], title=EVIL, desc=EVIL)
    assert "<script" not in svg
    assert_safe_and_accessible(svg, EVIL, EVIL)


def test_two_different_pictures_on_one_page_do_not_share_ids():
    a = parse(occupancy_sparkline_svg(readings(10), thresholds=[], title="A", desc="d"))
    b = parse(occupancy_sparkline_svg(readings(10), thresholds=[], title="B", desc="d"))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")
    again = parse(occupancy_sparkline_svg(readings(10), thresholds=[], title="A", desc="d"))
    assert a.get("aria-labelledby") == again.get("aria-labelledby")  # reproducible builds

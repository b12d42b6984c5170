"""What makes pages read on a phone, below the browser: table cells that know their column's
name (for the stacked layout), and a route map whose numbers and names stay legible."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown

from tourhub.site.svg import (
    MAP_WIDTH,
    NORTH_ARROW_BOX,
    MapPoint,
    fit_projection,
    place_labels,
    route_map_svg,
    scale_bar_box,
)
from tourhub.site.table_labels import label_cells, makeExtension

SVG = "{http://www.w3.org/2000/svg}"
PHONE_MAP_WIDTH = 358          # a 390 px screen less the page's margins


def render(text: str) -> ET.Element:
    html = markdown.markdown(text, extensions=["tables", makeExtension()])
    return ET.fromstring(f"<div>{html}</div>")


# Table cells carry their column's name ------------------------------------------------------


def test_every_body_cell_of_a_markdown_table_is_labelled_with_its_column_header():
    root = render("| 名称 | **A级** | [城市](x.md) |\n|---|---|---|\n"
                  "| [华蓥山](a.md) | 4A | 广安 |\n| 钓鱼城 | 4A | 重庆 |\n")
    rows = root.findall(".//tbody/tr")
    assert [[cell.get("data-label") for cell in row] for row in rows] == [["名称", "A级", "城市"]] * 2


def test_a_table_without_a_header_row_is_left_alone():
    root = ET.fromstring("<table><tbody><tr><td>a</td></tr></tbody></table>")
    label_cells(root)
    assert root.find(".//td").get("data-label") is None


def test_a_label_the_template_set_is_kept():
    root = ET.fromstring("<table><thead><tr><th>Size</th></tr></thead>"
                         "<tbody><tr><td data-label='Bytes'>12</td></tr></tbody></table>")
    label_cells(root)
    assert root.find(".//td").get("data-label") == "Bytes"


# The route map on a phone -------------------------------------------------------------------

# The red route from Guang'an to Chongqing: Hongyan Village and Gele Mountain lie close together
# in the bottom-left corner, where the scale bar is.
RED_ROUTE = [
    MapPoint(106.643809, 30.524461, "Deng Xiaoping's Hometown Tourism Area", 1),
    MapPoint(106.77266, 30.37448, "Mount Huaying Tourist Area", 2),
    MapPoint(106.26461, 29.99228, "Diaoyucheng (Fishing Town) Scenic Area", 3),
    MapPoint(106.55771, 29.56026, "Hongyan Village Revolutionary Memorial", 4),
    MapPoint(106.41258, 29.57791, "Baigongguan–Zhazidong Scenic Area (Gele Mountain)", 5),
]


def test_stop_names_keep_clear_of_the_scale_bar_and_the_north_arrow():
    projection = fit_projection(RED_ROUTE)
    points = [projection.xy(stop.lon, stop.lat) for stop in RED_ROUTE]
    keep_clear = (scale_bar_box(projection), NORTH_ARROW_BOX)
    labels = place_labels(RED_ROUTE, points, keep_clear=keep_clear)
    assert all(label is not None for label in labels)
    assert not any(label.overlaps(box) for label in labels if label for box in keep_clear)


def test_stop_numbers_are_at_least_11_px_high_on_a_phone():
    root = ET.fromstring(route_map_svg(RED_ROUTE, title="t", desc="d"))
    numbers = [el for el in root.iter(f"{SVG}text") if "th-map-stop-number" in el.get("class", "")]
    assert [el.text for el in numbers] == ["1", "2", "3", "4", "5"]
    assert min(float(el.get("font-size")) for el in numbers) * PHONE_MAP_WIDTH / MAP_WIDTH >= 11

"""A Markdown extension (listed in mkdocs.yml) that gives every body cell of a table the text of
its column's header as `data-label`.

On a phone a wide table inside a `th-stack` block is shown as one card per row, each cell as
"label: value" (hub.css draws the label from the attribute), so no table scrolls the page
sideways. The header row stays in the page for screen readers and wide screens; the attribute
is only a copy of it. Tables written as HTML in the templates set `data-label` themselves.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Python-Markdown's placeholders for stashed raw HTML, e.g. "\x02wzxhzdk:3\x03".
_PLACEHOLDER = re.compile("\x02[^\x03]*\x03")


def _text(cell: ET.Element) -> str:
    return " ".join(_PLACEHOLDER.sub("", "".join(cell.itertext())).split())


def label_cells(table: ET.Element) -> None:
    """Copy the header texts of `table` to its body cells (a label already set is kept)."""
    head = table.find("thead/tr")
    if head is None:
        return
    labels = [_text(cell) for cell in head if cell.tag in ("th", "td")]
    for row in table.iterfind("tbody/tr"):
        cells = [cell for cell in row if cell.tag in ("th", "td")]
        for label, cell in zip(labels, cells):
            if label and "data-label" not in cell.attrib:
                cell.set("data-label", label)


class _LabelTables(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for table in root.iter("table"):
            label_cells(table)


class TableLabelsExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's API)
        # After the inline patterns (priority 20), so header texts are final.
        md.treeprocessors.register(_LabelTables(md), "th_table_labels", 5)


def makeExtension(**kwargs) -> TableLabelsExtension:  # noqa: N802 (Python-Markdown's API)
    return TableLabelsExtension(**kwargs)

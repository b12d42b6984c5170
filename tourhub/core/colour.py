"""Readable text on a coloured badge (crowd levels, severities): pages and live files agree."""
from __future__ import annotations


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on a #rrggbb background (WCAG relative luminance)."""
    rgb = [int(background.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"

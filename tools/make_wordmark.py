#!/usr/bin/env python3
"""Render the site's name for the share image once: tourhub/site/wordmark.png, a greyscale
mask (white = ink) of the Chinese and English names set in Noto Sans CJK by Debian's Chromium.

The build draws the share image with the standard library alone and has no font engine, so the
lettering is rendered here, once, and committed. Run it again only when the name changes:

    .venv/bin/python tools/make_wordmark.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tourhub.site.share_image import png_bytes, png_pixels

WIDTH, HEIGHT = 580, 300
HTML = f"""<!doctype html><meta charset="utf-8">
<style>
  html, body {{ margin: 0; background: #000; color: #fff; width: {WIDTH}px; height: {HEIGHT}px; overflow: hidden;
    font-family: "Noto Sans CJK SC", sans-serif; -webkit-font-smoothing: antialiased; }}
  .zh {{ font-size: 66px; font-weight: 700; line-height: 1.15; letter-spacing: 2px; white-space: nowrap; }}
  .en {{ font-size: 38px; white-space: nowrap; font-weight: 700; line-height: 1.2; margin-top: 14px; }}
  .what {{ font-size: 23px; white-space: nowrap; line-height: 1.45; margin-top: 26px; color: #e0e0e0; }}
</style>
<div class="zh">巴蜀文旅开放数据</div>
<div class="en">Bashu Travel Open Data</div>
<div class="what">川渝精品线路 · A级景区 · 客流 · 安全提示<br>Sichuan–Chongqing routes, areas, crowds, safety</div>
"""


def main() -> None:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_content(HTML)
        shot = page.screenshot(type="png")
        browser.close()
    width, height, channels, pixels = png_pixels(shot)
    grey = bytearray(pixels[i * channels + 1] for i in range(width * height))    # green: the eye's channel
    target = ROOT / "tourhub" / "site" / "wordmark.png"
    target.write_bytes(png_bytes(width, height, grey, channels=1))
    print(f"{target.relative_to(ROOT)}: {width}×{height}, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()

"""The site's share image (Open Graph `og:image`): 1200×630 PNG, drawn at build time from the
model with the standard library alone (zlib for PNG, no imaging package).

The picture is the hub's own data: every scenic area a dot (5A areas gold), every route a line
through its stops, over the two provinces, next to the site's name. The name is a greyscale mask
(`wordmark.png`, rendered once from Noto Sans CJK by tools/make_wordmark.py), since drawing
Chinese text needs a font engine the build does not have.
"""
from __future__ import annotations

import functools
import math
import re
import struct
import zlib
from importlib.resources import files

from tourhub.model.records import Model

WIDTH, HEIGHT = 1200, 630
MAP_BOX = (660, 50, 1150, 580)           # left, top, right, bottom of the map panel
WORDMARK_AT = (64, 150)
TOP, BOTTOM = (0x00, 0x3d, 0x33), (0x00, 0x69, 0x5c)      # background gradient, the site's teals
RIDGES = ((0x00, 0x4d, 0x40), (0x00, 0x5a, 0x4d))
ROUTE = (0x80, 0xcb, 0xc4)
AREA = (0xff, 0xff, 0xff)
TOP_GRADE = (0xff, 0xca, 0x28)
GOLD_BAR = (0xff, 0xca, 0x28)


# --- PNG in and out ---------------------------------------------------------------------------

def png_bytes(width: int, height: int, pixels: bytes | bytearray, channels: int = 3) -> bytes:
    """An 8-bit PNG of `pixels` (rows top to bottom): RGB with 3 channels, grey with 1."""
    stride = width * channels
    raw = b"".join(b"\x00" + bytes(pixels[y * stride:(y + 1) * stride]) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, {1: 0, 3: 2}[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}     # PNG colour type -> samples per pixel (8-bit only)


def png_pixels(data: bytes) -> tuple[int, int, int, bytearray]:
    """(width, height, channels, pixels) of an 8-bit, non-interlaced PNG (grey, RGB, with or
    without alpha): enough to read the wordmark and the images the build writes."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, header = 8, b"", b""
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or interlace or colour not in _CHANNELS:
        raise ValueError("only 8-bit non-interlaced grey/RGB PNGs are read here")
    channels = _CHANNELS[colour]
    raw, stride = zlib.decompress(idat), width * channels
    out = bytearray(height * stride)
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        previous = line
    return width, height, channels, out


_RUNS = re.compile(rb"\xff+|[^\x00\xff]+")   # runs of full, and of partial, coverage


# --- drawing ----------------------------------------------------------------------------------

class Canvas:
    """RGB pixels, and alpha masks that are filled first and laid on in one pass each."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.rgb = bytearray(width * height * 3)

    def mask(self) -> bytearray:
        return bytearray(self.width * self.height)

    def fill_rows(self, colour_of_row) -> None:
        for y in range(self.height):
            self.rgb[y * self.width * 3:(y + 1) * self.width * 3] = bytes(colour_of_row(y)) * self.width

    def lay(self, mask: bytearray, colour: tuple[int, int, int], opacity: float = 1.0) -> None:
        """Blend `colour` over the pixels, as strongly as the mask says. Runs of full coverage
        are copied whole and empty stretches skipped, so a big mask costs little."""
        rgb, (r, g, b) = self.rgb, colour
        solid, weight = bytes(colour), round(255 * opacity)
        for run in _RUNS.finditer(mask):
            start, end = run.span()
            if weight == 255 and mask[start] == 255:
                rgb[start * 3:end * 3] = solid * (end - start)
                continue
            for index in range(start, end):
                w = mask[index] * weight // 255
                at = index * 3
                rgb[at] = (rgb[at] * (255 - w) + r * w + 127) // 255
                rgb[at + 1] = (rgb[at + 1] * (255 - w) + g * w + 127) // 255
                rgb[at + 2] = (rgb[at + 2] * (255 - w) + b * w + 127) // 255

    def disc(self, mask: bytearray, cx: float, cy: float, radius: float) -> None:
        """An anti-aliased disc into the mask (the strongest value wins where shapes overlap),
        placed to a quarter of a pixel."""
        x0, y0 = math.floor(cx), math.floor(cy)
        for dx, dy, value in _stamp(radius, round((cx - x0) * 4) / 4, round((cy - y0) * 4) / 4):
            x, y = x0 + dx, y0 + dy
            if 0 <= x < self.width and 0 <= y < self.height:
                index = y * self.width + x
                if value > mask[index]:
                    mask[index] = value

    def line(self, mask: bytearray, a: tuple[float, float], b: tuple[float, float], width: float) -> None:
        """A round-capped line: discs every pixel along it."""
        steps = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1])))
        for step in range(steps + 1):
            t = step / steps
            self.disc(mask, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, width / 2)


@functools.cache
def _stamp(radius: float, fx: float, fy: float) -> tuple[tuple[int, int, int], ...]:
    """The pixels a disc of `radius` centred at (fx, fy) within its pixel covers, with coverage."""
    reach = int(radius) + 2
    found = []
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            coverage = radius + 0.5 - math.hypot(dx + 0.5 - fx, dy + 0.5 - fy)
            if coverage > 0:
                found.append((dx, dy, min(255, round(255 * coverage))))
    return tuple(found)


def _mix(one: tuple[int, int, int], other: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(one[0] + (other[0] - one[0]) * t), round(one[1] + (other[1] - one[1]) * t),
            round(one[2] + (other[2] - one[2]) * t))


def _ridges(canvas: Canvas) -> None:
    """Two soft mountain ridgelines along the bottom: Bashu is a land of mountains."""
    for number, colour in enumerate(RIDGES):
        mask = canvas.mask()
        base = HEIGHT - 150 + number * 60
        for x in range(WIDTH):
            top = base - 42 * math.sin(x / (170 - number * 40) + number) - 18 * math.sin(x / 37 + 2 * number)
            for y in range(max(0, int(top)), HEIGHT):
                mask[y * WIDTH + x] = 255 if y > top + 1 else round(255 * (y + 1 - top) / 2)
        canvas.lay(mask, colour)


def _projection(model: Model):
    """lon/lat -> pixels in MAP_BOX, keeping the shape (longitude shrunk by the cosine of the
    middle latitude)."""
    left, top, right, bottom = MAP_BOX
    lons = [area.lon for area in model.areas] or [103.0, 108.0]
    lats = [area.lat for area in model.areas] or [28.0, 32.0]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * shrink, 0.5), max(north - south, 0.5)
    scale = min((right - left) / span_x, (bottom - top) / span_y)
    off_x = left + ((right - left) - span_x * scale) / 2
    off_y = top + ((bottom - top) - span_y * scale) / 2
    return lambda lon, lat: (off_x + (lon - west) * shrink * scale, off_y + (north - lat) * scale)


def _wordmark(canvas: Canvas) -> None:
    width, height, channels, grey = png_pixels(files("tourhub.site").joinpath("wordmark.png").read_bytes())
    mask = canvas.mask()
    left, top = WORDMARK_AT
    for y in range(min(height, HEIGHT - top)):
        for x in range(min(width, WIDTH - left)):
            mask[(top + y) * WIDTH + left + x] = grey[(y * width + x) * channels]
    canvas.lay(mask, (0xff, 0xff, 0xff))


def share_image(model: Model) -> bytes:
    """The site's share image, as PNG bytes."""
    canvas = Canvas(WIDTH, HEIGHT)
    canvas.fill_rows(lambda y: _mix(TOP, BOTTOM, y / (HEIGHT - 1)))
    _ridges(canvas)
    to_pixels = _projection(model)
    routes = canvas.mask()
    for route in model.routes:
        points = [to_pixels(model.area_by_id[s].lon, model.area_by_id[s].lat) for s in route.spot_ids]
        for a, b in zip(points, points[1:], strict=False):
            canvas.line(routes, a, b, 3.0)
    canvas.lay(routes, ROUTE, 0.85)
    areas, top_grade = canvas.mask(), canvas.mask()
    for area in sorted(model.areas, key=lambda a: a.a_level):
        x, y = to_pixels(area.lon, area.lat)
        canvas.disc(top_grade if area.a_level == 5 else areas, x, y, 5.0 if area.a_level == 5 else 2.6)
    canvas.lay(areas, AREA, 0.7)
    canvas.lay(top_grade, TOP_GRADE)
    bar = canvas.mask()
    for y in range(118, 124):
        bar[y * WIDTH + WORDMARK_AT[0]:y * WIDTH + WORDMARK_AT[0] + 96] = b"\xff" * 96
    canvas.lay(bar, GOLD_BAR)
    _wordmark(canvas)
    return png_bytes(WIDTH, HEIGHT, canvas.rgb)

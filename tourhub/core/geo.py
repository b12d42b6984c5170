"""Coordinates for Chinese map apps, great-circle distance, and tap-to-navigate links.

The hub stores every point in WGS-84, as a GPS receiver reports it. Maps published in mainland
China use shifted coordinates instead: GCJ-02 ("Mars coordinates", used by 高德/Amap and Tencent)
and, on top of that, Baidu's BD-09. Showing a WGS-84 point unconverted on those maps puts the pin
a few hundred metres off, so links into the map apps convert first.

The GCJ-02 formula here is the widely published open reimplementation (Krasovsky ellipsoid,
trigonometric series around 105°E 35°N); it agrees with the official offset to about a metre.
Only the forward direction is provided: the hub never needs to convert back.
"""
from __future__ import annotations

import math
from urllib.parse import quote

# Krasovsky 1940 ellipsoid, the one the GCJ-02 formula is built on.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# Baidu's scaling of the GCJ-02 angle: π · 3000 / 180.
_BAIDU_X_PI = math.pi * 3000.0 / 180.0
# Mean Earth radius (IUGG), used for distances.
EARTH_RADIUS_KM = 6371.0088

# Source names the map providers ask callers to send, so they can tell traffic apart.
AMAP_SRC = "bashu-travel"
BAIDU_SRC = "webapp.bashu-travel"


def out_of_china(lon: float, lat: float) -> bool:
    """Whether a point lies outside the rough China bounding box that the GCJ-02 offset covers.

    This is the usual rectangle test, not the border: points in neighbouring countries inside
    the rectangle are shifted too, as the map providers themselves do.
    """
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    """The GCJ-02 latitude series, in metres-like units, at (x, y) relative to 105°E 35°N."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: float, y: float) -> float:
    """The GCJ-02 longitude series, in metres-like units, at (x, y) relative to 105°E 35°N."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 point as (lon, lat) in GCJ-02, the coordinates of Amap and Tencent maps.

    Points outside the rough China bounding box are returned unchanged.
    """
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """A GCJ-02 point as (lon, lat) in BD-09, the coordinates of Baidu maps (bd09ll)."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _BAIDU_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BAIDU_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 point as (lon, lat) in BD-09, by way of GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle distance in kilometres between two (lon, lat) points on a sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _deg(value: float) -> str:
    """A coordinate in degrees as URL text, rounded to 6 decimals (about 0.1 m)."""
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def _text(value: str) -> str:
    """Free text percent-encoded for a query value: every reserved character, space as %20."""
    return quote(value, safe="")


def amap_navigation_url(lon: float, lat: float, name: str) -> str:
    """A link that opens a WGS-84 point, labelled `name`, in Amap (the app on a phone if present).

    Uses Amap's URI API `marker` service (lbs.amap.com/api/uri-api/guide/mobile-web/point):
    `position` is lon,lat; `coordinate=gaode` says it is GCJ-02, so the point is converted here;
    `callnative=1` asks a phone to open the Amap app instead of the web map.
    """
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    return (
        "https://uri.amap.com/marker"
        f"?position={_deg(gcj_lon)},{_deg(gcj_lat)}"
        f"&name={_text(name)}"
        f"&src={_text(AMAP_SRC)}"
        "&coordinate=gaode"
        "&callnative=1"
    )


def baidu_navigation_url(lon: float, lat: float, name: str) -> str:
    """A link that opens a WGS-84 point, titled `name`, in Baidu Maps.

    Uses Baidu's web URI API `marker` service (lbsyun.baidu.com, 地图调起 URI API): `location` is
    **lat,lng**; `title` and `content` are both required and both carry the name; `output=html`
    is required on the web; `coord_type=bd09ll` says the point is BD-09, so it is converted here.
    """
    bd_lon, bd_lat = wgs84_to_bd09(lon, lat)
    text = _text(name)
    return (
        "https://api.map.baidu.com/marker"
        f"?location={_deg(bd_lat)},{_deg(bd_lon)}"
        f"&title={text}"
        f"&content={text}"
        "&output=html"
        "&coord_type=bd09ll"
        f"&src={_text(BAIDU_SRC)}"
    )


def amap_search_url(name: str, city: str) -> str:
    """A link that searches Amap for a place by name within a city (URI API `search` service),
    for an area whose coordinates are only approximate: a pin on an approximate point could send
    a driver to the county seat instead of the scenic area."""
    return (
        "https://uri.amap.com/search"
        f"?keyword={_text(name)}"
        f"&city={_text(city)}"
        "&view=map"
        f"&src={_text(AMAP_SRC)}"
        "&callnative=1"
    )


def baidu_search_url(name: str, city: str) -> str:
    """The same search in Baidu Maps (web URI API `place/search`: query within a region)."""
    return (
        "https://api.map.baidu.com/place/search"
        f"?query={_text(name)}"
        f"&region={_text(city)}"
        "&output=html"
        f"&src={_text(BAIDU_SRC)}"
    )

"""Points stored in WGS-84 land where they should on Amap and Baidu, and the links open them."""
from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest

from tourhub.core.geo import (
    amap_navigation_url,
    amap_search_url,
    baidu_navigation_url,
    baidu_search_url,
    gcj02_to_bd09,
    haversine_km,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published reference values.
# wandergis/coordtransform, test/app.js (the JS library most ports copy), input 116.404, 39.915:
WANDERGIS_INPUT = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
# Glatzel/pyxis, python/tests/test_crypto.py: one point in all three systems.
PYXIS_WGS84 = (121.0917077, 30.6107779)
PYXIS_GCJ02 = (121.09626935575027, 30.608604331756705)
PYXIS_BD09 = (121.10271732371203, 30.61484572185035)

TIANANMEN_WGS84 = (116.397128, 39.916527)
KUANZHAI_ALLEY_WGS84 = (104.0532, 30.6697)  # 宽窄巷子, Chengdu


def assert_close(actual: tuple[float, float], expected: tuple[float, float], tol: float = 1e-5) -> None:
    assert actual == pytest.approx(expected, abs=tol)


def test_wgs84_to_gcj02_matches_published_values():
    assert_close(wgs84_to_gcj02(*WANDERGIS_INPUT), WANDERGIS_WGS84_TO_GCJ02)
    assert_close(wgs84_to_gcj02(*PYXIS_WGS84), PYXIS_GCJ02)


def test_gcj02_to_bd09_matches_published_values():
    assert_close(gcj02_to_bd09(*WANDERGIS_INPUT), WANDERGIS_GCJ02_TO_BD09)
    assert_close(gcj02_to_bd09(*PYXIS_GCJ02), PYXIS_BD09)


def test_wgs84_to_bd09_goes_through_gcj02_to_the_published_value():
    assert_close(wgs84_to_bd09(*PYXIS_WGS84), PYXIS_BD09)
    assert wgs84_to_bd09(*TIANANMEN_WGS84) == gcj02_to_bd09(*wgs84_to_gcj02(*TIANANMEN_WGS84))


def test_tiananmen_moves_a_few_hundred_metres_north_east_on_amap():
    gcj = wgs84_to_gcj02(*TIANANMEN_WGS84)
    assert 0.3 < haversine_km(*TIANANMEN_WGS84, *gcj) < 0.8
    assert gcj[0] > TIANANMEN_WGS84[0] and gcj[1] > TIANANMEN_WGS84[1]


@pytest.mark.parametrize("lon, lat", [
    (2.3522, 48.8566),      # Paris
    (-122.4194, 37.7749),   # San Francisco
    (151.2093, -33.8688),   # Sydney
    (139.6917, 60.0),       # north of the box
])
def test_points_outside_china_are_returned_unchanged(lon, lat):
    assert out_of_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)


def test_sichuan_and_chongqing_are_inside_the_offset_area():
    for lon, lat in [(104.0657, 30.6595), (106.5516, 29.5630), (102.25, 28.0), (108.5, 32.0)]:
        assert not out_of_china(lon, lat)


def test_the_offset_across_sichuan_and_chongqing_stays_under_one_kilometre():
    # A grid over Sichuan–Chongqing, 97–110.5 °E, 26–34.5 °N.
    lons = [97.0 + 0.5 * i for i in range(28)]
    lats = [26.0 + 0.5 * i for i in range(18)]
    for lon, lat in itertools.product(lons, lats):
        gcj = wgs84_to_gcj02(lon, lat)
        assert 0.0 < haversine_km(lon, lat, *gcj) < 1.0, (lon, lat)
        # Baidu adds its own shift on top, still about a kilometre at most.
        assert haversine_km(lon, lat, *wgs84_to_bd09(lon, lat)) < 1.6, (lon, lat)


def test_haversine_is_zero_for_one_point_and_symmetric():
    assert haversine_km(104.0, 30.0, 104.0, 30.0) == 0.0
    assert haversine_km(104.0657, 30.6595, 106.5516, 29.5630) == pytest.approx(
        haversine_km(106.5516, 29.5630, 104.0657, 30.6595))


def test_haversine_gives_known_distances():
    # One degree of latitude on the mean sphere is 111.19 km.
    assert haversine_km(104.0, 30.0, 104.0, 31.0) == pytest.approx(111.195, abs=0.01)
    # Chengdu Tianfu Square to Chongqing Jiefangbei: about 266 km as the crow flies.
    assert haversine_km(104.0657, 30.6595, 106.5770, 29.5570) == pytest.approx(266, abs=5)
    # Antipodes are half the circumference apart.
    assert haversine_km(0.0, 0.0, 180.0, 0.0) == pytest.approx(20015.1, abs=0.5)


def query(url: str) -> dict[str, str]:
    values = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in values.values()), values
    return {key: v[0] for key, v in values.items()}


def test_amap_link_opens_the_gcj02_point_with_its_name():
    url = amap_navigation_url(*KUANZHAI_ALLEY_WGS84, "宽窄巷子")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/marker")
    q = query(url)
    gcj_lon, gcj_lat = wgs84_to_gcj02(*KUANZHAI_ALLEY_WGS84)
    assert q == {
        "position": f"{gcj_lon:.6f},{gcj_lat:.6f}",
        "name": "宽窄巷子",
        "src": "bashu-travel",
        "coordinate": "gaode",
        "callnative": "1",
    }


def test_amap_link_lists_parameters_in_the_documented_order():
    url = amap_navigation_url(*KUANZHAI_ALLEY_WGS84, "x")
    keys = [pair.split("=")[0] for pair in urlsplit(url).query.split("&")]
    assert keys == ["position", "name", "src", "coordinate", "callnative"]


def test_baidu_link_opens_the_bd09_point_latitude_first():
    url = baidu_navigation_url(*KUANZHAI_ALLEY_WGS84, "宽窄巷子")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.map.baidu.com", "/marker")
    q = query(url)
    bd_lon, bd_lat = wgs84_to_bd09(*KUANZHAI_ALLEY_WGS84)
    assert q == {
        "location": f"{bd_lat:.6f},{bd_lon:.6f}",
        "title": "宽窄巷子",
        "content": "宽窄巷子",
        "output": "html",
        "coord_type": "bd09ll",
        "src": "webapp.bashu-travel",
    }
    lat_text, lon_text = q["location"].split(",")
    assert 30 < float(lat_text) < 31 and 104 < float(lon_text) < 105


def test_link_coordinates_have_six_decimals():
    position = query(amap_navigation_url(104.0, 30.0, "x"))["position"]
    location = query(baidu_navigation_url(104.0, 30.0, "x"))["location"]
    for text in [*position.split(","), *location.split(",")]:
        assert len(text.split(".")[1]) == 6


@pytest.mark.parametrize("name", [
    "Tom & Jerry's <script>alert(1)</script>",
    "a=b&c=d#frag?x",
    "洪崖洞 + 解放碑 / 夜景 100%",
])
def test_names_with_reserved_characters_are_url_encoded_and_survive_a_round_trip(name):
    for url, key in [(amap_navigation_url(106.58, 29.56, name), "name"),
                     (baidu_navigation_url(106.58, 29.56, name), "title")]:
        raw_query = urlsplit(url).query
        for ch in "&<>#?+ ":
            if ch in name:
                assert ch not in raw_query.split(f"{key}=")[1].split("&")[0]
        assert query(url)[key] == name
        assert "<" not in url and ">" not in url and " " not in url


def test_an_approximate_point_is_searched_by_name_in_its_city_never_pinned():
    amap = amap_search_url("罗泉古镇旅游景区", "内江市")
    assert urlsplit(amap)[:3] == ("https", "uri.amap.com", "/search")
    assert query(amap) == {"keyword": "罗泉古镇旅游景区", "city": "内江市", "view": "map", "src": "bashu-travel",
                           "callnative": "1"}
    baidu = baidu_search_url("罗泉古镇旅游景区", "内江市")
    assert urlsplit(baidu)[:3] == ("https", "api.map.baidu.com", "/place/search")
    assert query(baidu) == {"query": "罗泉古镇旅游景区", "region": "内江市", "output": "html",
                            "src": "webapp.bashu-travel"}
    assert "position" not in amap and "location" not in baidu

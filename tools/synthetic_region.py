#!/usr/bin/env python3
"""Generate a LARGE SYNTHETIC project for benchmarks: every record invented, never committed.

    python tools/synthetic_region.py OUT_DIR [--areas 1200] [--routes 300] [--days 14]
                                             [--observed-areas 100] [--seed 1]
                                             [--start 2026-11-01] [--force]

OUT_DIR becomes a complete project: the real mkdocs.yml, site_src/, build.py, descriptor,
schemas, warning schemes and service standards (the warning scheme and the certifications refer
to real standard codes), plus synthetic scenic areas (50 per file), routes (one file each, 2-4
days of 2-4 stops, always crossing Sichuan and Chongqing), a handful of CAP notices (one active
Severe), certifications and hourly visitor observations (datasets/observations/YYYY-MM.csv).

Every synthetic value says so: names "合成景区 0001 / Synthetic Area 0001", sources under
https://example.invalid/synthetic/, capacity_illustrative / illustrative true, notices with CAP
status "Test". The same arguments always write the same bytes.

Observations cover --days days from --start (00:00, UTC+08:00); check or build with a `now` after
their end (the default start keeps two weeks of data in the past of 2026-11-20). Then e.g.

    cd OUT_DIR && PYTHONPATH=/path/to/repo python build.py check
    python bench/bench_build.py --project OUT_DIR

Standard library and PyYAML only.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
MARKER = ".synthetic-region"          # only a folder holding this file may be wiped by --force
BASE_URL = "https://example.invalid/synthetic"
AREAS_PER_FILE = 50
CERTS_PER_FILE = 200
MIN_AREAS = 40
HEADER = ("# SYNTHETIC benchmark data written by tools/synthetic_region.py (seed {seed}).\n"
          "# Every value is invented: not a real scenic area, route, notice or certification.\n")

TAGS = ["red-tourism", "world-heritage", "mountain", "karst", "heritage-site", "panda", "urban",
        "ancient-town", "religious", "lake-river", "gorge", "museum", "nature-reserve", "hot-spring",
        "night-tour"]
# route theme tag -> a Chinese and an English word that route names and summaries always contain
THEMES = [
    ("red-tourism", "红色", "Red heritage"),
    ("ancient-town", "古镇", "Ancient town"),
    ("lake-river", "山水", "Landscape"),
    ("mountain", "名山", "Mountain"),
    ("karst", "喀斯特", "Karst"),
    ("panda", "熊猫", "Panda"),
    ("world-heritage", "遗产", "Heritage"),
    ("gorge", "峡谷", "Gorge"),
    ("hot-spring", "温泉", "Hot spring"),
    ("night-tour", "夜游", "Night tour"),
    ("museum", "博物馆", "Museum"),
    ("religious", "古寺", "Temple"),
]
# (admin code prefix, rough centre lon, lat): prefectures of Sichuan, districts of Chongqing.
# Only the code prefix and the centre are used; names are all synthetic.
SICHUAN = [
    ("5101", 104.07, 30.67), ("5103", 104.78, 29.34), ("5104", 101.72, 26.58), ("5105", 105.44, 28.87),
    ("5106", 104.40, 31.13), ("5107", 104.68, 31.47), ("5108", 105.84, 32.44), ("5109", 105.59, 30.53),
    ("5110", 105.06, 29.58), ("5111", 103.77, 29.55), ("5113", 106.11, 30.84), ("5114", 103.85, 30.08),
    ("5115", 104.64, 28.75), ("5116", 106.63, 30.46), ("5117", 107.47, 31.21), ("5118", 103.04, 30.01),
    ("5119", 106.75, 31.87), ("5120", 104.63, 30.13), ("5132", 102.22, 31.90), ("5133", 101.96, 30.05),
    ("5134", 102.27, 27.89),
]
SICHUAN_COUNTY_SUFFIXES = ["02", "03", "21", "22", "23", "24", "81"]
CHONGQING = [
    ("500101", 108.41, 30.81), ("500102", 107.39, 29.70), ("500103", 106.57, 29.55), ("500110", 106.65, 29.03),
    ("500111", 105.72, 29.71), ("500114", 108.77, 29.53), ("500115", 107.08, 29.86), ("500116", 106.26, 29.29),
    ("500119", 107.10, 29.16), ("500154", 108.39, 31.16), ("500156", 107.76, 29.33), ("500229", 108.66, 31.95),
    ("500237", 109.88, 31.07), ("500238", 109.63, 31.40), ("500240", 108.11, 30.00), ("500242", 108.77, 28.84),
]
LEG_SPEED_KMH = {"walk": 4, "drive": 55, "bus": 45, "rail": 120, "boat": 25}
# standards (real codes, from datasets/standards/) the synthetic certifications are issued under
SCENIC_STANDARD, HOTEL_STANDARD = "GB/T 17775-2024", "GB/T 14308-2023"
HOTEL_LEVELS = ["三星级", "四星级", "五星级"]
# share of the day's arrivals in each opening hour 08-17 (as tools/sample_observations.py)
ARRIVALS = [0.10, 0.16, 0.17, 0.14, 0.11, 0.10, 0.09, 0.07, 0.04, 0.02]
OPEN, STAY_HOURS = 8, 3


# --- YAML output -------------------------------------------------------------------------------

class Fixed(float):
    """A float written with a fixed number of decimals (coordinates: 4)."""

    def __new__(cls, value: float, digits: int = 4):
        self = super().__new__(cls, round(value, digits))
        self.digits = digits
        return self


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):   # libyaml when present: 5x faster
    """safe_dump without anchors/aliases (the strict loader rejects them)."""

    def ignore_aliases(self, data) -> bool:
        return True


class Quoted(str):
    """A code-like string, always written in double quotes ("510104", "GB/T 17775-2024")."""


class Stamp(str):
    """An ISO date-time with offset, written plain as editors do (2026-11-20T09:00:00+08:00)."""


_Dumper.add_representer(Stamp, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:timestamp", str(value)))
_Dumper.add_representer(Fixed, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:float", f"{value:.{value.digits}f}"))
_Dumper.add_representer(Quoted, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", str(value), style='"'))


def dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=10_000)


def write_yaml(path: Path, data, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(seed=seed) + dump(data), encoding="utf-8", newline="\n")


# --- generation --------------------------------------------------------------------------------

def _num(i: int, width: int) -> str:
    return str(i).zfill(width)


def _km(a: dict, b: dict) -> float:
    """Great-circle distance in km between two area records."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a["lon"], a["lat"], b["lon"], b["lat"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _clamp(value: float, bounds) -> float:
    low, high = bounds
    return min(max(value, low + 0.01), high - 0.01)


def make_areas(rng: random.Random, count: int, region: dict, seed: int) -> list[dict]:
    width = max(4, len(str(count)))
    areas = []
    for i in range(1, count + 1):
        num = _num(i, width)
        sichuan = i % 5 in (1, 2, 3)                  # 3/5 Sichuan, 2/5 Chongqing
        if sichuan:
            prefix, lon0, lat0 = rng.choice(SICHUAN)
            code = prefix + rng.choice(SICHUAN_COUNTY_SUFFIXES)
            box = region["51"]
        else:
            code, lon0, lat0 = rng.choice(CHONGQING)
            box = region["50"]
        lon = _clamp(lon0 + rng.uniform(-0.3, 0.3), box["lon"])
        lat = _clamp(lat0 + rng.uniform(-0.3, 0.3), box["lat"])
        area = {
            "id": f"synthetic-area-{num}",
            "name_zh": f"合成景区 {num}",
            "name_en": f"Synthetic Area {num}",
            "admin_code": Quoted(code),
            "city_zh": f"合成地区 {code[:4]}",
            "city_en": f"Synthetic district {code[:4]}",
            "a_level": rng.choice([1, 2, 3, 3, 4, 4, 4, 5]),
            "lon": Fixed(lon),
            "lat": Fixed(lat),
        }
        if rng.random() < 0.9:                        # a tenth have no capacity (and no observations)
            daily = rng.randrange(5000, 60001, 500)
            area["capacity_daily"] = daily
            area["capacity_instant"] = int(daily * rng.uniform(0.2, 0.4))
        area["capacity_illustrative"] = True
        if rng.random() < 0.7:
            area["opening_hours"] = Quoted(rng.choice(["08:00-18:00", "08:30-17:30", "09:00-17:00"]))
        area["tags"] = rng.sample(TAGS, rng.randint(1, 3))
        area["description_zh"] = f"合成测试数据，并非真实景区：第 {num} 号，仅用于性能测试。"
        area["description_en"] = f"Synthetic test record {num}, not a real scenic area; generated for benchmarks only."
        area["source"] = f"{BASE_URL}/areas/{area['id']}"
        area["source_note"] = f"Generated by tools/synthetic_region.py (seed {seed}); every value is invented."
        area["maintainer"] = "合成数据（非真实单位）"
        areas.append(area)
    return areas


def _province(area: dict) -> str:
    return "sichuan" if area["admin_code"].startswith("51") else "chongqing"


def _pick_stops(rng: random.Random, by_province: dict[str, list[dict]], total: int) -> list[dict]:
    """`total` distinct areas near a random point by the border, from both provinces, west to east."""
    lon, lat = rng.uniform(105.5, 107.8), rng.uniform(28.6, 31.8)
    n_cq = rng.randint(1, total - 1)
    chosen = []
    for province, n in (("chongqing", n_cq), ("sichuan", total - n_cq)):
        pool = sorted(by_province[province], key=lambda a: ((a["lon"] - lon) ** 2 + (a["lat"] - lat) ** 2, a["id"]))
        chosen += rng.sample(pool[: max(3 * n, 12)], n)
    return sorted(chosen, key=lambda a: (a["lon"], a["id"]))


def _leg(rng: random.Random, a: dict, b: dict, theme: str) -> dict:
    km = max(0.5, round(_km(a, b) * 1.3, 1))
    if km < 3:
        mode = "walk"
    elif km > 200:
        mode = "rail"
    elif theme == "lake-river" and rng.random() < 0.3:
        mode = "boat"
    else:
        mode = rng.choice(["drive", "drive", "bus"])
    minutes = min(1440, max(5, round(km / LEG_SPEED_KMH[mode] * 60) + 10))
    return {"mode": mode, "minutes": minutes, "km": Fixed(km, 1)}


def make_routes(rng: random.Random, count: int, areas: list[dict], seed: int) -> list[dict]:
    width = max(4, len(str(count)))
    by_province = {"sichuan": [], "chongqing": []}
    for area in areas:
        by_province[_province(area)].append(area)
    routes = []
    for i in range(1, count + 1):
        num = _num(i, width)
        tag, word_zh, word_en = THEMES[(i - 1) % len(THEMES)]
        per_day = [rng.randint(2, 4) for _ in range(rng.randint(2, 4))]
        stops = _pick_stops(rng, by_province, sum(per_day))
        n_days = len(per_day)
        days, cursor = [], 0
        for number, n_stops in enumerate(per_day, start=1):
            day_stops = []
            for _ in range(n_stops):
                area = stops[cursor]
                stop = {"spot": area["id"], "stay_minutes": rng.randrange(60, 301, 30)}
                if rng.random() < 0.5:
                    stop["note_zh"] = f"合成站点说明：{area['name_zh']}（{word_zh}主题，非真实信息）。"
                    stop["note_en"] = f"Synthetic stop note: {area['name_en']} ({word_en} theme, not real)."
                if cursor < len(stops) - 1:
                    stop["leg"] = _leg(rng, area, stops[cursor + 1], tag)
                day_stops.append(stop)
                cursor += 1
            days.append({"day": number, "title_zh": f"第 {number} 天 · 合成{word_zh}行程",
                         "title_en": f"Day {number}: synthetic {word_en} itinerary", "stops": day_stops})
        route_id = f"synthetic-route-{num}"
        routes.append({
            "id": route_id,
            "name_zh": f"合成线路 {num}：川渝{word_zh}之旅 {n_days} 日",
            "name_en": f"Synthetic Route {num}: {word_en} trail across Sichuan and Chongqing in {n_days} days",
            "summary_zh": f"合成测试线路（非真实线路）：{n_days} 天 {len(stops)} 站，串联四川与重庆的{word_zh}主题合成景区。",
            "summary_en": (f"Synthetic test route (not a real route): {n_days} days, {len(stops)} stops, linking "
                           f"synthetic {word_en} areas in Sichuan and Chongqing."),
            "theme": tag,
            "difficulty": rng.choice(["easy", "moderate", "hard"]),
            "season_zh": "四季皆宜（合成数据）",
            "season_en": "Any season (synthetic data)",
            "accessibility_zh": "合成数据：无障碍信息为虚构内容。",
            "accessibility_en": "Synthetic data: accessibility information is invented.",
            "safety_zh": "合成数据：安全提示为虚构内容。",
            "safety_en": "Synthetic data: safety advice is invented.",
            "source": f"{BASE_URL}/routes/{route_id}",
            "source_note": f"Generated by tools/synthetic_region.py (seed {seed}); legs are computed from invented coordinates.",
            "legs_estimated": True,
            "days": days,
        })
    return routes


def _iso(moment: datetime) -> Stamp:
    return Stamp(moment.isoformat())


def make_notices(rng: random.Random, areas: list[dict], start: datetime) -> list[dict]:
    """Seven notices: active Severe, expired, upcoming, an Alert + Update and an Alert + Cancel."""
    def notice(nid, msg_type, category, severity, urgency, certainty, sent, effective, expires,
               event, headline, spots, references=(), with_codes=True):
        record = {
            "id": nid, "status": "Test", "msg_type": msg_type, "category": category,
            "event_zh": f"合成{event[0]}", "event_en": f"Synthetic {event[1]}",
            "urgency": urgency, "severity": severity, "certainty": certainty,
            "sent": _iso(sent), "effective": _iso(effective), "expires": _iso(expires),
            "sender_zh": "合成数据发布单位（非真实单位）", "sender_en": "Synthetic issuer (not a real bureau)",
            "headline_zh": f"合成提示：{headline[0]}", "headline_en": f"Synthetic notice: {headline[1]}",
            "description_zh": "合成测试数据，并非真实发布的安全提示。",
            "description_en": "Synthetic test data: this notice was never really issued.",
            "instruction_zh": "无需采取任何行动（合成数据）。",
            "instruction_en": "No action needed (synthetic data).",
            "area_desc_zh": "合成景区若干", "area_desc_en": "Several synthetic areas",
        }
        if spots:
            record["spots"] = [a["id"] for a in spots]
        if with_codes:
            record["admin_codes"] = list(dict.fromkeys(a["admin_code"] for a in spots))
        if references:
            record["references"] = list(references)
        record["source"] = f"{BASE_URL}/notices/{nid}"
        record["illustrative"] = True
        return record

    day = timedelta(days=1)
    pick = lambda n: sorted(rng.sample(areas, n), key=lambda a: a["id"])  # noqa: E731
    crowd, road = pick(2), pick(2)
    return [
        notice("synthetic-notice-severe-active", "Alert", "Met", "Severe", "Immediate", "Observed",
               start - day, start - day, start + 365 * day, ("暴雨", "heavy rain"),
               ("合成暴雨红色提示", "heavy rain in synthetic areas"), pick(4)),
        notice("synthetic-notice-expired", "Alert", "Safety", "Moderate", "Expected", "Likely",
               start - 60 * day, start - 60 * day, start - 30 * day, ("客流高峰", "visitor peak"),
               ("已过期的合成客流提示", "an expired crowd notice"), pick(3)),
        notice("synthetic-notice-upcoming", "Alert", "Fire", "Minor", "Future", "Possible",
               start - day, start + 370 * day, start + 400 * day, ("森林防火", "forest fire season"),
               ("即将生效的合成防火提示", "forest fire season ahead"), pick(2)),
        notice("synthetic-notice-crowd", "Alert", "Safety", "Moderate", "Expected", "Likely",
               start - 20 * day, start - 20 * day, start - 10 * day, ("客流高峰", "visitor peak"),
               ("合成景区客流高峰", "crowds expected"), crowd),
        notice("synthetic-notice-crowd-update", "Update", "Safety", "Severe", "Immediate", "Observed",
               start - 19 * day, start - 19 * day, start - 10 * day, ("客流高峰", "visitor peak"),
               ("合成景区预约已满", "fully booked"), crowd, ["synthetic-notice-crowd"]),
        notice("synthetic-notice-road", "Alert", "Transport", "Moderate", "Immediate", "Observed",
               start - 15 * day, start - 15 * day, start - 5 * day, ("道路中断", "road closure"),
               ("合成道路中断", "road closed"), road, with_codes=False),
        notice("synthetic-notice-road-cancel", "Cancel", "Transport", "Minor", "Past", "Observed",
               start - 14 * day, start - 14 * day, start - 5 * day, ("道路中断", "road closure"),
               ("合成道路恢复通行", "road open again"), road, ["synthetic-notice-road"], with_codes=False),
    ]


def make_certifications(rng: random.Random, areas: list[dict], standards: dict, start: datetime,
                        seed: int) -> list[dict]:
    """One A-level rating for every 8th area, one hotel rating for every 40th; some suspended or expired."""
    for code in (SCENIC_STANDARD, HOTEL_STANDARD):
        if code not in standards or standards[code].get("status") == "withdrawn":
            raise SystemExit(f"datasets/standards/ has no usable {code}: update tools/synthetic_region.py")
    certs = []
    for index, area in enumerate(areas):
        if index % 8 == 0:
            issued = standards[SCENIC_STANDARD]["issued"]
            cert = {
                "id": f"{area['id']}-a-level", "holder_zh": area["name_zh"], "holder_en": area["name_en"],
                "holder_kind": "scenic-area", "spot_id": area["id"], "standard": Quoted(SCENIC_STANDARD),
                "level": Quoted(f"{area['a_level']}A"), "issuer_zh": "合成评定机构（非真实单位）",
                "issuer_en": "Synthetic rating body (not real)",
                "valid_from": issued + timedelta(days=rng.randint(30, 400)), "status": "valid",
            }
            if index % 48 == 0:
                cert["status"] = "suspended"
                cert["status_note_zh"] = "合成数据：暂停原因为虚构。"
                cert["status_note_en"] = "Synthetic data: the suspension is invented."
            certs.append(cert)
        if index % 40 == 5:
            issued = standards[HOTEL_STANDARD]["issued"]
            valid_from = issued + timedelta(days=rng.randint(30, 300))
            valid_until = (start.date() - timedelta(days=rng.randint(1, 60)) if index % 80 == 5
                           else valid_from + timedelta(days=3 * 365))
            certs.append({
                "id": f"{area['id']}-hotel", "holder_zh": f"{area['name_zh']} 合成饭店",
                "holder_en": f"{area['name_en']} Synthetic Hotel", "holder_kind": "hotel",
                "spot_id": area["id"], "standard": Quoted(HOTEL_STANDARD), "level": Quoted(rng.choice(HOTEL_LEVELS)),
                "issuer_zh": "合成评定机构（非真实单位）", "issuer_en": "Synthetic rating body (not real)",
                "valid_from": valid_from, "valid_until": valid_until, "status": "valid",
            })
    for cert in certs:
        cert["source"] = f"{BASE_URL}/certifications/{cert['id']}"
        cert["source_note"] = f"Generated by tools/synthetic_region.py (seed {seed}); every value is invented."
        cert["illustrative"] = True
    return certs


def observation_rows(rng: random.Random, areas: list[dict], n_areas: int, days: int, start: datetime):
    """Hourly instant + daily counts, shaped like tools/sample_observations.py; one red day."""
    with_capacity = [a for a in areas if a.get("capacity_daily")]
    observed = sorted(rng.sample(with_capacity, min(n_areas, len(with_capacity))), key=lambda a: a["id"])
    rows = []
    for position, area in enumerate(observed):
        capacity = area["capacity_daily"]
        for day in range(days):
            weekend = (start + timedelta(days=day)).weekday() >= 5
            share = rng.uniform(0.62, 0.86) if weekend else rng.uniform(0.30, 0.55)
            if position == 0 and day == days - 1:
                share = 0.97                          # one area reaches red on the last day
            total = int(capacity * share)
            arrivals = [0] * 24
            for offset, part in enumerate(ARRIVALS):
                arrivals[OPEN + offset] = int(total * part)
            cumulative = 0
            for hour in range(24):
                cumulative += arrivals[hour]
                present = sum(arrivals[max(0, hour - STAY_HOURS + 1): hour + 1])
                at = start + timedelta(days=day, hours=hour)
                rows.append((at, area["id"], "daily", cumulative))
                rows.append((at, area["id"], "instant", present))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows, observed


def write_observations(datasets: Path, rows) -> list[Path]:
    """One CSV partition per month (of the local +08:00 time), as the schema's rules expect."""
    by_month: dict[str, list] = {}
    for row in rows:
        by_month.setdefault(row[0].strftime("%Y-%m"), []).append(row)
    paths = []
    for month, month_rows in by_month.items():
        path = datasets / "observations" / f"{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["spot_id", "observed_at", "window", "count", "method", "source"])
            for at, spot, window, count in month_rows:
                writer.writerow([spot, at.isoformat(), window, count, "illustrative", "synthetic"])
        paths.append(path)
    return paths


# --- project -----------------------------------------------------------------------------------

def prepare(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} is not empty (use --force to replace a previous synthetic project)")
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} was not written by this script ({MARKER} missing): refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", out / "mkdocs.yml")
    shutil.copy(ROOT / "build.py", out / "build.py")
    shutil.copytree(ROOT / "site_src", out / "site_src")
    datasets = out / "datasets"
    datasets.mkdir()
    for name in ("datapackage.yaml", "warning_schemes.yaml"):
        shutil.copy(ROOT / "datasets" / name, datasets / name)
    shutil.copytree(ROOT / "datasets" / "schemas", datasets / "schemas")
    shutil.copytree(ROOT / "datasets" / "standards", datasets / "standards")   # real: referenced by codes
    (out / MARKER).write_text("Synthetic benchmark project written by tools/synthetic_region.py; "
                              "safe to delete, never commit.\n", encoding="utf-8")


def _load_standards(datasets: Path) -> dict[str, dict]:
    standards = {}
    for path in sorted((datasets / "standards").glob("*.yaml")):
        for record in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            standards[record["code"]] = record
    return standards


def generate(out: Path, areas: int = 1200, routes: int = 300, days: int = 14,
             observed_areas: int = 100, seed: int = 1, start: date = date(2026, 11, 1),
             force: bool = False) -> dict[str, int]:
    """Write the project into `out`; returns counts of what was written."""
    if areas < MIN_AREAS:
        raise SystemExit(f"--areas must be at least {MIN_AREAS}")
    if routes < 1 or days < 0 or observed_areas < 0:
        raise SystemExit("--routes must be >= 1, --days and --observed-areas >= 0")
    out = Path(out)
    prepare(out, force)
    datasets = out / "datasets"
    region = yaml.safe_load((datasets / "datapackage.yaml").read_text(encoding="utf-8"))["x-region"]
    begin = datetime(start.year, start.month, start.day, tzinfo=CST)
    rng = random.Random(seed)   # one stream, consumed in a fixed order: same seed -> same bytes

    area_records = make_areas(rng, areas, region, seed)
    for first in range(0, len(area_records), AREAS_PER_FILE):
        number = first // AREAS_PER_FILE + 1
        write_yaml(datasets / "spots" / f"synthetic-{number:03d}.yaml",
                   area_records[first: first + AREAS_PER_FILE], seed)
    route_records = make_routes(rng, routes, area_records, seed)
    for route in route_records:
        write_yaml(datasets / "routes" / f"{route['id']}.yaml", route, seed)
    notices = make_notices(rng, area_records, begin)
    for notice in notices:
        write_yaml(datasets / "notices" / f"{notice['id']}.yaml", notice, seed)
    certs = make_certifications(rng, area_records, _load_standards(datasets), begin, seed)
    for first in range(0, len(certs), CERTS_PER_FILE):
        write_yaml(datasets / "certifications" / f"synthetic-{first // CERTS_PER_FILE + 1:03d}.yaml",
                   certs[first: first + CERTS_PER_FILE], seed)
    rows, observed = observation_rows(rng, area_records, observed_areas, days, begin)
    partitions = write_observations(datasets, rows)
    return {"areas": len(area_records), "routes": len(route_records),
            "stops": sum(len(d["stops"]) for r in route_records for d in r["days"]),
            "notices": len(notices), "certifications": len(certs), "observed_areas": len(observed),
            "observation_rows": len(rows), "observation_files": len(partitions)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--areas", type=int, default=1200, help="scenic areas (default 1200)")
    parser.add_argument("--routes", type=int, default=300, help="routes (default 300)")
    parser.add_argument("--days", type=int, default=14, help="days of hourly observations (default 14)")
    parser.add_argument("--observed-areas", type=int, default=100,
                        help="areas with observations (default 100, at most those with a capacity)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 1),
                        help="first day of observations, YYYY-MM-DD (default 2026-11-01)")
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR if this script wrote it")
    args = parser.parse_args(argv)
    counts = generate(args.out_dir, args.areas, args.routes, args.days, args.observed_areas,
                      args.seed, args.start, args.force)
    print(f"wrote synthetic project {args.out_dir}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python build.py new route|notice|area ID`: a new editors' file with a comment on every key
saying what to write. Values marked TODO are placeholders: the check reports each one
(`value-placeholder`) until it is replaced by a real, sourced value, so a scaffold can never be
published as it is."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from tourhub.core.dates import CHINA as CST

ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
KINDS = {"route": ("routes", "routes"), "notice": ("notices", "safety_notices"), "area": ("spots", "scenic_areas")}


def _header(schema: str) -> str:
    return f"# yaml-language-server: $schema=../../schemas/editor/{schema}.schema.json\n"


def route_text(route_id: str, first: str, second: str, today: str) -> str:
    return _header("routes") + f"""# 新线路 / New route. 改完运行 make check / run make check when done.
id: {route_id}                         # 与文件名一致 / same as the file name
name_zh: "TODO 线路中文名"
name_en: "TODO Route name"
summary_zh: "TODO 一两句话介绍这条线路。"
summary_en: "TODO One or two sentences about the route."
theme: red-tourism                     # 主题标签 / a tag from the vocabulary (see the data dictionary)
difficulty: easy                       # easy / moderate / hard
season_zh: "TODO 适宜季节"
season_en: "TODO Best season"
accessibility_zh: "TODO 无障碍与体力要求"
accessibility_en: "TODO Accessibility"
safety_zh: "TODO 安全提示"
safety_en: "TODO Safety advice"
source: "https://example.invalid/TODO"  # 载明线路的公开网页 / public page describing the route
legs_estimated: true                   # 路段时间为估算值时为 true / true when leg times are estimates
checked_on: {today}                    # 核实日期 / when you checked it against the source
checked_by: "TODO 核实人或单位"          # 核实的人员或单位 / who checked it
days:
  - day: 1
    # overnight_zh: "TODO 住宿城镇"      # 当晚住宿地（可选）/ where to sleep (optional)
    # overnight_en: "TODO Town"
    # overnight_source: "https://example.invalid/TODO"   # 建议在此住宿的网页 / page suggesting it
    stops:
      - spot: {first}                  # 景区 id / an area's id
        stay_minutes: 120
        leg: {{mode: drive, minutes: 60, km: 50}}   # 前往下一站 / to the next stop
        # 几种交通方式写成列表，第一种计入全程 / several ways as a list, the first counts in the totals:
        # leg:
        #   - {{mode: drive, minutes: 60, km: 50}}
        #   - {{mode: high-speed-rail, minutes: 30, note_zh: "TODO 线路、车站", note_en: "TODO line, stations",
        #      source: "https://example.invalid/TODO"}}   # drive high-speed-rail rail bus metro walk boat
      - spot: {second}
        stay_minutes: 120              # 最后一站不写 leg / the last stop has no leg
"""


def notice_text(notice_id: str, spot: str, admin_code: str, now: datetime) -> str:
    start = now.astimezone(CST).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    return _header("safety_notices") + f"""# 新安全提示 / New safety notice (CAP 1.2). 更新或取消请另建文件 / to update or cancel, add a new file.
# 只录入已公开发布的提示，逐字核对原文 / only notices a bureau or area really published, checked against the original.
id: {notice_id}
status: Actual                         # Actual / Exercise / System / Test / Draft
msg_type: Alert                        # Alert；更新用 Update，取消用 Cancel（再加 references）
category: Safety                       # Geo Met Safety Security Rescue Fire Health Env Transport Infra CBRNE Other
event_zh: "TODO 事件"
event_en: "TODO Event"
urgency: Expected                      # Immediate / Expected / Future / Past / Unknown
severity: Moderate                     # Extreme / Severe（网站顶部横幅）/ Moderate / Minor / Unknown
certainty: Likely                      # Observed / Likely / Possible / Unlikely / Unknown
sent: {start.isoformat()}    # 原文的发布时间；只知道日期就只写日期 / as published; a day alone if no time is shown
effective: {start.isoformat()}
expires: {end.isoformat()}   # 原文写明的截止时间；没写就删掉这一行 / as stated; delete the line if the notice states no end
sender_zh: "TODO 发布单位"
sender_en: "TODO Issuing bureau"
headline_zh: "TODO 标题"
headline_en: "TODO Headline"
description_zh: "TODO 情况说明"
description_en: "TODO What is happening"
instruction_zh: "TODO 游客应怎么做"
instruction_en: "TODO What visitors should do"
area_desc_zh: "TODO 影响范围"
area_desc_en: "TODO Area affected"
spots: ["{spot}"]                     # 涉及的景区 id / affected areas
admin_codes: ["{admin_code}"]
source: "https://example.invalid/TODO"   # 发布该提示的公开网页 / the public page that published it
illustrative: false                    # 示例数据只能放在 demo/ / invented notices belong in demo/ only
checked_on: {start.date().isoformat()}
checked_by: "TODO 核实人或单位"
"""


def area_text(area_id: str, near: dict, today: str) -> str:
    return _header("scenic_areas") + f"""# 新景区 / New scenic area. 等级、坐标须来自公开来源 / grade and coordinates must come from public sources.
- id: {area_id}
  name_zh: "TODO 景区官方名称"      # 与评定公告一致 / as the grading announcement writes it
  name_en: "TODO Official name"
  admin_code: "{near['admin_code']}"         # 县级行政区划代码（GB/T 2260），加引号 / county code, quoted
  city_zh: "TODO 所在市"
  city_en: "TODO City"
  county_zh: "TODO 所在区县"
  county_en: "TODO County"
  a_level: 3                       # 1–5（A 至 5A）/ grade under GB/T 17775
  a_level_source: "https://example.invalid/TODO"   # 载明该等级的名录或公告 / the list or announcement stating the grade
  a_level_evidence: announcement   # announcement 公告或名录 / proposal 仅公示 / report 报道 / secondary 旅游百科网页
  lon: {near['lon']}                   # WGS-84 经度，勿用高德/百度坐标 / WGS-84, never Amap/Baidu values
  lat: {near['lat']}
  coords_approx: true              # 第二来源核对在 1 公里内才可改为 false / false only when a second source agrees within 1 km
  coords_point_zh: "TODO 该坐标点是什么，如镇政府驻地"
  coords_point_en: "TODO What the point is, e.g. the town centre"
  coords_source: "https://example.invalid/TODO"    # 读取坐标的网页 / where the coordinates were read
  tags: [heritage-site]
  # 开放时间、门票、预约：只写来源公布的，每项写来源 / hours, tickets, booking: only as published, each with its source
  # opening_hours_zh: "TODO"
  # opening_hours_en: "TODO"
  # opening_hours_source: "https://example.invalid/TODO"
  # ticket_zh: "TODO"
  # ticket_en: "TODO"
  # ticket_source: "https://example.invalid/TODO"
  # reservation_url: "https://example.invalid/TODO"     # 官方预约页面 / the official booking page
  # reservation_source: "https://example.invalid/TODO"
  # visit_info_checked_on: {today}
  description_zh: "TODO 一两句话简介。"
  description_en: "TODO One or two sentences."
  source: "https://example.invalid/TODO"   # 载明景区事实的公开网页 / public page stating the facts
  checked_on: {today}
  checked_by: "TODO 核实人或单位"
"""


def new_file(root: Path, kind: str, record_id: str, areas: list[dict], now: datetime) -> Path:
    """Write the scaffold; refuses an invalid id or an existing file."""
    if not ID.fullmatch(record_id):
        raise ValueError(f"id must be lowercase letters, digits and hyphens / id 只能含小写字母、数字和连字符: {record_id}")
    folder = root / "datasets" / KINDS[kind][0]
    target = folder / f"{record_id}.yaml"
    if target.exists():
        raise FileExistsError(f"{target.relative_to(root)} exists / 文件已存在")
    if kind == "area":
        target = folder / f"{record_id}.yaml"     # a one-area list file, named after the area
        text = area_text(record_id, areas[0], now.astimezone(CST).date().isoformat())
    elif kind == "route":
        text = route_text(record_id, areas[0]["id"], areas[1]["id"], now.astimezone(CST).date().isoformat())
    else:
        text = notice_text(record_id, areas[0]["id"], areas[0]["admin_code"], now)
    target.write_text(text, encoding="utf-8")
    return target

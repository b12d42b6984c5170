"""The editors' guide on the site: how to add a route, issue and cancel a notice, and what to do
about each problem code. Generated from RULES, so no code the validator can emit goes
undocumented (tests/unit/test_guide.py keeps the two in sync)."""
from __future__ import annotations

from tourhub.check.problems import RULES
from tourhub.model.records import Text

# What to do, by the code's family; a few codes get their own advice below.
FAMILY_FIX: dict[str, Text] = {
    "file": Text("在编辑器里另存为 UTF-8（无 BOM）纯文本，去掉不可见字符；大文件请拆分。",
                 "Save as plain UTF-8 text without BOM, remove invisible characters, split big files."),
    "yaml": Text("按提示的行列修改 YAML 写法：用空格缩进，不用 & * ! 等特殊写法，代码、编号类值加引号。",
                 "Fix the YAML at the line and column shown: indent with spaces, no & * ! features, quote codes and numbers with leading zeros."),
    "record": Text("对照字段说明（开放数据页的数据字典）检查键名：拼写要完全一致，必填键不能少；文件名与 id 一致。",
                   "Check the keys against the data dictionary on the open-data pages: exact spelling, no required key missing; file name = id."),
    "value": Text("按数据字典修改该值：类型、取值范围、格式；文字里不要写 HTML；网址以 https:// 开头；时间带 +08:00；TODO 占位符换成真实内容。",
                  "Fix the value as the data dictionary says (type, range, format); no HTML in text; links start with https://; times carry +08:00; replace TODO placeholders with real values."),
    "key": Text("同一标识只能出现一次：改用新的 id，或删除重复的记录。", "An id may appear once: give one record a new id or remove the duplicate."),
    "ref": Text("被引用的记录必须存在：检查拼写，或先添加那条景区、标准或提示。",
                "The record referred to must exist: check the spelling, or add that area, standard or notice first."),
    "table": Text("CSV 的表头和列数要与数据字典一致。", "The CSV header and columns must match the data dictionary."),
    "coord": Text("坐标用 WGS-84 十进制度：lon 为经度（川渝约 97–110），lat 为纬度（约 26–34）；勿用高德/百度坐标。",
                  "Coordinates are WGS-84 decimal degrees: lon ~97–110, lat ~26–34 here; never paste Amap/Baidu (GCJ-02/BD-09) values."),
    "coords": Text("坐标要么有第二个独立来源核对（相距不超过 1 公里，写 coords_check_source 和 coords_check_km），要么标为近似值（coords_approx: true）并说明该点是什么；绝不凭印象填写坐标。",
                   "Coordinates are either confirmed by a second, independent source within 1 km (coords_check_source, "
                   "coords_check_km), or marked approximate (coords_approx: true) with what the point is; never write a "
                   "coordinate from memory."),
    "checked": Text("checked_on 写实际对照来源核实的日期，不能晚于今天。", "checked_on is the day you really checked the record against its sources; never a future day."),
    "check": Text("对照 source 等来源重新核实这条记录（等级、名称、坐标、日期），修正有变的内容，再把 checked_on 改为核实当天。",
                  "Check the record against its sources again (grade, name, coordinates, dates), correct what changed, then set checked_on to the day you checked."),
    "illustrative": Text("datasets/ 只放真实、有来源的数据：为演示编写的记录移到 demo/（同样的目录结构），示例提示的状态用 Exercise 或 Test。",
                         "datasets/ holds only real, sourced data: move records written for the demo to demo/ (same layout); "
                         "a demo notice's status is Exercise or Test."),
    "demo": Text("demo/ 里的记录都是虚构的，必须标明：illustrative: true，客流的 method 写 illustrative。",
                 "Everything in demo/ is invented and must say so: illustrative: true, and method illustrative for counts."),
    "admin": Text("行政区划代码（GB/T 2260，六位）要与所在省市一致：四川 51 开头，重庆 50 开头。",
                  "The admin code (GB/T 2260, six digits) must match the place: Sichuan starts with 51, Chongqing with 50."),
    "capacity": Text("瞬时最大承载量不能超过日最大承载量（LB/T 034-2014）；只录入有公开来源的承载量。",
                     "The instant maximum cannot exceed the daily one (LB/T 034-2014); record only capacities a public source states."),
    "route": Text("行程日从 1 连续编号，每天至少一站；除最后一站外每站写 leg（交通方式、分钟、公里）：一种方式写成 {mode: …}，"
                  "几种方式（自驾、高铁、客车……）写成列表，每种有来源时写 source；路段不是估算（legs_estimated: false）时每种方式都要有 source。"
                  "当晚住宿地写在当天的 overnight_zh / overnight_en（有来源写 overnight_source）。",
                  "Number days 1, 2, 3 …, at least one stop a day; every stop but the last has a leg (mode, minutes, km): "
                  "one way as {mode: …}, several (drive, high-speed rail, bus …) as a list, each with the source that states "
                  "it where there is one; when legs are not estimates (legs_estimated: false) every way needs a source. "
                  "Where to sleep goes in the day's overnight_zh / overnight_en (with overnight_source where there is one)."),
    "visit": Text("开放时间、门票、预约网址只写来源公布的内容：每项写上载明它的网页（opening_hours_source、ticket_source、"
                  "reservation_source）和核实日期 visit_info_checked_on；找不到来源就不写。",
                  "Opening hours, tickets and the reservation link only as a source publishes them: each with the page "
                  "stating it (opening_hours_source, ticket_source, reservation_source) and the day you checked them, "
                  "visit_info_checked_on; without a source, leave the value out."),
    "notice": Text("检查生效、失效时间顺序；Update/Cancel 用 references 指向更早发布的提示；至少写一个景区。",
                   "Check effective/expires order; an Update or Cancel lists earlier notices in references; name at least one area."),
    "cert": Text("核对认证有效期和所依据标准的状态与发布日期。", "Check the certificate's dates and its standard's status and issue date."),
    "standard": Text("被代替的标准要写 superseded_by；实施日期不早于发布日期。",
                     "A superseded standard names superseded_by; it takes effect on or after it was issued."),
    "scheme": Text("预警等级从 0% 开始并逐级升高。", "Warning levels start at 0% and rise level by level."),
    "obs": Text("观测放进对应月份的文件，时间不晚于现在；有观测的景区要填写最大承载量。",
                "Put observations in their month's file, not in the future; an observed area needs its capacity."),
    "fetch": Text("数据源接口出错，本次未收到数据，已有数据不受影响；请联系数据源维护单位，或检查 sources.yaml 与令牌环境变量。",
                  "The partner's endpoint failed; nothing was received and stored data is untouched. Contact the feed's maintainer or check sources.yaml and the token variable."),
    "payload": Text("合作方发来的数据有误，整批拒收、未写入任何一行；请对方按数据字典修正后重发。",
                    "The partner's payload was refused whole and nothing was stored; ask them to fix it against the data dictionary and resend."),
    "merge": Text("同一景区同一时刻已有不同数值：核实哪个正确；要更正请由编辑修改 CSV 并说明原因。",
                  "A different value is stored for that area and time: find out which is right; corrections are an editor's edit with a reason."),
}


# Codes whose fix is not their family's.
CODE_FIX: dict[str, Text] = {
    "file-line-endings": Text("在编辑器里把换行符改为 LF（Unix 换行，而不是 Windows 的 CRLF）后保存；抓取数据时会自动改正。",
                              "Save the file with LF (Unix) line endings instead of Windows CRLF; a fetch also fixes it."),
    "file-bidi-control": Text("删除这个看不见的文字方向字符（常随复制粘贴带入）：它会让网页显示的文字与实际内容不一致。",
                              "Delete the invisible direction character (often pasted in along with text): it makes a page "
                              "show text differently from what the data says."),
    "file-path-outside": Text("把文件本身放进项目（datasets/、site_src/），不要用指向项目以外的链接（符号链接）；.git 里的内容从不发布。",
                              "Put the file itself in the project (datasets/, site_src/), not a link to somewhere outside it; "
                              "nothing in .git is ever published."),
    "fetch-address-refused": Text("数据源地址指向内网或本机：请改用对方公开的 https 地址；只有本单位内网的数据源才可写 allow_private_network: true。",
                                  "The feed's address is on a private network or this machine: use the partner's public https "
                                  "address; only a feed on your own network may set allow_private_network: true."),
}


def fix_for(code: str) -> Text:
    return CODE_FIX.get(code) or FAMILY_FIX[code.split("-", 1)[0]]


def guide_entries() -> list[dict]:
    """One entry per problem code: message templates and what to do, in both languages."""
    return [{"code": rule.code, "severity": rule.severity, "message": Text(rule.zh, rule.en),
             "fix": fix_for(rule.code)} for rule in sorted(RULES.values(), key=lambda r: r.code)]

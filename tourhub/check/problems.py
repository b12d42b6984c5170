"""Problems found in editors' files: where, which rule, and what to do, in Chinese and English.

Every rule the hub can break has one entry in RULES: a stable code, a severity and a message
template per language. The editors' guide is generated from this table, and a test keeps the two
in sync, so a code never appears without an explanation.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    code: str
    zh: str
    en: str
    severity: str = "error"
    detail_zh: str = ""     # partner feeds: the message without the feed's name (an exception's text)
    detail_en: str = ""

    def detail(self, lang: str, params: Mapping[str, object]) -> str:
        return (self.detail_en if lang == "en" else self.detail_zh).format_map(_Defaulting(params))


RULES: dict[str, Rule] = {}


class FeedMessage:
    """What a partner feed's failure says, from the catalogue: `rule` and its `params`, in
    each language without the feed's name (the Problem built from it adds that)."""

    rule: str
    params: Mapping[str, object]

    @property
    def message_zh(self) -> str:
        return RULES[self.rule].detail("zh", self.params)

    @property
    def message_en(self) -> str:
        return RULES[self.rule].detail("en", self.params)


def _rule(code: str, zh: str, en: str, severity: str = "error") -> None:
    RULES[code] = Rule(code, zh, en, severity)


_FEED_LEADS = {
    "fetch": ("数据源 {source} 抓取失败：", "Feed {source} failed: "),
    "payload": ("数据源 {source} 的数据被整体拒收：", "Feed {source}'s payload was rejected whole: "),
    "merge": ("数据源 {source} 的数值与已有记录冲突：", "Feed {source} conflicts with a stored row: "),
}


def _feed(code: str, zh: str, en: str) -> None:
    """A partner-feed message: the lead names the feed, the detail says what went wrong."""
    lead_zh, lead_en = _FEED_LEADS[code.split("-", 1)[0]]
    RULES[code] = Rule(code, lead_zh + zh, lead_en + en, detail_zh=zh, detail_en=en)


# Files
_rule("file-unreadable", "无法读取文件：{reason}", "Cannot read the file: {reason}")
_rule("file-too-large", "文件有 {size} 字节，超过上限 {limit} 字节；请拆分成多个文件",
      "The file has {size} bytes, over the limit of {limit}; split it into several files")
_rule("file-not-utf8", "文件不是 UTF-8 编码（第 {offset} 字节无法解码）；请用 UTF-8 另存",
      "The file is not UTF-8 (byte {offset} cannot be decoded); save it as UTF-8")
_rule("file-bom", "文件以 BOM（字节顺序标记）开头；请另存为“UTF-8 无 BOM”",
      "The file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
_rule("file-empty", "文件是空的", "The file is empty")
_rule("file-line-endings", "文件使用 Windows 换行符（CRLF），第一处在这一行；请以 LF（Unix）换行另存",
      "The file has Windows line breaks (CRLF), the first on this line; save it with LF (Unix) line endings",
      "warning")
_rule("file-control-char", "文件含有不可见的控制字符 {char}；请删除",
      "The file contains the invisible control character {char}; remove it")
_rule("file-bidi-control", "含有会改变文字显示方向的隐藏字符 {char}（可让网页上显示的内容与实际内容不同）；请删除",
      "Contains the hidden direction-changing character {char} (it can make what a page shows differ from "
      "what the text says); remove it")
_rule("file-path-outside", "路径“{path}”指向项目目录之外（或不是项目内的相对路径），不会被读取或发布；"
      "请把文件本身放进项目",
      "The path \"{path}\" leads outside the project (or is not a relative path inside it), so it is never "
      "read or published; put the file itself in the project")
_rule("file-missing", "找不到文件“{path}”", "File \"{path}\" not found")
# YAML
_rule("yaml-syntax", "YAML 语法错误：{reason}", "YAML syntax error: {reason}")
_rule("yaml-tab", "缩进里有制表符（Tab）；YAML 只能用空格缩进",
      "A tab is used for indentation; YAML allows spaces only")
_rule("yaml-duplicate-key", "键“{key}”重复（第 {first_line} 行已出现）；后一个会悄悄覆盖前一个",
      "Duplicate key \"{key}\" (first at line {first_line}); the later one would silently win")
_rule("yaml-alias", "不允许使用锚点或别名（&、*）；请把内容直接写出来",
      "Anchors and aliases (&, *) are not allowed; write the content out")
_rule("yaml-tag", "不允许使用 YAML 标签“{tag}”", "YAML tag \"{tag}\" is not allowed")
_rule("yaml-ambiguous-bool", "“{value}”在不同的 YAML 读取器里会变成 true/false；"
      "布尔值请写 true 或 false，文字请加引号",
      "\"{value}\" turns into true/false in some YAML readers; write true or false for a "
      "boolean, or quote it as text")
_rule("yaml-leading-zero", "“{value}”以 0 开头，会被当成数字（甚至八进制）而丢掉前导 0；"
      "编码和电话号码请加引号",
      "\"{value}\" starts with 0 and would be read as a number (even octal), losing the zero; "
      "quote codes and phone numbers")
_rule("yaml-shape", "这里应为{expected_zh}", "Expected {expected_en} here")
# Records against their Table Schema
_rule("record-unknown-key", "未知的键“{key}”{hint_zh}", "Unknown key \"{key}\"{hint_en}")
_rule("record-id-filename", "id“{value}”应与文件名“{stem}”一致，以保证网址稳定",
      "id \"{value}\" must match the file name \"{stem}\", so that its address stays stable")
_rule("record-missing-key", "缺少必填的键“{key}”", "Required key \"{key}\" is missing")
_rule("value-required", "“{field}”不能为空", "\"{field}\" must not be empty")
_rule("value-type", "“{field}”的值“{value}”不是有效的{type_zh}",
      "\"{value}\" is not a valid {type_en} for \"{field}\"")
_rule("value-enum", "“{field}”的值“{value}”不在允许的取值中：{allowed}",
      "\"{value}\" is not an allowed value for \"{field}\": {allowed}")
_rule("value-pattern", "“{field}”的值“{value}”格式不对（应匹配 {pattern}）",
      "\"{value}\" has the wrong form for \"{field}\" (must match {pattern})")
_rule("value-range", "“{field}”的值“{value}”超出范围（{constraint} {limit}）",
      "\"{value}\" is out of range for \"{field}\" ({constraint} {limit})")
_rule("value-length", "“{field}”的长度不对（{constraint} {limit}）",
      "\"{field}\" has the wrong length ({constraint} {limit})")
_rule("value-markup", "“{field}”含有 HTML 标记或脚本（{snippet}）；只允许纯文本",
      "\"{field}\" contains HTML markup or script ({snippet}); plain text only")
_rule("value-placeholder", "“{field}”还是待填写的占位符（TODO）；请换成有来源的真实内容",
      "\"{field}\" is still a placeholder (TODO); replace it with the real, sourced value")
_rule("value-url-scheme", "“{field}”必须是 https:// 或 http:// 开头的网址",
      "\"{field}\" must be a web address starting with https:// or http://")
_rule("value-time-offset", "“{field}”的时间“{value}”缺少时区（例如 +08:00）",
      "The time \"{value}\" in \"{field}\" has no UTC offset (e.g. +08:00)")
_rule("key-duplicate", "{key_name}“{value}”重复，首次出现在 {first}",
      "{key_name} \"{value}\" is used twice; first at {first}")
_rule("ref-missing", "“{field}”引用的“{value}”在{target_zh}中不存在",
      "\"{field}\" refers to \"{value}\", which does not exist in {target_en}")
_rule("table-invalid", "表格结构错误：{detail}", "Table structure error: {detail}")
# Cross-dataset rules
_rule("coord-null-island", "坐标是 0,0；请填写真实的 WGS-84 经纬度",
      "Coordinates are 0,0; give the real WGS-84 longitude and latitude")
_rule("coord-swapped", "经纬度似乎写反了：lon 应为经度（约 97–110），lat 应为纬度（约 26–35）",
      "Longitude and latitude look swapped: lon is the longitude (about 97–110), lat the "
      "latitude (about 26–35)")
_rule("coord-outside-region", "坐标（{lon}, {lat}）不在{province_zh}境内",
      "Coordinates ({lon}, {lat}) are outside {province_en}")
_rule("admin-code-region", "行政区划代码“{value}”不属于四川（51）或重庆（50）",
      "Admin code \"{value}\" is neither in Sichuan (51) nor Chongqing (50)")
_rule("capacity-order", "瞬时最大承载量（{instant}）不能大于日最大承载量（{daily}）",
      "The instantaneous maximum ({instant}) cannot exceed the daily maximum ({daily})")
_rule("route-day-order", "第 {position} 个行程日应为 day: {expected}，实际是 {value}；天数须从 1 连续编号",
      "Day {position} of the route should be day: {expected}, not {value}; number days 1, 2, 3…")
_rule("route-day-empty", "第 {day} 天没有任何站点", "Day {day} has no stops")
_rule("route-leg-missing", "除最后一站外，每一站都要写到下一站的交通（leg）",
      "Every stop but the last needs a leg to the next stop")
_rule("route-leg-extra", "线路最后一站不应有 leg（没有下一站）",
      "The route's last stop must not have a leg (there is no next stop)")
_rule("route-way-unsourced", "本线路的路段不是估算（legs_estimated: false），每种交通方式（此处 {mode}）都要写 source：载明时刻、时间或里程的网页",
      "This route's legs are not estimates (legs_estimated: false), so each way to travel (here {mode}) needs a source: "
      "a page stating its timetable, time or distance")
_rule("visit-info-unsourced", "写了“{field}”，就要在“{source}”里写载明它的公开网页；找不到来源就不要写",
      "\"{field}\" needs the public page stating it in \"{source}\"; without a source, leave it out")
_rule("visit-info-unchecked", "开放时间、门票和预约网址（此处“{field}”）要写核实日期 visit_info_checked_on",
      "Opening hours, tickets and the reservation link (here \"{field}\") need the day they were checked, "
      "visit_info_checked_on")
_rule("value-other-language", "写了“{field}”，也要写“{other}”：游客读到的文字中英文都要有",
      "\"{field}\" needs \"{other}\" too: what visitors read is written in both languages")
_rule("route-repeated-stop", "景区“{value}”在线路里连续出现两次",
      "Scenic area \"{value}\" appears twice in a row")
_rule("notice-expires-order", "失效时间 expires（{expires}）必须晚于生效时间 effective（{effective}）",
      "expires ({expires}) must be later than effective ({effective})")
_rule("notice-update-needs-reference", "msg_type 为 {msg_type} 的提示必须在 references 里写明更新或取消的是哪条提示",
      "A notice with msg_type {msg_type} must name the notice it updates or cancels in references")
_rule("notice-alert-has-reference", "msg_type 为 Alert 的新提示不应有 references；更新请用 Update，取消请用 Cancel",
      "A new notice (msg_type Alert) must not have references; use Update or Cancel")
_rule("notice-reference-self", "提示不能引用它自己", "A notice cannot reference itself")
_rule("notice-reference-later", "引用的提示“{value}”发布时间晚于本提示",
      "The referenced notice \"{value}\" was sent after this one")
_rule("notice-no-area", "提示至少要指明一个景区（spots）或行政区划（admin_codes）",
      "A notice needs at least one scenic area (spots) or admin code (admin_codes)")
_rule("cert-dates-order", "有效期止 valid_until（{valid_until}）必须晚于起 valid_from（{valid_from}）",
      "valid_until ({valid_until}) must be later than valid_from ({valid_from})")
_rule("cert-standard-withdrawn", "认证所依据的标准“{value}”已废止", "The certification's standard \"{value}\" is withdrawn")
_rule("cert-before-standard", "认证日期 {valid_from} 早于标准“{value}”的发布日期 {issued}",
      "The certification date {valid_from} is before standard \"{value}\" was issued ({issued})")
_rule("standard-superseded-by", "状态为 superseded 的标准必须写 superseded_by（被哪项标准代替）",
      "A superseded standard needs superseded_by (the standard that replaced it)")
_rule("standard-dates-order", "实施日期 effective（{effective}）不应早于发布日期 issued（{issued}）",
      "effective ({effective}) must not be earlier than issued ({issued})")
_rule("coords-approx-unexplained", "近似坐标须在 coords_point_zh 和 coords_point_en 里说明该点是什么（如镇中心）",
      "Approximate coordinates need coords_point_zh and coords_point_en saying what the point is (e.g. the town centre)")
_rule("coords-unconfirmed", "coords_approx 为 false 的坐标须有第二个独立来源（coords_check_source）；否则请标为近似值",
      "Coordinates with coords_approx false need a second, independent source (coords_check_source); "
      "otherwise mark them approximate")
_rule("coords-check-far", "两个坐标来源相距 {km} 公里，超过 {limit} 公里，不能算核实；请标为近似值",
      "The two coordinate sources are {km} km apart, more than {limit} km: not confirmed; mark them approximate")
_rule("checked-in-future", "核实日期 {value} 晚于今天（{today}）", "The check date {value} is after today ({today})")
_rule("check-overdue", "本条记录已 {days} 天未核实（上次 {value}）；请对照来源重新核实并更新 checked_on",
      "This record has not been checked for {days} days (last {value}); check it against its sources "
      "and update checked_on", "warning")
_rule("illustrative-in-production", "datasets/ 只能存放真实数据：示例（illustrative）数据请放到 demo/ 目录",
      "datasets/ holds real data only: move illustrative (invented) values to the demo/ overlay")
_rule("demo-not-illustrative", "demo/ 目录里的每条记录都须标为示例（illustrative: true；客流 method 为 illustrative）",
      "Every record in the demo/ overlay must be marked illustrative (illustrative: true; counts with method "
      "illustrative)")
_rule("illustrative-status-actual", "示例提示的状态不能是 Actual；请用 Exercise 或 Test",
      "An illustrative notice cannot have status Actual; use Exercise or Test")
_rule("scheme-levels-order", "预警等级的阈值必须从 0 开始并逐级升高", "Warning levels must start at 0 and rise level by level")
# Partner feeds: the endpoint (fetch-*), the payload (payload-*), a stored row (merge-*). One code
# a message; partners/http.py and partners/ingest.py raise them by code with their values.
_feed("fetch-bad-url", "地址“{url}”不是有效的 http/https 地址", "\"{url}\" is not a valid http/https URL")
_feed("fetch-bad-url-settings", "数据源设置无效：{reason}", "invalid feed settings: {reason}")
_feed("fetch-request", "无法发出请求：{reason}", "cannot send the request: {reason}")
_feed("fetch-address-refused", "{host} 的地址 {address} 不是公网地址（回环、内网或保留地址），未发出请求；请改用合作方公网的 https 地址，只有数据源确在自己的网络内时才在 sources.yaml 中为它设置 allow_private_network: true",
      "{host} is at {address}, which is not a public address (loopback, private or reserved); no request was made. Use the partner's public https endpoint; set allow_private_network: true in sources.yaml only for a partner on your own network")
_feed("fetch-address-refused-always", "{host} 的地址 {address} 是云服务器元数据、链路本地、组播或广播等地址，任何数据源都不会访问（allow_private_network 也不例外），未发出请求；请改用合作方公网的 https 地址",
      "{host} is at {address}, a cloud metadata, link-local, multicast or broadcast address that no feed may reach (not even with allow_private_network); no request was made. Use the partner's public https endpoint")
_feed("fetch-timeout-headers", "{seconds} 秒内没有连上 {host} 或没有收到响应头",
      "no connection to {host} or no response headers within {seconds} s")
_feed("fetch-timeout-body", "响应没有在 {seconds} 秒期限内传完（已收到 {received} 字节）",
      "the response did not arrive within the {seconds}-second deadline ({received} bytes received)")
_feed("fetch-connection", "无法连接 {host}：{reason}", "cannot connect to {host}: {reason}")
_feed("fetch-tls", "与 {host} 的 TLS 连接失败（证书或握手）：{reason}",
      "TLS with {host} failed (certificate or handshake): {reason}")
_feed("fetch-http-status", "服务器返回 HTTP {status}", "the server answered HTTP {status}")
_feed("fetch-http-status-retry", "服务器返回 HTTP {status}（暂时不可用，稍后可重试）",
      "the server answered HTTP {status} (temporarily unavailable, try again later)")
_feed("fetch-bad-response-location", "HTTP {status} 重定向缺少有效的 Location 头",
      "HTTP {status} redirect without a valid Location header")
_feed("fetch-bad-response-length", "Content-Length 头“{value}”无效", "invalid Content-Length header \"{value}\"")
_feed("fetch-redirect-host", "重定向到另一个来源 {target}，只允许 {origin}",
      "redirect to another origin {target}; only {origin} is allowed")
_feed("fetch-redirect-loop-repeat", "第 {count} 次重定向回到已访问过的 {target}",
      "redirect {count} leads back to {target}, already visited")
_feed("fetch-redirect-loop-count", "重定向超过 {limit} 次", "more than {limit} redirects")
_feed("fetch-content-type", "内容类型“{got}”不是 {format} 数据（可接受：{expected}）",
      "content type \"{got}\" is not {format} data (accepted: {expected})")
_feed("fetch-html-page", "收到的是 HTML 网页，不是 {format} 数据（内容类型“{got}”）",
      "received an HTML page, not {format} data (content type \"{got}\")")
_feed("fetch-too-large-declared", "响应声明 {length} 字节，超过 {limit} 字节上限",
      "the response declares {length} bytes, over the {limit}-byte cap")
_feed("fetch-too-large-wire", "响应超过 {limit} 字节上限（已收到 {received} 字节）",
      "response exceeds the {limit}-byte cap ({received} bytes received)")
_feed("fetch-too-large-decoded", "解压后超过 {limit} 字节上限（压缩数据仅 {wire} 字节，疑似压缩炸弹）",
      "the decompressed body exceeds the {limit}-byte cap after only {wire} compressed bytes (possible compression bomb)")
_feed("fetch-truncated-length", "响应不完整：只收到 {received} 字节，Content-Length 为 {length} 字节",
      "incomplete response: {received} of {length} bytes (Content-Length) received")
_feed("fetch-truncated-broken", "连接中断，响应不完整（已收到 {received} 字节）",
      "connection broken, incomplete response ({received} bytes received)")
_feed("fetch-truncated-compressed", "{encoding} 压缩数据不完整（{received} 字节后就结束了）",
      "incomplete {encoding} stream (it ends after {received} bytes)")
_feed("fetch-decompress-encoding", "不支持的内容编码“{encoding}”（只接受 gzip、deflate）",
      "unsupported content encoding \"{encoding}\" (only gzip and deflate are accepted)")
_feed("fetch-decompress-data", "无法解压 {encoding} 数据：{reason}", "cannot decompress the {encoding} data: {reason}")
_feed("fetch-token-missing", "环境变量 {variable} 未设置，未发出请求",
      "environment variable {variable} is not set; no request was made")
_feed("fetch-token-insecure", "令牌只能通过 https 发送", "a token is only ever sent over https")
_feed("payload-encoding", "数据不是 UTF-8 编码（第 {offset} 字节无法解码）",
      "the payload is not UTF-8 (byte {offset} cannot be decoded)")
_feed("payload-columns-missing", "缺少列：{columns}{where_zh}", "missing columns: {columns}{where_en}")
_feed("payload-columns-extra", "多余或重复的列：{columns}{where_zh}；只允许 {expected}",
      "extra or repeated columns: {columns}{where_en}; allowed: {expected}")
_feed("payload-parse", "无法解析：{detail}", "cannot parse the payload: {detail}")
_feed("payload-parse-empty", "数据为空：没有表头行", "the payload is empty: no header row")
_feed("payload-parse-width", "第 {row} 行有 {values} 个值，表头有 {width} 列",
      "row {row} has {values} values; the header has {width} columns")
_feed("payload-parse-json-shape", "JSON 须为对象列表，或 {{\"observations\": [...]}}",
      "JSON must be a list of objects, or {{\"observations\": [...]}}")
_feed("payload-parse-not-object", "第 {row} 条记录不是 JSON 对象", "record {row} is not a JSON object")
_feed("payload-parse-repeated-key", "第 {row} 条记录重复了键 {keys}", "record {row} repeats the key(s) {keys}")
_feed("payload-parse-row", "第 {row} 行：{detail}", "row {row}: {detail}")
_feed("payload-type", "第 {row} 行“{field}”的值“{value}”不是{type_zh}",
      "row {row}: \"{value}\" in \"{field}\" is not a valid {type_en}")
_feed("payload-type-unread", "第 {row} 行“{field}”的值无法读取", "row {row}: the value of \"{field}\" cannot be read")
_feed("payload-constraint", "第 {row} 行“{field}”的值“{value}”不符合要求：{rule_zh}",
      "row {row}: \"{value}\" in \"{field}\" is not allowed: {rule_en}")
_feed("payload-duplicate", "第 {row} 行与第 {first} 行的景区、观测时间和口径相同",
      "row {row} has the same spot_id, observed_at and window as row {first}")
_feed("payload-time-offset", "第 {row} 行的观测时间“{value}”缺少时区（例如 +08:00）",
      "row {row}: the time \"{value}\" has no UTC offset (e.g. +08:00)")
_feed("payload-future", "第 {row} 行的观测时间 {value} 晚于现在（{now}）",
      "row {row}: the time {value} is in the future (later than {now})")
_feed("payload-markup", "第 {row} 行“{field}”含有 HTML 标记或脚本（{snippet}）；只允许纯文本",
      "row {row}: \"{field}\" contains HTML markup or script ({snippet}); plain text only")
_feed("payload-unknown-area", "景区“{spot}”不存在（{count} 条记录）",
      "unknown scenic area \"{spot}\" ({rows_en})")
_feed("payload-no-capacity", "景区“{spot}”没有最大承载量，无法计算预警等级（{count} 条记录）",
      "scenic area \"{spot}\" has no maximum capacity to compute a level from ({rows_en})")
_feed("payload-notices-unreadable", "无法读取提示：{detail}", "cannot read the notices: {detail}")
_feed("payload-notice-id", "第 {row} 条提示的 id“{value}”须以“{prefix}”开头",
      "notice {row}: its id '{value}' must start with '{prefix}'")
_feed("merge-conflict", "{spot} {at} {window}：已有 {existing}，新值 {incoming}，保留已有值",
      "{spot} {at} {window}: have {existing}, got {incoming}; kept the existing")
_feed("merge-conflict-notice", "提示 {notice} 已存在且内容不同；更改须以新 id 发布 Update",
      "notice {notice} exists with other content; changes must come as an Update with a new id")
_rule("fetch-state-unreadable", "抓取状态文件无法读取（{reason}），按从未抓取处理：相关景区显示为数据过时",
      "The fetch state file cannot be read ({reason}); treated as never fetched, so its areas show as stale",
      "warning")
_rule("obs-future", "观测时间 {value} 晚于构建时间 {now}", "Observation time {value} is after the build time {now}")
_rule("obs-partition", "观测时间 {value} 不属于文件 {file} 所在的月份；请放入 {expected}.csv",
      "Observation time {value} is not in the month of file {file}; put it in {expected}.csv")
_rule("obs-no-capacity", "景区“{value}”有客流观测，但没有最大承载量，无法计算预警等级",
      "Scenic area \"{value}\" has observations but no maximum capacity to compute a level from")


EXCERPT = 200       # characters of a value a message quotes: one 50 MB cell must not make 100 MB of output


def excerpt(value: object) -> object:
    """A parameter as a message quotes it: a text (or any value written as one) longer than
    EXCERPT characters is cut there, with an ellipsis; anything else is returned as it is."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return value if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule at one place. `file` is relative to the project root, POSIX style."""

    file: str
    line: int
    column: int
    code: str
    params: Mapping[str, object] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.code not in RULES:
            raise KeyError(f"unknown problem code {self.code!r}")
        if any(excerpt(value) is not value for value in self.params.values()):
            object.__setattr__(self, "params", {key: excerpt(value) for key, value in self.params.items()})

    @classmethod
    def at(cls, where, code: str, params: Mapping[str, object] | None = None) -> Problem:
        """The problem `code` at a place that has a file, line and column (a Pos)."""
        return cls(where.file, where.line, where.column, code, params or {})

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def zh(self) -> str:
        return self.rule.zh.format_map(_Defaulting(self.params))

    @property
    def en(self) -> str:
        return self.rule.en.format_map(_Defaulting(self.params))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_text(self) -> str:
        return f"{self.where}  {self.code}  {self.zh} / {self.en}"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "code": self.code,
                "severity": self.severity, "zh": self.zh, "en": self.en}


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems))


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def format_text(problems: Iterable[Problem]) -> str:
    return "\n".join(p.to_text() for p in sort_problems(problems))


def format_json(problems: Iterable[Problem]) -> str:
    return json.dumps([p.to_dict() for p in sort_problems(problems)], ensure_ascii=False, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: Iterable[Problem]) -> str:
    """GitHub workflow commands: each problem becomes an annotation on its file and line."""
    return "\n".join(
        f"::{'error' if p.severity == 'error' else 'warning'} file={_escape_property(p.file)},"
        f"line={p.line},col={p.column},title={_escape_property(p.code)}::{_escape_data(f'{p.zh} / {p.en}')}"
        for p in sort_problems(problems))


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def format_summary(problems: Iterable[Problem]) -> str:
    """A Markdown table for the job summary, Chinese and English."""
    problems = sort_problems(problems)
    if not problems:
        return "### 数据校验 · Data check\n\n✅ 没有发现问题 / No problems found.\n"
    lines = ["### 数据校验 · Data check", "",
             f"❌ 发现 {len(problems)} 个问题 / {len(problems)} problem(s) found.", "",
             "| 位置 Where | 规则 Code | 说明 | Message |", "|---|---|---|---|"]
    lines += [f"| `{_cell(p.where)}` | `{p.code}` | {_cell(p.zh)} | {_cell(p.en)} |" for p in problems]
    return "\n".join(lines) + "\n"

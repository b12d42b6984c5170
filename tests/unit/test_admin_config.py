"""The editors' admin forms (Decap CMS configuration): generated from the Table Schemas, up to
date, and as strict as the schemas without refusing anything the shipped data holds."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from tourhub.check.descriptor import load_package
from tourhub.check.problems import RULES
from tourhub.editors.admin_config import OUT_DIR, admin_config, admin_configs, editable

ROOT = Path(__file__).resolve().parents[2]
PACKAGE, _ = load_package(ROOT / "datasets")
ZH, EN = admin_config(PACKAGE, "zh"), admin_config(PACKAGE, "en")


def collection(config: dict, name: str) -> dict:
    return next(item for item in config["collections"] if item["name"] == name)


def field(fields: list[dict], name: str) -> dict:
    return next(item for item in fields if item["name"] == name)


def test_the_committed_admin_configuration_is_up_to_date():
    for name, text in admin_configs(PACKAGE).items():
        assert (ROOT / OUT_DIR / name).read_text("utf-8") == text, f"run: python build.py schemas ({name})"


def test_there_is_one_collection_per_dataset_editors_write_in_both_languages():
    names = [spec.name for spec in editable(PACKAGE)]
    assert names[:3] == ["safety_notices", "routes", "scenic_areas"]
    assert {"service_standards", "certifications"} <= set(names)
    for config, lang in ((ZH, "zh_Hans"), (EN, "en")):
        assert config["locale"] == lang
        assert [item["name"] for item in config["collections"]] == names
    assert collection(ZH, "safety_notices")["label"] == "旅游安全提示"
    assert collection(EN, "safety_notices")["label"] == "Safety notices"
    assert config["publish_mode"] == "editorial_workflow"


def test_the_notice_form_follows_the_schema():
    fields = collection(ZH, "safety_notices")["fields"]
    headline = field(fields, "headline_zh")
    assert headline["required"] is True and headline["label"] == "标题（中文）" and headline["hint"] == "简短标题"
    assert field(fields, "source_note")["required"] is False
    assert field(fields, "severity")["widget"] == "select"
    assert field(fields, "severity")["options"] == ["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
    assert field(fields, "checked_on")["widget"] == "datetime" and field(fields, "checked_on")["format"] == "YYYY-MM-DD"
    assert field(fields, "illustrative")["widget"] == "boolean"
    spots = field(fields, "spots")
    assert spots["widget"] == "relation" and spots["multiple"] is True
    assert spots["collection"] == "scenic_areas" and spots["value_field"] == "records.*.id"
    assert "records.*.name_zh" in spots["search_fields"]
    expires = field(fields, "expires")
    assert expires["widget"] == "hub-moment" and expires["after"] == ["effective", "sent"]
    assert expires["order_message"] == RULES["notice-expires-order"].zh
    assert field(EN["collections"][0]["fields"], "expires")["order_message"] == RULES["notice-expires-order"].en
    # the bilingual fields sit next to each other
    names = [item["name"] for item in fields]
    assert names.index("headline_en") == names.index("headline_zh") + 1


def test_a_route_is_edited_with_its_days_stops_and_legs_and_without_the_numbers_the_loader_adds():
    routes = collection(ZH, "routes")
    days = field(routes["fields"], "days")
    assert days["widget"] == "list" and days["required"] is True
    assert [item["name"] for item in days["fields"]][0] == "day"
    stops = field(days["fields"], "stops")
    names = [item["name"] for item in stops["fields"]]
    assert "route_id" not in names and "seq" not in names and "day" not in names
    assert field(stops["fields"], "spot")["widget"] == "relation"
    assert field(stops["fields"], "stay_minutes")["value_type"] == "int"
    assert field(stops["fields"], "stay_minutes")["min"] == 0 and field(stops["fields"], "stay_minutes")["max"] == 1440
    leg = field(stops["fields"], "leg")
    assert leg["widget"] == "list" and "option" not in [item["name"] for item in leg["fields"]]
    assert routes["folder"] == "datasets/routes" and routes["slug"] == "{{fields.id}}" and routes["create"] is True


def test_a_file_of_areas_is_one_entry_with_its_areas_listed_inside():
    areas = collection(ZH, "scenic_areas")
    assert areas["folder"] == "datasets/spots" and areas["create"] is False
    assert [item["name"] for item in areas["fields"]] == ["records"]
    standards = collection(ZH, "service_standards")
    assert "files" in standards or "folder" in standards


def _patterns(fields: list[dict], prefix: str = ""):
    for item in fields:
        path = prefix + item["name"]
        if item.get("pattern"):
            yield path, item["pattern"][0]
        if item.get("field", {}).get("pattern"):
            yield path + "[]", item["field"]["pattern"][0]
        if item.get("fields"):
            yield from _patterns(item["fields"], path + ".")


def _values(record, path: str):
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    value = record.get(head.removesuffix("[]")) if isinstance(record, dict) else None
    if value is None:
        return
    if rest:
        items = value if isinstance(value, list) else [value]
        for item in items:
            yield from _values(item, rest)
    elif many or isinstance(value, list):
        yield from (value if isinstance(value, list) else [value])
    else:
        yield value


def test_every_format_and_length_check_of_the_forms_accepts_every_shipped_value():
    """The forms mirror the schema: as strict, but never stricter than what is published."""
    checked = 0
    for item in ZH["collections"]:
        folder = ROOT / item.get("folder", "datasets")
        files = [ROOT / entry["file"] for entry in item.get("files", [])] or sorted(folder.glob("*.yaml"))
        fields = item["files"][0]["fields"] if "files" in item else item["fields"]
        fields = fields[0]["fields"] if fields[0]["name"] == "records" else fields
        patterns = list(_patterns(fields))
        for path in files:
            data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)
            for record in data if isinstance(data, list) else [data]:
                for where, pattern in patterns:
                    for value in _values(record, where):
                        assert re.search(pattern, value), (path.name, where, value)
                        checked += 1
    assert checked > 500


def test_the_forms_refuse_what_the_check_refuses():
    fields = collection(ZH, "safety_notices")["fields"]
    identifier = field(fields, "id")["pattern"]
    assert not re.search(identifier[0], "Emeishan Notice") and not re.search(identifier[0], "a" * 65)
    assert "小写字母" in identifier[1]
    sent = field(fields, "sent")["pattern"][0]
    assert re.search(sent, "2025-06-30") and re.search(sent, "2025-06-30T10:30:00+08:00")
    assert not re.search(sent, "2025/06/30") and not re.search(sent, "30 June 2025")
    headline = field(fields, "headline_zh")["pattern"]
    assert not re.search(headline[0], "长" * 81) and headline[1] == "最多 80 个字"
    source = field(fields, "source")["pattern"][0]
    assert re.search(source, "https://wlt.sc.gov.cn/") and not re.search(source, "wlt.sc.gov.cn")
    codes = field(fields, "admin_codes")
    assert codes["widget"] == "list" and not re.search(codes["field"]["pattern"][0], "51118")


def test_the_admin_page_allows_evaluated_code_for_decap_alone_and_connects_only_where_it_must():
    from tourhub.site.admin_site import content_policy
    policy = dict(part.split(" ", 1) for part in content_policy("https://auth.example.org/oauth").split("; "))
    assert policy["script-src"] == "'self' 'unsafe-eval'"         # Decap compiles its config's schemas
    assert policy["connect-src"].split() == ["'self'", "https://api.github.com", "http://127.0.0.1:*",
                                             "http://localhost:*", "https://auth.example.org"]
    # a sign-in address that is not a plain host name is left out, never written into the page
    assert content_policy('https://a" onload="x.org/') == content_policy(None)
    assert content_policy("javascript:alert(1)") == content_policy(None)

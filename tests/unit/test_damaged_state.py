"""State the hub keeps between runs (the partition cache, digests.json, fetch-state.json) and
files saved by other tools (a BOM, CRLF, one huge cell) never crash check, build or fetch: what
cannot be believed is recomputed or reported, and what is published describes the bytes published."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

import build
from tests.conftest import NOW, make_project
from tests.integration.test_partner_feeds import GOOD, Partner, project_with, source, stored_rows
from tourhub import pipeline
from tourhub.check import partitions
from tourhub.check.partitions import check_partitions
from tourhub.check.problems import has_errors
from tourhub.partners.fetch import fetch_all, read_fetch_state, write_state
from tourhub.partners.ingest import merge_observations

CST = timezone(timedelta(hours=8))
HEADER = "spot_id,observed_at,window,count,method,source\n"
MONTH = "datasets/observations/2026-11.csv"
OCTOBER = "datasets/observations/2026-10.csv"


def hourly(start: datetime, hours: int) -> str:
    return "".join(f"huayingshan,{(start + timedelta(hours=h)).isoformat()},instant,{100 + h},gate-count,sample\n"
                   for h in range(hours))


def write_month(project: Path, name: str, text: str | bytes) -> Path:
    path = project / "datasets" / "observations" / f"{name}.csv"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    os.utime(path, ns=(1_700_000_000_000_000_000,) * 2)     # long settled: its digest may be remembered
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A project with two months of counts whose YAML is checked once: each test then checks the
    counts as validate_datasets does (check_partitions), with a cache of its own."""
    project = make_project(tmp_path_factory.mktemp("base"))
    write_month(project, "2026-10", HEADER)
    return project, pipeline.check(project, NOW)


@pytest.fixture
def months(base):
    """The base project with its two months as a test starts them: October's and November's counts."""
    project, _ = base
    write_month(project, "2026-10", HEADER + hourly(datetime(2026, 10, 1, tzinfo=CST), 30))
    write_month(project, "2026-11", HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 30)
                + "nowhere,2026-11-03T09:00:00+08:00,instant,5,gate-count,sample\n")
    return project


def counts(base, cache: Path | None) -> tuple:
    """All a check tells later stages about the counts: problems (with their messages), rows,
    span, preview, each file's size and sha256 (what the catalogue publishes), the recent rows,
    and what each month contributes to them."""
    _, validated = base
    found, problems = check_partitions(validated.package, validated.tables, validated.typed, NOW, cache)
    table = found["visitor_observations"]
    return ([(p.where, p.code, p.zh, p.en) for p in problems], table.rows, table.span, table.preview,
            [(part.file, part.size, part.sha256) for part in table.parts], table.recent,
            [(part.rows, part.span, part.preview, part.series_last, part.late) for part in table.parts])


def believable(path: Path, payload, edit=lambda body: body) -> None:
    """Write `payload` at `path` as the hub itself writes a cache document, checksum and all: only
    what the document says is wrong, nothing a checksum could notice."""
    body = edit(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    path.write_text(json.dumps({"version": partitions.CACHE_VERSION, "name": path.name, "payload": body,
                                "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}), encoding="utf-8")


def payload_of(path: Path):
    return json.loads(json.loads(path.read_text("utf-8"))["payload"])


def cache_documents(cache: Path, file: str = MONTH) -> tuple[Path, Path]:
    """The summary and the recent rows remembered for one month."""
    (summary,) = [p for p in cache.glob("*.json") if p.name != "digests.json"
                  and not p.name.endswith(".recent.json") and payload_of(p)["file"] == file]
    return summary, summary.with_name(summary.name.removesuffix(".json") + ".recent.json")


# digests.json ----------------------------------------------------------------------------------


def forge_digests(cache: Path, digest) -> None:
    """Write digests.json through the hub's own writer, every remembered digest replaced."""
    digests = partitions._Digests(cache)
    assert digests.known, "the settled month's digest was remembered"
    digests.seen = {file: entry[:3] + [digest] for file, entry in digests.known.items()}
    digests.save()


@pytest.mark.parametrize("digest", ["xyz", 5, None, "A" * 64, "0" * 64, "f" * 63],
                         ids=["not hex", "a number", "null", "upper case", "all zeros", "too short"])
def test_a_wrong_remembered_digest_is_never_what_the_catalogue_publishes(base, months, tmp_path, digest):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    forge_digests(cache, digest)
    again = counts(base, cache)
    true = hashlib.sha256((months / MONTH).read_bytes()).hexdigest()
    assert again == first and again[4][1] == (MONTH, len((months / MONTH).read_bytes()), true)
    assert counts(base, cache) == first
    assert partitions._Digests(cache).known[MONTH][3] == true      # the wrong digest was not kept


@pytest.mark.parametrize("digest", ["xyz", "0" * 64], ids=["not hex", "all zeros"])
def test_the_build_publishes_the_sha256_of_the_bytes_it_publishes(project, tmp_path, digest):
    write_month(project, "2026-11", HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 30))
    cache = tmp_path / "cache"
    pipeline.check(project, NOW, cache)
    forge_digests(cache, digest)
    result = pipeline.build(project, NOW, site=tmp_path / "site", staging=tmp_path / "staging", cache_dir=cache)
    assert result.ok, result.error
    package = json.loads((tmp_path / "site" / "data" / "datapackage.json").read_text("utf-8"))
    (part,) = [p for r in package["resources"] for p in r.get("x-parts", [])]
    published = (tmp_path / "site" / "data" / part["path"]).read_bytes()
    assert part["hash"] == "sha256:" + hashlib.sha256(published).hexdigest() and part["bytes"] == len(published)


# The partition cache ---------------------------------------------------------------------------


def test_a_cache_document_moved_or_linked_under_another_months_name_is_not_believed(base, months, tmp_path):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    october, november = cache_documents(cache, OCTOBER)[0], cache_documents(cache, MONTH)[0]
    november.unlink()
    november.symlink_to(october)            # a link, then a copy, of October's result as November's
    assert counts(base, cache) == first
    november.unlink()
    november.write_bytes(october.read_bytes())
    assert counts(base, cache) == first


def _cell(payload: dict, change) -> dict:
    """The payload with its first preview row's count cell changed by `change`."""
    payload["preview"][0][3] = change
    return payload


SUMMARY_DAMAGE = {
    "a count that is text": lambda p: _cell(p, "lots"),
    "a count that is a signalling NaN": lambda p: _cell(p, {"n": "sNaN"}),
    "a count that is true": lambda p: _cell(p, True),
    "a row one cell short": lambda p: p["preview"][0].pop() and p,
    "a series key of another shape": lambda p: p["series_last"][0].__setitem__(0, ["huayingshan"]) or p,
    "a series key with a number": lambda p: p["series_last"][0].__setitem__(0, ["huayingshan", 5]) or p,
    "a series named twice": lambda p: p["series_last"].append(p["series_last"][0]) or p,
    "a problem of another file": lambda p: p["problems"].append(
        {"p": ["datasets/spots/a.yaml", 1, 1, "file-empty", {}]}) or p,
    "a problem at line 0": lambda p: p["problems"].append({"p": [MONTH, 0, 1, "file-empty", {}]}) or p,
    "a problem quoting a huge value": lambda p: p["problems"].append(
        {"p": [MONTH, 2, 1, "value-type", {"field": "count", "value": "x" * 100_000}]}) or p,
    "a problem of an unknown code": lambda p: p["problems"].append({"p": [MONTH, 2, 1, "no-such-code", {}]}) or p,
    "a date that is a time": lambda p: p.__setitem__("span", [{"d": "2026-11-01"}, {"t": "2026-11-02T05:00:00"}]) or p,
    "a span backwards": lambda p: p.__setitem__("span", [{"d": "2026-11-02"}, {"d": "2026-11-01"}]) or p,
    "a day 45": lambda p: p.__setitem__("span", [{"d": "2026-11-01"}, {"d": "2026-11-45"}]) or p,
    "a late row before the check": lambda p: p.__setitem__("late", [[2, {"t": "2026-11-01T00:00:00+08:00"}]]) or p,
    "fewer preview rows than rows": lambda p: p.__setitem__("preview", p["preview"][:2]) or p,
    "an unknown key": lambda p: p.__setitem__("extra", 1) or p,
    "another size": lambda p: p.__setitem__("size", p["size"] + 1) or p,
    "another sha256": lambda p: p.__setitem__("sha256", "0" * 64) or p,
}
RECENT_DAMAGE = {
    "rows of another series": lambda p: p[0].__setitem__(0, ["deng-xiaoping-guli", "instant"]) or p,
    "a series twice": lambda p: p + p,
    "rows out of order": lambda p: p[0].__setitem__(1, p[0][1][::-1]) or p,
    "rows ending earlier": lambda p: p[0][1].pop() and p,
    "a naive time": lambda p: p[0][1][0].__setitem__(1, {"t": "2026-11-01T05:00:00"}) or p,
    "a count that is text": lambda p: p[0][1][0].__setitem__(3, "5") or p,
    "no rows": lambda p: [],
}


@pytest.mark.parametrize("damage", list(SUMMARY_DAMAGE), ids=list(SUMMARY_DAMAGE))
def test_a_believable_summary_with_impossible_values_is_checked_again(base, months, tmp_path, damage):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    summary, _ = cache_documents(cache)
    believable(summary, SUMMARY_DAMAGE[damage](payload_of(summary)))
    assert counts(base, cache) == first


def test_a_believable_summary_nested_deeper_than_python_recurses_is_checked_again(base, months, tmp_path):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    summary, _ = cache_documents(cache)
    believable(summary, payload_of(summary), lambda body: body.replace('"late":[]', '"late":' + "[" * 950 + "]" * 950))
    assert counts(base, cache) == first


@pytest.mark.parametrize("damage", list(RECENT_DAMAGE), ids=list(RECENT_DAMAGE))
def test_believable_recent_rows_that_disagree_with_their_summary_are_read_again(base, months, tmp_path, damage):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    _, recent = cache_documents(cache)
    genuine = recent.read_bytes()
    believable(recent, RECENT_DAMAGE[damage](payload_of(recent)))
    assert counts(base, cache) == first
    assert recent.read_bytes() == genuine       # and remembered again as they are: not checked on every run


@pytest.mark.parametrize("damage", ["a folder", "a pickle naming a missing module", "a huge length",
                                    "not UTF-8", "NaN for a number", "a link to itself"])
def test_a_cache_file_that_is_no_document_at_all_is_checked_again(base, months, tmp_path, damage):
    cache = tmp_path / "cache"
    first = counts(base, cache)
    for path in cache_documents(cache):
        text = path.read_text("utf-8")
        path.unlink()
        if damage == "a folder":
            path.mkdir()
        elif damage == "a pickle naming a missing module":
            path.write_bytes(b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x0eno_such_module\x94\x8c\x01x\x94\x93\x94.")
        elif damage == "a huge length":
            path.write_bytes(b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f" + text.encode())
        elif damage == "not UTF-8":
            path.write_bytes(text.encode()[:40] + b"\xff\xfe" + text.encode()[40:])
        elif damage == "a link to itself":
            path.symlink_to(path.name)
        else:
            path.write_text(text.replace('"version": ', '"version": NaN, "v": '), encoding="utf-8")
    assert counts(base, cache) == first


# fetch-state.json ------------------------------------------------------------------------------


@pytest.fixture
def feeds():
    """Partners on 127.0.0.1 serving what the test puts in Partner.routes (test_partner_feeds' handler)."""
    Partner.routes, Partner.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


BAD_ENTRIES = {"etag: 5": {"etag": 5}, 'rows_added_total: "7"': {"rows_added_total": "7"},
               'areas: "x"': {"areas": "x"}, "rows_last: true": {"rows_last": True},
               'last_error: "boom"': {"last_error": "boom"}, "etag with a newline": {"etag": '"v1"\n'},
               "last_success without offset": {"last_success": "2026-11-20T08:00:00"},
               "an unknown key": {"last_succes": "2026-11-20T08:00:00+08:00"}}


def counts_of(number: int) -> bytes:
    """A partner's two daily counts, at times no other partner of the test reports."""
    return ("spot_id,observed_at,window,count,method\n" + "".join(
        f"huayingshan,2026-11-20T{10 + number:02d}:{minute:02d}:00+08:00,daily,{1000 + number},gate-count\n"
        for minute in (0, 30))).encode()


def test_fetch_state_entries_of_the_wrong_shape_are_reported_and_those_sources_fetched_afresh(feeds, tmp_path):
    url = feeds
    names = [f"feed{number}" for number in range(len(BAD_ENTRIES) + 1)]      # the last one's entry is good
    for number, name in enumerate(names):
        Partner.routes[f"/{name}.csv"] = (200, "text/csv", counts_of(number), {"ETag": f'"{name}"'})
    project = project_with(tmp_path, *(source(name, f"{url}/{name}.csv") for name in names))
    state_file = project / "datasets" / "fetch-state.json"
    good = {"last_success": "2026-11-20T08:00:00+08:00", "rows_added_total": 3, "areas": ["huayingshan"]}
    write_state(state_file, {**dict(zip(names, BAD_ENTRIES.values())), names[-1]: good})
    kept, problems = read_fetch_state(state_file)
    assert kept == {names[-1]: good}
    lines = state_file.read_text("utf-8").splitlines()
    where = {name: lines.index(" " + json.dumps(name) + ": {") + 1 for name in names}
    assert [(p.where, p.code, p.params["reason"].split(":")[0]) for p in problems] == [
        (f"datasets/fetch-state.json:{where[name]}:2", "fetch-state-unreadable", name) for name in names[:-1]]
    before = len(stored_rows(project))
    outcomes, reported = fetch_all(project, NOW, env={})
    assert reported == problems          # fetch says which entries it starts afresh, as warnings
    assert not has_errors(reported) and [(o.source_id, o.status, o.added) for o in outcomes] == [
        (name, "fetched", 2) for name in names]
    assert len(stored_rows(project)) == before + 2 * len(names)
    state, problems = read_fetch_state(state_file)
    assert problems == [] and {name: (entry["rows_added_total"], entry["etag"], entry["areas"])
                               for name, entry in state.items()} == {
        name: (5 if name == names[-1] else 2, f'"{name}"', ["huayingshan"]) for name in names}
    outcomes, _ = fetch_all(project, NOW, env={})     # and again: nothing is added twice
    assert {(o.status, o.added) for o in outcomes} == {("not-modified", 0)}
    assert len(stored_rows(project)) == before + 2 * len(names)


def test_every_bad_entry_is_reported_at_its_own_line_and_the_good_ones_kept(tmp_path):
    path = tmp_path / "fetch-state.json"
    path.write_text('{\n "a": {"rows_last": 1},\n "b": {"rows_last": -1},\n "c": [],\n "a": {},\n'
                    ' "d": {"areas": ["x"], "areas": []},\n "e": {"rows_added_total": 1' + "0" * 200 + '},\n'
                    ' "f": {"last_attempt": NaN},\n "g": {"last_error": {"code": "x", "zh": "甲", "en": "a"}}\n}',
                    encoding="utf-8")
    kept, problems = read_fetch_state(path)
    assert kept == {"g": {"last_error": {"code": "x", "zh": "甲", "en": "a"}}}
    assert [(p.line, p.column, p.params["reason"].split(" ", 1)[0]) for p in problems] == [
        (2, 2, "a:"), (3, 2, "b:"), (4, 2, "c:"), (6, 2, "d:"), (7, 2, "e:"), (8, 2, "f:")]


@pytest.mark.parametrize("content", [b"[1, 2]", b"\xff\xfe{}", b"[" * 100_000, b'{"a": {"rows_last": 1e999}'],
                         ids=["a list", "not UTF-8", "nested deep", "cut short"])
def test_an_unreadable_fetch_state_is_one_problem_and_no_state(tmp_path, content):
    path = tmp_path / "fetch-state.json"
    path.write_bytes(content)
    kept, problems = read_fetch_state(path)
    assert kept == {} and [(p.where, p.code) for p in problems] == [("datasets/fetch-state.json:1:1",
                                                                      "fetch-state-unreadable")]


# Files saved by other tools ------------------------------------------------------------------


@pytest.mark.parametrize("content, where", [
    (b"\xef\xbb\xbf" + HEADER.encode() + hourly(datetime(2026, 11, 1, tzinfo=CST), 3).encode(),
     [(1, 1, "file-bom")]),
    ((HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 3)).replace("\n", "\r\n").encode(),
     [(1, len(HEADER), "file-line-endings")]),
    ((HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 2)).encode()
     + hourly(datetime(2026, 11, 2, tzinfo=CST), 2).replace("\n", "\r\n").encode(),
     [(4, len(hourly(datetime(2026, 11, 2, tzinfo=CST), 1)), "file-line-endings")]),
], ids=["a BOM", "CRLF", "CRLF after LF"])
def test_a_month_saved_with_a_bom_or_crlf_is_reported_at_its_place_every_time(base, months, tmp_path, content,
                                                                            where):
    write_month(months, "2026-11", content)
    cache = tmp_path / "cache"
    for _ in range(2):       # checked, then remembered
        assert [(p.line, p.column, p.code) for p in check_problems(base, cache)] == where


def check_problems(base, cache: Path | None = None) -> list:
    _, validated = base
    return check_partitions(validated.package, validated.tables, validated.typed, NOW, cache)[1]


def test_a_crlf_across_the_read_boundary_is_found_on_its_line(base, months):
    first = HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 1)
    pad = (1 << 20) - len(first) - len("huayingshan,2026-11-01T05:00:00+08:00,instant,,gate-count,sample\r")
    line = f"huayingshan,2026-11-01T05:00:00+08:00,instant,{'1' * (pad - 1)}0,gate-count,sample\r\n"
    content = (first + line).encode()
    assert content[(1 << 20) - 1:(1 << 20) + 1] == b"\r\n"
    write_month(months, "2026-11", content)
    assert (3, len(line) - 1, "file-line-endings") in [(p.line, p.column, p.code) for p in check_problems(base)]


def excel_saved(text: str, bom: bool, crlf: str) -> bytes:
    lines = text.splitlines(keepends=True)
    lines = [line.replace("\n", "\r\n") if crlf == "all" or (crlf == "some" and i % 2) else line
             for i, line in enumerate(lines)]
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode()


@pytest.mark.parametrize("bom, crlf", [(True, "none"), (False, "all"), (True, "all"), (False, "some")],
                         ids=["BOM", "CRLF", "BOM and CRLF", "some lines CRLF"])
@pytest.mark.parametrize("later", [True, False], ids=["appended", "merged in"])
def test_merging_into_a_month_saved_by_excel_writes_it_back_plain(base, months, bom, crlf, later):
    path = write_month(months, "2026-11", excel_saved(HEADER + hourly(datetime(2026, 11, 1, 12, tzinfo=CST), 6),
                                                       bom, crlf))
    start = datetime(2026, 11, 2, tzinfo=CST) if later else datetime(2026, 11, 1, 14, 30, tzinfo=CST)
    rows = [{"spot_id": "huayingshan", "observed_at": start + timedelta(hours=h), "window": "instant",
             "count": 7, "method": "gate-count", "source": "sample"} for h in range(2)]
    result = merge_observations(path.parent, rows)
    assert (result.added, result.conflicts) == (2, ())
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.count(b"\n") == 9
    assert check_problems(base) == []
    assert merge_observations(path.parent, rows).unchanged == 2 and path.read_bytes() == data


def test_fetch_merges_into_a_crlf_month_and_leaves_it_plain_but_never_touches_a_month_with_a_bom(feeds,
                                                                                                 tmp_path):
    url = feeds
    Partner.routes["/city.csv"] = (200, "text/csv", GOOD.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/city.csv"))
    month = project / "datasets" / "observations" / "2026-11.csv"
    month.write_bytes(month.read_bytes().replace(b"\n", b"\r\n"))
    outcomes, stopped = fetch_all(project, NOW, env={})
    assert stopped == [] and outcomes[0].added == 2 and b"\r" not in month.read_bytes()
    month.write_bytes(b"\xef\xbb\xbf" + month.read_bytes())
    before = month.read_bytes()
    outcomes, stopped = fetch_all(project, NOW, env={})
    assert outcomes == [] and [(p.where, p.code) for p in stopped] == [(f"{MONTH}:1:1", "file-bom")]
    assert month.read_bytes() == before


# Long values in messages ------------------------------------------------------------------------


def test_one_huge_cell_makes_a_short_report(project, capsys):
    rows = HEADER + hourly(datetime(2026, 11, 1, tzinfo=CST), 2)
    write_month(project, "2026-11", rows.replace(",101,", "," + "9x" * 2_500_000 + ",")
                .replace("sample\n", "s" * 5_000_000 + "\n", 1))
    spots = sorted((project / "datasets" / "spots").glob("*.yaml"))[0]
    text = spots.read_text("utf-8")
    spots.write_text(text.replace("admin_code: ", "admin_code: " + "5" * 1_500_000 + "#", 1), encoding="utf-8")
    assert build.main(["--project", str(project), "check"]) == 1
    out, err = capsys.readouterr()
    assert len(out) + len(err) < 5_000, (len(out), len(err))
    assert f"{MONTH}:3:" in out and "value-type" in out and "…" in out
    assert "value-length" in out and "value-pattern" in out

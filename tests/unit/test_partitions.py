"""Monthly count files: checked on every core, in one pass each, remembered by content."""
from __future__ import annotations

import json
import os
import pickle
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import NOW
from tourhub.check import partitions
from tourhub.check.validate import validate_datasets
from tourhub.model.build import build_model

HEADER = "spot_id,observed_at,window,count,method,source\n"
CST = timezone(timedelta(hours=8))


def write_months(project, months: dict[str, list[str]]) -> None:
    folder = project / "datasets" / "observations"
    for old in folder.glob("*.csv"):
        old.unlink()
    for month, lines in months.items():
        (folder / f"{month}.csv").write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")


def hourly(spot: str, start: datetime, hours: int, count: int = 100) -> list[str]:
    return [f"{spot},{(start + timedelta(hours=h)).isoformat()},instant,{count + h},gate-count,sample"
            for h in range(hours)]


def settle(path) -> None:
    """Date a file's last change long ago: its digest may then be remembered."""
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))


def codes(problems) -> list[tuple[str, int, str]]:
    return [(p.file.rsplit("/", 1)[-1], p.line, p.code) for p in problems]


def test_problems_in_several_months_are_all_reported_with_their_lines(project):
    write_months(project, {
        "2026-09": hourly("huayingshan", datetime(2026, 9, 1, tzinfo=CST), 5),
        "2026-10": hourly("huayingshan", datetime(2026, 10, 1, tzinfo=CST), 3)
        + ["huayingshan,2026-10-02T09:00:00+08:00,instant,-5,gate-count,sample",
           "nowhere,2026-10-02T09:00:00+08:00,instant,5,gate-count,sample"],
        "2026-11": ["huayingshan,2026-10-30T09:00:00+08:00,instant,5,gate-count,sample"],
    })
    problems = validate_datasets(project / "datasets", NOW).problems
    assert codes(problems) == [("2026-10.csv", 5, "value-range"), ("2026-10.csv", 6, "ref-missing"),
                               ("2026-11.csv", 2, "obs-partition")]
    assert problems[0].column == len("huayingshan,2026-10-02T09:00:00+08:00,instant,") + 1


def test_the_model_gets_each_series_last_week_across_a_month_boundary(project):
    october = hourly("huayingshan", datetime(2026, 10, 1, tzinfo=CST), 31 * 24)
    write_months(project, {"2026-10": october,
                           "2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 3 * 24)})
    validated = validate_datasets(project / "datasets", NOW)
    assert not validated.problems
    counts = validated.partitioned["visitor_observations"]
    assert counts.rows == 34 * 24 and counts.span == (datetime(2026, 10, 1).date(), datetime(2026, 11, 3).date())
    observed = [obs.observed_at for obs in build_model(validated.rows, NOW).observations]
    assert observed[0] == datetime(2026, 10, 27, 23, tzinfo=CST) and observed[-1] == datetime(2026, 11, 3, 23,
                                                                                              tzinfo=CST)
    assert len(observed) == 7 * 24 + 1 and observed == sorted(observed)


def test_an_unchanged_month_is_not_checked_again(project, tmp_path, monkeypatch):
    write_months(project, {"2026-10": hourly("huayingshan", datetime(2026, 10, 1, tzinfo=CST), 48),
                           "2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 48)})
    cache = tmp_path / "cache"
    first = validate_datasets(project / "datasets", NOW, cache)
    assert len(list(cache.glob("*.recent.json"))) == 2 and len([p for p in cache.glob("*.json")
                                                                 if p.name != "digests.json"]) == 4

    def must_not_run(job):
        raise AssertionError(f"{job.file} was checked again")
    monkeypatch.setattr(partitions, "check_partition", must_not_run)
    again = validate_datasets(project / "datasets", NOW + timedelta(hours=1), cache)
    assert again.problems == first.problems == []
    assert again.partitioned["visitor_observations"].rows == 96
    assert again.rows["visitor_observations"] == first.rows["visitor_observations"]


def test_a_changed_month_or_a_changed_area_is_checked_again(project, tmp_path):
    write_months(project, {"2026-10": hourly("huayingshan", datetime(2026, 10, 1, tzinfo=CST), 48),
                           "2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 48)})
    cache = tmp_path / "cache"
    assert not validate_datasets(project / "datasets", NOW, cache).problems
    november = project / "datasets" / "observations" / "2026-11.csv"
    november.write_text(november.read_text("utf-8").replace(",101,", ",lots,"), encoding="utf-8")
    assert codes(validate_datasets(project / "datasets", NOW, cache).problems) == [("2026-11.csv", 3, "value-type")]
    november.write_text(november.read_text("utf-8").replace(",lots,", ",101,"), encoding="utf-8")
    capacities = project / "datasets" / "capacities" / "published.yaml"
    text = capacities.read_text("utf-8")
    capacities.write_text(text.replace("- spot_id: huayingshan\n", "- spot_id: diaoyucheng\n", 1), encoding="utf-8")
    found = codes(validate_datasets(project / "datasets", NOW, cache).problems)
    assert ("2026-10.csv", 2, "obs-no-capacity") in found and ("2026-11.csv", 2, "obs-no-capacity") in found


def test_the_clock_is_applied_to_a_remembered_month_every_time(project, tmp_path):
    soon = NOW + timedelta(hours=2)
    write_months(project, {"2026-11": [f"huayingshan,{soon.astimezone(CST).isoformat()},instant,5,gate-count,sample"]})
    cache = tmp_path / "cache"
    assert codes(validate_datasets(project / "datasets", NOW, cache).problems) == [("2026-11.csv", 2, "obs-future")]
    assert validate_datasets(project / "datasets", NOW + timedelta(hours=3), cache).problems == []
    earlier = validate_datasets(project / "datasets", NOW - timedelta(days=1), cache)   # a clock that went back
    assert codes(earlier.problems) == [("2026-11.csv", 2, "obs-future")]


def _altered_payload(data: bytes) -> bytes:
    """A well-formed document whose payload was changed without its sha256 (in digests.json,
    whose entries are a file's own sha256, every one set to zeros)."""
    document = json.loads(data)
    altered = re.sub(r"[0-9a-f]{64}", "0" * 64, document["payload"].replace('"rows":5', '"rows":6')
                     .replace("huayingshan", "elsewhere"))
    assert altered != document["payload"]
    document["payload"] = altered
    return json.dumps(document).encode()


def _pickle(data: bytes) -> bytes:
    return pickle.dumps({"payload": "a pickle is never loaded"})


def _other_version(data: bytes) -> bytes:
    document = json.loads(data)
    document["version"] = 1
    return json.dumps(document).encode()   # (digests.json has no version: an unknown key is ignored)


@pytest.mark.parametrize("damage", [lambda data: b"", lambda data: b"not json", lambda data: data[: len(data) // 2],
                                    _altered_payload, _pickle, _other_version],
                         ids=["empty", "not json", "cut short", "payload altered", "a pickle", "another version"])
@pytest.mark.parametrize("entry", ["summary", "recent rows", "digests"])
def test_a_damaged_cache_entry_is_checked_again(project, tmp_path, damage, entry):
    write_months(project, {"2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 5)})
    settle(project / "datasets" / "observations" / "2026-11.csv")
    cache = tmp_path / "cache"
    first = validate_datasets(project / "datasets", NOW, cache)
    pattern = {"summary": "[0-9a-f]*[0-9a-f].json", "recent rows": "*.recent.json", "digests": "digests.json"}[entry]
    (damaged,) = [p for p in cache.glob(pattern) if entry != "summary" or not p.name.endswith(".recent.json")]
    damaged.write_bytes(damage(damaged.read_bytes()))
    again = validate_datasets(project / "datasets", NOW, cache)
    assert again.problems == [] and again.partitioned["visitor_observations"].rows == 5
    assert again.rows["visitor_observations"] == first.rows["visitor_observations"] != []


def test_only_the_months_holding_the_last_days_are_read_back(project, tmp_path, monkeypatch):
    write_months(project, {"2026-09": hourly("huayingshan", datetime(2026, 9, 1, tzinfo=CST), 48),
                           "2026-10": hourly("huayingshan", datetime(2026, 10, 1, tzinfo=CST), 48),
                           "2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 48)
                           + hourly("deng-xiaoping-guli", datetime(2026, 11, 1, tzinfo=CST), 2)})
    cache = tmp_path / "cache"
    first = validate_datasets(project / "datasets", NOW, cache)
    read = []
    load = partitions._payload
    monkeypatch.setattr(partitions, "_payload", lambda path: read.append(path.name) or load(path))
    again = validate_datasets(project / "datasets", NOW, cache)
    assert len([name for name in read if name.endswith(".recent.json")]) == 1     # November's only
    assert again.rows == first.rows


def test_a_month_rewritten_with_the_same_size_is_hashed_again(project, tmp_path):
    write_months(project, {"2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 5)})
    november = project / "datasets" / "observations" / "2026-11.csv"
    settle(november)
    cache = tmp_path / "cache"
    assert not validate_datasets(project / "datasets", NOW, cache).problems
    november.write_text(november.read_text("utf-8").replace(",102,", ",1O2,"), encoding="utf-8")   # same size
    assert codes(validate_datasets(project / "datasets", NOW, cache).problems) == [("2026-11.csv", 4, "value-type")]


def test_months_are_checked_alike_from_a_process_with_other_threads(project, monkeypatch):
    import threading
    write_months(project, {"2026-10": ["nowhere,2026-10-02T09:00:00+08:00,instant,5,gate-count,sample"],
                           "2026-11": hourly("huayingshan", datetime(2026, 11, 1, tzinfo=CST), 5)})
    alone = validate_datasets(project / "datasets", NOW)
    started_with = []
    get_context = partitions.multiprocessing.get_context
    monkeypatch.setattr(partitions.multiprocessing, "get_context",
                        lambda method=None: started_with.append(method) or get_context(method))
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)     # as build.py serve has: its workers are spawned, not forked
    watcher.start()
    try:
        threaded = validate_datasets(project / "datasets", NOW)
    finally:
        stop.set()
        watcher.join()
    assert codes(threaded.problems) == codes(alone.problems) == [("2026-10.csv", 2, "ref-missing")]
    assert threaded.rows == alone.rows and threaded.partitioned["visitor_observations"].rows == 5
    assert "spawn" in started_with and "fork" not in started_with

"""tools/synthetic_region.py: a small synthetic corpus is a valid project, sized as asked,
crossing both provinces, labelled synthetic, and the same bytes for the same seed."""
from __future__ import annotations

import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from conftest import NOW, ROOT
from tourhub import pipeline
from tourhub.model import build_model

AREAS, ROUTES, DAYS, OBSERVED = 60, 12, 2, 10


def _tool():
    spec = importlib.util.spec_from_file_location("synthetic_region", ROOT / "tools" / "synthetic_region.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic_region = _tool()


def generate(target: Path, seed: int = 1) -> Path:
    synthetic_region.main([str(target), "--areas", str(AREAS), "--routes", str(ROUTES), "--days", str(DAYS),
                           "--observed-areas", str(OBSERVED), "--seed", str(seed)])
    return target


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "datasets").rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("synthetic") / "project")


@pytest.fixture(scope="module")
def validated(corpus):
    return pipeline.check(corpus, NOW)


@pytest.fixture(scope="module")
def model(validated):
    return build_model(validated.typed, NOW)


def test_small_synthetic_corpus_has_no_problems(validated):
    assert [p.to_text() for p in validated.problems] == []


def test_counts_match_the_arguments(corpus, model):
    assert len(model.areas) == AREAS
    assert len(model.routes) == ROUTES
    assert len({obs.spot_id for obs in model.observations}) == OBSERVED
    assert len(model.observations) == OBSERVED * DAYS * 24 * 2      # hourly, instant + daily
    assert len(list((corpus / "datasets/spots").glob("*.yaml"))) == -(-AREAS // synthetic_region.AREAS_PER_FILE)


def test_areas_are_synthetic_and_in_both_provinces(model):
    provinces = Counter(area.province for area in model.areas)
    assert provinces["sichuan"] > 0 and provinces["chongqing"] > 0 and provinces["other"] == 0
    for area in model.areas:
        assert area.name.zh.startswith("合成景区") and area.name.en.startswith("Synthetic Area")
        assert area.source.startswith("https://example.invalid/") and area.capacity_illustrative


def test_routes_cross_the_border_with_searchable_theme_words(model):
    words = {tag: (zh, en) for tag, zh, en in synthetic_region.THEMES}
    for route in model.routes:
        assert 2 <= len(route.days) <= 4
        assert all(2 <= len(day.stops) <= 4 for day in route.days)
        assert {model.area_by_id[spot].province for spot in route.spot_ids} == {"sichuan", "chongqing"}
        assert [stop.leg is None for stop in route.stops].count(True) == 1 and route.stops[-1].leg is None
        zh, en = words[route.theme]
        assert zh in route.name.zh and en in route.name.en, route.id
    assert {"红色", "古镇", "山水"} <= {words[route.theme][0] for route in model.routes}


def test_one_active_severe_notice(model):
    active = [n for n in model.notices if model.notice_state(n) == "active"]
    assert [n.severity for n in active] == ["Severe"]
    assert {"expired", "upcoming", "updated", "cancelled"} <= {model.notice_state(n) for n in model.notices}
    assert all(n.illustrative for n in model.notices)


def test_same_seed_same_bytes_other_seed_other_data(corpus, tmp_path):
    assert digest(generate(tmp_path / "again")) == digest(corpus)
    assert digest(generate(tmp_path / "other", seed=2)) != digest(corpus)


def test_refuses_to_overwrite_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit):
        synthetic_region.main([str(tmp_path), "--force"])
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"

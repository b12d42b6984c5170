"""bench/synthetic_region.py: a small synthetic corpus is a valid project, sized as asked,
crossing both provinces, labelled synthetic and kept entirely in the demo overlay (datasets/ holds
only real data), the same bytes for the same seed, and --touch-one changes exactly one editor
file and leaves a valid project."""
from __future__ import annotations

import hashlib
import importlib.util
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tourhub import pipeline
from tourhub.model.build import build_model

AREAS, ROUTES, NOTICES, STANDARDS, CERTS, DAYS, OBSERVED = 60, 12, 20, 10, 90, 2, 10


def _tool():
    spec = importlib.util.spec_from_file_location("synthetic_region", ROOT / "bench" / "synthetic_region.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic_region = _tool()
# after the check dates of the real standards the corpus copies (a check date is never in the future)
NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
# the day before NOW's day in China time: every observation is in NOW's past
END = NOW.astimezone(synthetic_region.CST).date() - timedelta(days=1)


def generate(target: Path, seed: int = 1) -> Path:
    synthetic_region.main([str(target), "--areas", str(AREAS), "--routes", str(ROUTES), "--notices", str(NOTICES),
                           "--standards", str(STANDARDS), "--certifications", str(CERTS), "--days", str(DAYS),
                           "--observed-areas", str(OBSERVED), "--end", END.isoformat(), "--seed", str(seed)])
    return target


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.parts[len(folder.parts)] in ("datasets", "demo")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("synthetic") / "project")


@pytest.fixture(scope="module")
def validated(corpus):
    return pipeline.check(corpus, NOW, demo=True)


@pytest.fixture(scope="module")
def model(validated):
    return build_model(validated.rows, NOW)


def test_small_synthetic_corpus_has_no_problems(validated):
    assert [p.to_text() for p in validated.problems] == []


def test_counts_match_the_arguments(corpus, model):
    assert len(model.areas) == AREAS
    assert len(model.routes) == ROUTES
    assert len(model.notices) == NOTICES
    assert len([s for s in model.standards if s.code.startswith("T/SYNTHETIC ")]) == STANDARDS
    assert len(model.certifications) == CERTS
    assert len({obs.spot_id for obs in model.observations}) == OBSERVED
    assert len(model.observations) == OBSERVED * DAYS * 24            # hourly, the daily count
    assert {obs.window for obs in model.observations} == {"daily"}
    assert max(obs.observed_at for obs in model.observations) < NOW
    assert len(list((corpus / "demo/spots").glob("*.yaml"))) == -(-AREAS // synthetic_region.AREAS_PER_FILE)
    assert len(list((corpus / "demo/notices").glob("*.yaml"))) == NOTICES


def test_nothing_synthetic_is_in_datasets(corpus):
    """Invented records live in the overlay only: the production check of the same project
    (datasets/ alone) finds real standards and nothing else."""
    assert sorted(p.relative_to(corpus / "datasets").parts[0] for p in (corpus / "datasets").rglob("*.yaml")
                  if p.parent.name != "schemas") == ["datapackage.yaml", "standards", "warning_schemes.yaml"]
    production = pipeline.check(corpus, NOW)
    assert production.typed["scenic_areas"] == [] and production.typed["safety_notices"] == []


def test_months_end_with_the_end_day(tmp_path):
    first, days = synthetic_region.observation_span(END, 12, None)
    assert (first.replace(year=first.year + 1) - timedelta(days=1)) == END and days in (365, 366)
    synthetic_region.main([str(tmp_path / "p"), "--areas", "40", "--routes", "1", "--notices", "1",
                           "--standards", "0", "--certifications", "1", "--months", "1",
                           "--observed-areas", "2", "--instant", "--end", END.isoformat()])
    partitions = sorted(p.stem for p in (tmp_path / "p/demo/observations").glob("*.csv"))
    assert partitions == sorted({END.strftime("%Y-%m"), (END.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")})
    lines = sum(len(p.read_text("utf-8").splitlines()) - 1 for p in (tmp_path / "p/demo/observations").glob("*.csv"))
    assert lines == 2 * 2 * 24 * (END - synthetic_region._add_months(END,
                                                                     -1)).days      # areas x windows x hours x days


def test_areas_are_synthetic_and_in_both_provinces(model):
    provinces = Counter(area.province for area in model.areas)
    assert provinces["sichuan"] > 0 and provinces["chongqing"] > 0 and provinces["other"] == 0
    for area in model.areas:
        assert area.name.zh.startswith("合成景区") and area.name.en.startswith("Synthetic Area")
        assert area.source.startswith("https://example.invalid/synthetic/") and area.capacity.illustrative


def test_routes_cross_the_border_with_searchable_theme_words(model):
    words = {tag: (zh, en) for tag, zh, en in synthetic_region.THEMES}
    for route in model.routes:
        assert 3 <= len(route.stops) <= 12
        assert all(1 <= len(day.stops) <= 4 for day in route.days)
        assert {model.area_by_id[spot].province for spot in route.spot_ids} == {"sichuan", "chongqing"}
        assert [stop.leg is None for stop in route.stops].count(True) == 1 and route.stops[-1].leg is None
        zh, en = words[route.theme]
        assert zh in route.name.zh and en in route.name.en, route.id
    assert {"红色", "古镇", "山水"} <= {words[route.theme][0] for route in model.routes}
    assert len({len(route.days) for route in model.routes}) > 1


def test_notices_mix_every_state_with_reference_chains(model):
    states = Counter(model.notice_state(n) for n in model.notices)
    assert {"active", "expired", "upcoming", "updated", "cancelled"} <= set(states), states
    by_id = {n.id: n for n in model.notices}
    for notice in model.notices:
        assert notice.status == "Test" and notice.illustrative
        assert notice.source.startswith("https://example.invalid/synthetic/")
        assert bool(notice.references) == (notice.msg_type != "Alert")
        assert all(by_id[ref].sent.start < notice.sent.start for ref in notice.references)
    assert any(by_id[ref].references for n in model.notices for ref in n.references)   # Alert <- Update <- Update


def test_standards_and_certifications_are_synthetic(model):
    synthetic = [s for s in model.standards if s.code.startswith("T/SYNTHETIC ")]
    assert {s.status for s in synthetic} == {"current", "superseded", "withdrawn"}
    assert {"GB/T 17775-2024", "LB/T 068-2017"} <= {s.code for s in model.standards}   # real ones kept
    for cert in model.certifications:
        assert cert.illustrative and cert.source.startswith("https://example.invalid/synthetic/")
    assert {c.holder_kind for c in model.certifications} >= {"scenic-area", "hotel", "homestay"}
    assert {c.status_on(NOW.date()) for c in model.certifications} == {"valid", "suspended", "revoked", "expired"}


def test_same_seed_same_bytes_other_seed_other_data(corpus, tmp_path):
    assert digest(generate(tmp_path / "again")) == digest(corpus)
    assert digest(generate(tmp_path / "other", seed=2)) != digest(corpus)


def test_touch_one_changes_exactly_one_editor_file(corpus, tmp_path):
    project = tmp_path / "touched"
    shutil.copytree(corpus, project)
    before = digest(project)
    synthetic_region.main([str(project), "--touch-one"])
    once = digest(project)
    changed = [name for name in before if before[name] != once[name]]
    assert changed == ["demo/routes/synthetic-route-0001.yaml"] and set(once) == set(before)
    synthetic_region.main([str(project), "--touch-one"])
    twice = digest(project)
    assert [name for name in once if once[name] != twice[name]] == changed
    validated = pipeline.check(project, NOW, demo=True)
    assert [p.to_text() for p in validated.problems] == []
    route = next(r for r in build_model(validated.rows, NOW).routes if r.id == "synthetic-route-0001")
    assert route.summary.en.endswith(" (edit 2)")


def test_touch_one_refuses_a_folder_it_did_not_write(tmp_path):
    with pytest.raises(SystemExit):
        synthetic_region.main([str(tmp_path), "--touch-one"])


def test_refuses_to_overwrite_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit):
        synthetic_region.main([str(tmp_path), "--force"])
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_a_region_full_of_alerts_puts_the_five_most_severe_on_every_page_and_links_the_rest(tmp_path):
    """Forty Severe alerts in every page's banner weighed on every page and on the offline copy."""
    from tourhub.site.browser_data import BANNER_MOST, banner_alerts, banner_left_out
    project = tmp_path / "alerts"
    synthetic_region.main([str(project), "--areas", "40", "--routes", "2", "--notices", "120", "--standards", "5",
                           "--certifications", "10", "--days", "1", "--observed-areas", "2", "--end", END.isoformat()])
    model = build_model(pipeline.check(project, NOW, demo=True).rows, NOW)
    in_force = [n for n in model.notices if n.severity in ("Extreme", "Severe") and n.expires is not None
                and model.notice_state(n) in ("active", "upcoming")]
    assert len(in_force) > BANNER_MOST
    alerts = banner_alerts(model)
    assert len(alerts) == BANNER_MOST and banner_left_out(model) == len(in_force) - BANNER_MOST
    order = ["Extreme", "Severe"]
    assert [a["severity"] for a in alerts] == sorted((a["severity"] for a in alerts), key=order.index)
    most_severe = min(order.index(n.severity) for n in in_force)
    assert alerts[0]["severity"] == order[most_severe]

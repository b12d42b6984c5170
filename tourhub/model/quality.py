"""How far each dataset can be trusted, computed from the model: how many records, from how many
sources, how many checked against their sources within the last year, how many scenic areas have
only approximate coordinates, and the newest and oldest checks. Shown on the data-quality page,
on each dataset's page and published as data/quality.json."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from tourhub.model.records import Check, Model


@dataclass(frozen=True)
class Quality:
    dataset: str                 # resource name, as on the dataset pages
    records: int
    sources: int                 # distinct public pages cited
    source_sites: int            # distinct web sites among them
    checked_recently: int        # checked within RECHECK_AFTER of the build
    overdue: tuple[str, ...]     # ids of records not checked for longer
    newest_check: date | None
    oldest_check: date | None
    approximate_coordinates: int | None = None    # scenic areas only
    demo_records: int = 0        # invented records of the demo overlay (a demo build only)
    grade_evidence: tuple[tuple[str, int], ...] = ()   # scenic areas: how each grade is sourced, and how many

    @property
    def share_checked(self) -> float:
        return round(100 * self.checked_recently / self.records, 1) if self.records else 0.0

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "records": self.records, "sources": self.sources,
                "source_sites": self.source_sites, "checked_within_a_year": self.checked_recently,
                "share_checked_within_a_year": self.share_checked, "overdue": list(self.overdue),
                "newest_check": self.newest_check.isoformat() if self.newest_check else None,
                "oldest_check": self.oldest_check.isoformat() if self.oldest_check else None,
                "approximate_coordinates": self.approximate_coordinates, "demo_records": self.demo_records,
                "grade_evidence": dict(self.grade_evidence) or None}


EVIDENCE = ("announcement", "proposal", "report", "secondary")


def _quality(dataset: str, records: list[tuple[str, Check, str, bool]], today: date,
             approximate: int | None = None, evidence: tuple[tuple[str, int], ...] = ()) -> Quality:
    """records: (id, check, source URL, invented) of each record."""
    checks = [check for _, check, _, _ in records]
    sources = {source for _, _, source, _ in records}
    return Quality(
        dataset=dataset, records=len(records), sources=len(sources),
        source_sites=len({urlsplit(s).hostname for s in sources}),
        checked_recently=sum(not c.overdue(today) for c in checks),
        overdue=tuple(rid for rid, check, _, _ in records if check.overdue(today)),
        newest_check=max((c.on for c in checks), default=None), oldest_check=min((c.on for c in checks), default=None),
        approximate_coordinates=approximate, demo_records=sum(invented for *_, invented in records),
        grade_evidence=evidence)


def dataset_quality(model: Model) -> list[Quality]:
    """One entry per dataset whose records carry a check date, in the order of the catalog."""
    today = model.today
    return [
        _quality("scenic_areas", [(a.id, a.check, a.source, False) for a in model.areas], today,
                 approximate=sum(a.coords_approx for a in model.areas),
                 evidence=tuple((kind, sum(a.a_level_evidence == kind for a in model.areas)) for kind in EVIDENCE)),
        _quality("capacities", [(a.id, a.capacity.check, a.capacity.source, a.capacity.illustrative)
                                for a in model.areas if a.capacity], today),
        _quality("routes", [(r.id, r.check, r.source, False) for r in model.routes], today),
        _quality("safety_notices", [(n.id, n.check, n.source, n.illustrative) for n in model.notices if n.check],
                 today),
        _quality("service_standards", [(s.code, s.check, s.source, False) for s in model.standards], today),
        _quality("certifications", [(c.id, c.check, c.source, c.illustrative) for c in model.certifications], today),
    ]


def quality_json(model: Model) -> bytes:
    """data/quality.json: the same figures for machines."""
    return json.dumps({"built_at": model.built_at.isoformat(), "demo": model.demo,
                       "datasets": [q.to_json() for q in dataset_quality(model)]},
                      ensure_ascii=False, indent=1).encode("utf-8")

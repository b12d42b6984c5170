"""What the browser reads: the alert banner and quick links (handed to the theme as
`config.extra.hub`) and small JSON files for in-page tools (the certificate lookup).

Everything here is derived from the model at build time; scripts in site_src/assets/js/ only
re-check it against the visitor's clock (an alert that expired since the build is hidden).
"""
from __future__ import annotations

import json

from tourhub.core.dates import Moment
from tourhub.core.page import Page
from tourhub.model.records import SEVERITY_ORDER, Model, Notice, marked
from tourhub.site import offline, share
from tourhub.site.i18n import LANGS, grade_word, translate

BANNER_SEVERITIES = ("Extreme", "Severe")
PREFIX = {"zh": "", "en": "en/"}
QUICKLINKS = ("routes", "areas", "crowds", "notices", "standards", "data", "guide")
NAV = (("home", ""), ("routes", "routes/"), ("areas", "areas/"), ("crowds", "crowds/"), ("notices", "notices/"),
       ("standards", "standards/"), ("data", "data/"), ("search", "search/"), ("guide", "guide/"), ("about", "about/"))


def _both(key: str, **params) -> dict[str, str]:
    return {lang: translate(key, lang, **params) for lang in LANGS}


BANNER_MOST = 5     # alerts carried by every page; the rest are on the notices page, which the banner links


def _banner_notices(model: Model) -> list[tuple[Notice, Moment]]:
    """Severe and Extreme notices with an end, in force now or later, most severe first (each
    with its end)."""
    found = [(n, n.expires) for n in model.notices if n.severity in BANNER_SEVERITIES and n.expires is not None
             and model.notice_state(n) in ("active", "upcoming")]
    return sorted(found, key=lambda pair: (SEVERITY_ORDER.index(pair[0].severity), pair[0].effective.start))


def banner_alerts(model: Model) -> list[dict]:
    """The banner's alerts, for every page: at most BANNER_MOST of _banner_notices (a region's
    forty would weigh on every page and on the offline copy)."""
    return [{
        "id": n.id,
        "severity": n.severity,
        "severity_label": _both(f"severity_{n.severity.lower()}"),
        "headline": {lang: marked(n.headline.in_(lang), n.illustrative, lang) for lang in LANGS},
        "illustrative": n.illustrative,
        "until_label": _both("until", time=expires.local_text()),
        "effective": n.effective.start.isoformat(),
        "expires": expires.end.isoformat(),
        "upcoming": model.notice_state(n) == "upcoming",
    } for n, expires in _banner_notices(model)[:BANNER_MOST]]


def banner_left_out(model: Model) -> int:
    """How many of _banner_notices the banner does not carry."""
    return max(0, len(_banner_notices(model)) - BANNER_MOST)


def theme_extra(model: Model, dev_reload: bool = False, licence: dict | None = None) -> dict:
    """`config.extra.hub`: all the theme override (site_src/overrides/main.html) needs.
    `licence`: the data's, as the Data Package states it (for the footer)."""
    return {
        **share.theme_strings(licence),                  # share metadata, footer, 404 page
        "alerts": banner_alerts(model),
        "alerts_left_out": banner_left_out(model),
        "alerts_all": _both("banner_all_notices"),
        "prefix": PREFIX,
        "quicklinks": {lang: [{"path": f"{PREFIX[lang]}{key}/", "label": translate(key + "_short", lang)}
                              for key in QUICKLINKS] for lang in LANGS},
        "quicklinks_label": _both("quicklinks"),
        "search_label": _both("search"),
        "search_placeholder": _both("search_placeholder"),
        "dev_reload": dev_reload,        # `build.py serve` only: reload when a new build is ready
        "demo": _both("demo_banner") if model.demo else None,   # on every page of a demo build
        "demo_short": _both("demo_banner_short") if model.demo else None,   # its one-line form on phones
        "alerts_more": _both("alerts_more", n="{n}"),    # "2 more": the banner folds to one line on phones
        "alerts_fewer": _both("alerts_fewer"),
        "site_name": _both("site_name"),                 # the header shows the page's language only
        "nav": {lang: [{"path": PREFIX[lang] + path, "label": translate(key, lang)} for key, path in NAV]
                for lang in LANGS},                      # the drawer's navigation on English pages
        "offline": offline.theme_settings(dev_reload),   # manifest, service worker, "saved" note
    }


def certificate_records(model: Model) -> list[dict]:
    """One row per certification for the lookup: the status as of the build, and the dates the
    browser needs to tell `expired` itself if the build is older than valid_until."""
    today = model.built_at.date()
    rows = []
    for cert in model.certifications:
        standard = model.standard_by_code.get(cert.standard)
        rows.append({
            "id": cert.id,
            "no": cert.certificate_no,
            "holder": {"zh": cert.holder.zh, "en": cert.holder.en},
            "level": {lang: grade_word(cert.level, lang) or cert.level for lang in LANGS},
            "standard": cert.standard,
            "standard_title": {lang: standard.title.in_(lang) for lang in LANGS} if standard else None,
            "issuer": {"zh": cert.issuer.zh, "en": cert.issuer.en},
            "valid_from": cert.valid_from.isoformat() if cert.valid_from else None,
            "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
            "status": cert.status_on(today),
            "illustrative": cert.illustrative,
        })
    return rows


def client_files(model: Model) -> list[Page]:
    lookup = {"certifications": certificate_records(model)}
    return [Page("assets/data/certifications.json",
                 json.dumps(lookup, ensure_ascii=False, separators=(",", ":")))]

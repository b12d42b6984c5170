"""schema.org JSON-LD for the visitors' pages: routes and areas (TouristTrip, TouristAttraction),
notices (SpecialAnnouncement) and lists (ItemList), so search engines and travel apps read the
same facts the page shows. Datasets (schema.org Dataset) are described with the catalogue, in
tourhub/publish/dcat.py."""
from __future__ import annotations

from urllib.parse import urlsplit

from tourhub.model.records import Model, Notice, Route, ScenicArea, marked

# Pages that say what a thing *is* (schema.org sameAs: "a reference Web page that unambiguously
# indicates the item's identity"). A news report or a bureau's list that mentions an area is a
# source for a fact, not the area's identity, and is left out.
IDENTITY_HOSTS = ("wikipedia.org", "wikidata.org", "baike.baidu.com")


def _page_url(base_url: str, lang: str, path: str) -> str:
    return f"{base_url}{'en/' if lang == 'en' else ''}{path}"


def tourist_attraction(area: ScenicArea, base_url: str, lang: str) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "TouristAttraction",
        "@id": _page_url(base_url, lang, f"areas/{area.id}/"),
        "name": area.name.in_(lang),
        "alternateName": area.name.en if lang == "zh" else area.name.zh,
        "description": area.description.in_(lang),
        "url": _page_url(base_url, lang, f"areas/{area.id}/"),
        "inLanguage": "zh-CN" if lang == "zh" else "en",
        "geo": {"@type": "GeoCoordinates", "latitude": area.lat, "longitude": area.lon},
        "address": {"@type": "PostalAddress", "addressRegion": area.city.in_(lang), "addressCountry": "CN"},
        **({"sameAs": same_as} if (same_as := identity_pages(area.source)) else {}),
    }   # no openingHours: the hours are free text as published, not schema.org's "Mo-Su 08:00-18:00" form


def identity_pages(*urls: str | None) -> list[str]:
    """Those of `urls` that are identity pages (IDENTITY_HOSTS), in order."""
    found = []
    for url in urls:
        host = (urlsplit(url or "").hostname or "").lower()
        if url and any(host == known or host.endswith("." + known) for known in IDENTITY_HOSTS):
            found.append(url)
    return found


def tourist_trip(route: Route, model: Model, base_url: str, lang: str, audience: str | None = None) -> dict:
    """`audience`: who the trip is for, in words (schema.org touristType), e.g. "Red tourism"."""
    stops = [model.area_by_id[spot] for spot in route.spot_ids]
    return {
        "@context": "https://schema.org",
        "@type": "TouristTrip",
        "@id": _page_url(base_url, lang, f"routes/{route.id}/"),
        "name": route.name.in_(lang),
        "description": route.summary.in_(lang),
        "url": _page_url(base_url, lang, f"routes/{route.id}/"),
        "inLanguage": "zh-CN" if lang == "zh" else "en",
        **({"touristType": audience} if audience else {}),
        "itinerary": {
            "@type": "ItemList",
            "numberOfItems": len(stops),
            "itemListElement": [{
                "@type": "ListItem", "position": n,
                "item": {"@type": "TouristAttraction", "name": area.name.in_(lang),
                         "url": _page_url(base_url, lang, f"areas/{area.id}/"),
                         "geo": {"@type": "GeoCoordinates", "latitude": area.lat, "longitude": area.lon}},
            } for n, area in enumerate(stops, start=1)],
        },
    }


def item_list(name: str, base_url: str, lang: str, paths: list[str], invented: bool = False) -> dict:
    """A list page as a schema.org ItemList in the summary-page form (each item its page's URL
    only: the names are on those pages, and a region's list of 1,200 areas stays light).
    `invented`: the list shows invented figures (the demo's crowd levels), and its name says so."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": marked(name, invented, lang),
        "numberOfItems": len(paths),
        "itemListElement": [{"@type": "ListItem", "position": n, "url": _page_url(base_url, lang, path)}
                            for n, path in enumerate(paths, start=1)],
    }


def safety_notice(notice: Notice, model: Model, base_url: str, lang: str) -> dict:
    """A safety notice as schema.org SpecialAnnouncement: what, when posted, until when, where.
    An invented (demo) notice says so in its name, as on the page."""
    doc: dict = {
        "@context": "https://schema.org",
        "@type": "SpecialAnnouncement",
        "@id": _page_url(base_url, lang, f"notices/{notice.id}/"),
        "url": _page_url(base_url, lang, f"notices/{notice.id}/"),
        "name": marked(notice.headline.in_(lang), notice.illustrative, lang),
        "text": notice.description.in_(lang),
        "inLanguage": "zh-CN" if lang == "zh" else "en",
        "datePosted": notice.sent.isoformat(),
        "spatialCoverage": [{"@type": "Place", "name": model.area_by_id[spot].name.in_(lang),
                             "url": _page_url(base_url, lang, f"areas/{spot}/")}
                            for spot in notice.spot_ids if spot in model.area_by_id]
        or [{"@type": "Place", "name": notice.area_desc.in_(lang)}],
    }
    if notice.expires is not None:
        doc["expires"] = notice.expires.isoformat()
    if notice.check is not None:                  # a notice from an issuer (not a warning the hub computed)
        doc["citation"] = notice.source           # the issuing page it was copied from
    return doc

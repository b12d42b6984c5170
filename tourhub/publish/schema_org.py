"""schema.org JSON-LD for route and area pages (TouristTrip, TouristAttraction), so search
engines and travel apps read the same facts the page shows."""
from __future__ import annotations

from tourhub.model.records import Model, Route, ScenicArea


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
        "sameAs": [area.source],
    }   # no openingHours: the hours are free text as published, not schema.org's "Mo-Su 08:00-18:00" form


def tourist_trip(route: Route, model: Model, base_url: str, lang: str) -> dict:
    stops = [model.area_by_id[spot] for spot in route.spot_ids]
    return {
        "@context": "https://schema.org",
        "@type": "TouristTrip",
        "@id": _page_url(base_url, lang, f"routes/{route.id}/"),
        "name": route.name.in_(lang),
        "description": route.summary.in_(lang),
        "url": _page_url(base_url, lang, f"routes/{route.id}/"),
        "inLanguage": "zh-CN" if lang == "zh" else "en",
        "touristType": route.theme,
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

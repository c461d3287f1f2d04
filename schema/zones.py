"""Time zone names: which are accepted, and what to say about one that is not.

A zone is an IANA name of a place (``Europe/Paris``), or ``UTC``. Abbreviations are refused,
even the few the time zone database keeps for old systems (``EST``, ``CET``, ``PST8PDT``):
an abbreviation names a season (``EST`` is New York's winter only, and the database's
``EST`` is UTC-5 all year) or several places (``IST``: India, Ireland or Israel), so the
error names the zones meant, and says so when there are several.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from schema.names import fold, nearest

# Files in a zoneinfo folder that are not zone names (and vary from machine to machine).
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# Common abbreviations -> the zones they stand for, with the place each is for.
_US_EAST, _US_CENTRAL = ("America/New_York", "US Eastern"), ("America/Chicago", "US Central")
_US_MOUNTAIN, _US_PACIFIC = ("America/Denver", "US Mountain"), ("America/Los_Angeles", "US Pacific")  # fmt: skip
_CENTRAL_EU = (("Europe/Paris", "France"), ("Europe/Berlin", "Germany"), ("Europe/Rome", "Italy"))
_EASTERN_EU = (("Europe/Athens", "Greece"), ("Europe/Helsinki", "Finland"),
               ("Europe/Bucharest", "Romania"))  # fmt: skip
ABBREVIATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "EST": (_US_EAST,), "EDT": (_US_EAST,), "ET": (_US_EAST,), "EST5EDT": (_US_EAST,),
    "CST": (_US_CENTRAL, ("Asia/Shanghai", "China"), ("America/Havana", "Cuba")),
    "CDT": (_US_CENTRAL,), "CT": (_US_CENTRAL,), "CST6CDT": (_US_CENTRAL,),
    "MST": (_US_MOUNTAIN, ("America/Phoenix", "Arizona, no summer time")),
    "MDT": (_US_MOUNTAIN,), "MT": (_US_MOUNTAIN,), "MST7MDT": (_US_MOUNTAIN,),
    "PST": (_US_PACIFIC,), "PDT": (_US_PACIFIC,), "PT": (_US_PACIFIC,), "PST8PDT": (_US_PACIFIC,),
    "AKST": (("America/Anchorage", "Alaska"),), "AKDT": (("America/Anchorage", "Alaska"),),
    "HST": (("Pacific/Honolulu", "Hawaii"),), "HDT": (("America/Adak", "Aleutian Islands"),),
    "AST": (("America/Halifax", "Atlantic Canada"), ("Asia/Riyadh", "Arabia")),
    "ADT": (("America/Halifax", "Atlantic Canada"),),
    "NST": (("America/St_Johns", "Newfoundland"),), "NDT": (("America/St_Johns", "Newfoundland"),),
    "WET": (("Europe/Lisbon", "Portugal"),), "WEST": (("Europe/Lisbon", "Portugal"),),
    "BST": (("Europe/London", "United Kingdom"), ("Asia/Dhaka", "Bangladesh")),
    "IST": (("Asia/Kolkata", "India"), ("Europe/Dublin", "Ireland"), ("Asia/Jerusalem", "Israel")),
    "CET": _CENTRAL_EU, "CEST": _CENTRAL_EU, "MET": _CENTRAL_EU, "MEST": _CENTRAL_EU,
    "EET": _EASTERN_EU, "EEST": _EASTERN_EU,
    "MSK": (("Europe/Moscow", "Moscow"),), "TRT": (("Europe/Istanbul", "Turkey"),),
    "GST": (("Asia/Dubai", "Gulf"),), "PKT": (("Asia/Karachi", "Pakistan"),),
    "NPT": (("Asia/Kathmandu", "Nepal"),), "ICT": (("Asia/Bangkok", "Indochina"),),
    "WIB": (("Asia/Jakarta", "Western Indonesia"),), "MYT": (("Asia/Kuala_Lumpur", "Malaysia"),),
    "SGT": (("Asia/Singapore", "Singapore"),), "HKT": (("Asia/Hong_Kong", "Hong Kong"),),
    "PHT": (("Asia/Manila", "Philippines"),), "PHST": (("Asia/Manila", "Philippines"),),
    "KST": (("Asia/Seoul", "South Korea"),), "JST": (("Asia/Tokyo", "Japan"),),
    "AWST": (("Australia/Perth", "Western Australia"),),
    "ACST": (("Australia/Adelaide", "South Australia"), ("Australia/Darwin", "Northern Territory, no summer time")),
    "ACDT": (("Australia/Adelaide", "South Australia"),),
    "AEST": (("Australia/Sydney", "New South Wales and Victoria"), ("Australia/Brisbane", "Queensland, no summer time")),
    "AEDT": (("Australia/Sydney", "New South Wales and Victoria"),),
    "NZST": (("Pacific/Auckland", "New Zealand"),), "NZDT": (("Pacific/Auckland", "New Zealand"),),
    "BRT": (("America/Sao_Paulo", "Brazil"),), "ART": (("America/Argentina/Buenos_Aires", "Argentina"),),
    "CLT": (("America/Santiago", "Chile"),), "COT": (("America/Bogota", "Colombia"),),
    "PET": (("America/Lima", "Peru"),), "SAST": (("Africa/Johannesburg", "South Africa"),),
    "WAT": (("Africa/Lagos", "West Africa"),), "CAT": (("Africa/Maputo", "Central Africa"),),
    "EAT": (("Africa/Nairobi", "East Africa"),),
}  # fmt: skip

# The database's own abbreviations: UTC-5, UTC-7 and UTC-10 all year.
_FIXED = {"EST": "UTC-5", "MST": "UTC-7", "HST": "UTC-10"}
_OFFSET = re.compile(r"^(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?00)?$", re.IGNORECASE)
_OLD_AREAS = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@lru_cache(maxsize=1)
def zones() -> frozenset[str]:
    """The accepted names: the machine's IANA database, less abbreviations and odd files."""
    return frozenset(available_timezones()) - _NOT_ZONES - frozenset(ABBREVIATIONS)


@lru_cache(maxsize=1)
def _by_place() -> dict[str, str]:
    """The zone of each place name, folded (``newyork`` -> ``America/New_York``)."""
    places: dict[str, str] = {}
    for name in sorted(zones()):
        if "/" in name and not name.startswith(_OLD_AREAS):
            places.setdefault(fold(name.rsplit("/", 1)[1]), name)
    return places


def _quoted(candidates: tuple[tuple[str, str], ...]) -> str:
    names = [f"{zone!r} ({place})" for zone, place in candidates]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@lru_cache(maxsize=1024)
def zone_hint(value: str) -> str:
    """What to say before "expected an IANA time zone ..." about ``value`` (not a zone)."""
    upper = value.strip().upper()
    if upper in ABBREVIATIONS:
        candidates = ABBREVIATIONS[upper]
        if len(candidates) > 1:
            return (f"{value!r} is an abbreviation of several zones: did you mean "
                    f"{_quoted(candidates)}? ")  # fmt: skip
        fixed = (f" (the time zone database keeps {upper!r} for old systems as "
                 f"{_FIXED[upper]} all year, without summer time)") if upper in _FIXED else ""  # fmt: skip
        return (f"did you mean {candidates[0][0]!r}? {value!r} is an abbreviation, not the "
                f"name of a zone{fixed}; ")  # fmt: skip
    offset = _OFFSET.match(value.strip())
    if offset:
        etc = f"Etc/GMT{'-' if offset[1] == '+' else '+'}{int(offset[2])}"
        return (f"{value!r} is an offset, which does not follow summer time: write the place's "
                f"zone, or {etc!r} for a fixed offset (the sign is inverted in those names); ")  # fmt: skip
    meant = nearest(value, sorted(zones()), cutoff=0.8) or _by_place().get(fold(value))
    return f"did you mean {meant!r}? " if meant else ""

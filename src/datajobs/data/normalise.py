"""Normalise one raw cell value of each column (company, profile, technologies, diploma, experience,
city) into its canonical value, the report steps it counts in, and any warning."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from datajobs.config import (
    DIPLOMA_LEVELS,
    EXPERIENCE_MAX_YEARS,
    EXPERIENCE_MIN_YEARS,
    FREQUENCY_TABLES_PATH,
)
from datajobs.data.vocabulary import (
    CITY_LOOKUP,
    DIPLOMA_FIRST_WORDS,
    PROFILE_LOOKUP,
    TECHNOLOGY_LOOKUP,
    make_key,
)


@dataclass(frozen=True)
class Normalised:
    """The canonical value of one raw cell, the report steps it counts in, and a warning."""

    value: object
    steps: tuple[str, ...] = ()
    warning: str | None = None


def clean_text(raw: str) -> str:
    """A cell's text with inner white space collapsed to single spaces and the ends trimmed."""
    return re.sub(r"\s+", " ", raw).strip()


def normalise_diploma(raw: str) -> Normalised:
    """Map one of the many diploma spellings onto the four levels."""
    text = clean_text(raw)
    if not text:
        return Normalised(None, ("diploma missing",))
    first_word = re.split(r"[\s\-_/(]+", make_key(text))[0]
    level = DIPLOMA_FIRST_WORDS.get(first_word)
    if level is None:
        return Normalised(text, ("diploma unknown (kept)",),
                          f"unknown diploma {text!r} kept; expected one of {', '.join(DIPLOMA_LEVELS)}")
    return Normalised(level, () if level == text else ("diploma spelling mapped to level",))


NO_EXPERIENCE = {"no experience", "none", "aucune", "aucune experience", "sans experience",
                  "pas d'experience", "no", "jamais", "never"}
_YEARS_PATTERN = re.compile(
    r"^(?P<number>-?\d+(?:[.,]\d+)?)\s*(?P<unit>years?|yrs?|y|ans?|annees?|months?|mois|m)?\.?$"
)


def normalise_experience(raw: str) -> Normalised:
    """Turn ``1,5``, ``2.5``, ``6 months`` or ``no experience`` into float years."""
    text = clean_text(raw)
    if not text:
        return Normalised(math.nan, ("experience missing",))
    key = make_key(text)
    if key in NO_EXPERIENCE:
        return Normalised(0.0, ("experience text read as 0 years",))
    match = _YEARS_PATTERN.match(key)
    if match is None:
        return Normalised(math.nan, ("experience unreadable (set missing)",),
                          f"experience {text!r} is not a number of years; treated as missing")
    number = match.group("number")
    years = float(number.replace(",", "."))
    steps = []
    if "," in number:
        steps.append("experience decimal comma read")
    unit = match.group("unit") or ""
    if unit.startswith("m"):
        years = years / 12.0
        steps.append("experience months converted to years")
    elif unit:
        steps.append("experience unit text removed")
    if not EXPERIENCE_MIN_YEARS <= years <= EXPERIENCE_MAX_YEARS:
        return Normalised(math.nan, ("experience out of range (set missing)",),
                          f"experience {text!r} outside {EXPERIENCE_MIN_YEARS:g}-"
                          f"{EXPERIENCE_MAX_YEARS:g} years; treated as missing")
    return Normalised(years, tuple(steps))


def split_technologies(raw: str) -> list[str]:
    """Split a raw technology cell on ``/``, ``,``, ``;``, ``|`` or newlines (items trimmed)."""
    # "C/C++" must not lose its "+": only these separators split.
    return [clean_text(item) for item in re.split(r"[/,;|\n\r]", raw)]


def normalise_technologies(raw: str) -> Normalised:
    """Map a raw technology cell onto canonical names, joined by ``/`` (unknown items kept)."""
    items = split_technologies(raw)
    steps: list[str] = []
    if not any(items):
        return Normalised("", ("technologies missing",))
    if "" in items and len(items) > 1:
        steps.append("technologies empty item removed")
    if re.search(r"[\n\r]", raw):
        steps.append("technologies stray newline removed")
    canonical: list[str] = []
    unknown: list[str] = []
    aliased = False
    for item in items:
        if not item:
            continue
        mapped = TECHNOLOGY_LOOKUP.get(make_key(item))
        if mapped is None:
            unknown.append(item)
            mapped = (item,)
        elif mapped != (item,):
            aliased = True
        for name in mapped:
            if name not in canonical:
                canonical.append(name)
    if aliased:
        steps.append("technologies alias or case variant mapped")
    warning = None
    if unknown:
        steps.append("technologies unknown item (kept)")
        warning = "unknown technolog" + ("ies " if len(unknown) > 1 else "y ") + ", ".join(
            repr(item) for item in unknown) + " kept"
    return Normalised("/".join(canonical), tuple(steps), warning)


def _title_case(text: str) -> str:
    return re.sub(r"[^\s\-']+", lambda word: word.group(0)[:1].upper() + word.group(0)[1:].lower(), text)


def normalise_city(raw: str) -> Normalised:
    """Trim and canonically case a city; a city outside the reference file is kept and flagged."""
    text = clean_text(raw)
    if not text:
        return Normalised(None, ("city missing",))
    known = CITY_LOOKUP.get(make_key(text))
    if known is not None:
        return Normalised(known, () if known == raw else ("city trimmed or recased",))
    cased = _title_case(text)
    return Normalised(cased, ("city unknown (kept)",), f"unknown city {cased!r} kept")


def _known_companies() -> dict[str, str]:
    try:
        tables = json.loads(FREQUENCY_TABLES_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {make_key(name): name for name in tables.get("companies", {}).get("names", [])}


COMPANY_CASING = _known_companies()


def normalise_company(raw: str) -> Normalised:
    """Trim a company name and give a frequent company its usual casing."""
    text = clean_text(raw)
    if not text:
        return Normalised(None, ("company missing",))
    canonical = COMPANY_CASING.get(make_key(text), text)
    return Normalised(canonical, () if canonical == raw else ("company trimmed or recased",))


def normalise_profile(raw: str) -> Normalised:
    """Match a target label whatever its case; an unknown label is kept and flagged."""
    text = clean_text(raw)
    if not text:
        return Normalised(None, ("profile missing",))
    label = PROFILE_LOOKUP.get(make_key(text))
    if label is None:
        # The label set is the data's: a fifth profile is a class of its own, not an error.
        return Normalised(text, ("profile outside the four reference labels (a class of its own)",))
    return Normalised(label, () if label == raw else ("profile trimmed or recased",))


# The normaliser of each canonical column, applied once per distinct raw value.
NORMALISERS = {
    "company": normalise_company,
    "profile": normalise_profile,
    "technologies": normalise_technologies,
    "diploma": normalise_diploma,
    "experience": normalise_experience,
    "city": normalise_city,
}


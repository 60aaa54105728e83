"""What would change the answer: the smallest edits of one profile that change the model's label.

An exhaustive search over at most two changes of different kinds: the years of experience (to a value
some training profile has), one technology added or removed (of those the model knows), one diploma
step up or down. Edits rank by number of changes, then size (a year of experience, a technology or a
diploma step each count one), then by the new label's probability (rounded to 6 decimals, so that the
browser's probabilities, equal to 1e-9, rank alike), then by their wording. Up to three are kept, each
changing a different set of kinds; a pair is kept only if neither of its changes alone changes the
label (it is then the smallest way). ``resources/web/predictor.js`` runs the same search.
This describes the model, not the labour market or a career path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from datajobs.config import DIPLOMA_LEVELS

MAX_SUGGESTIONS = 3
PROBABILITY_DECIMALS = 6


def format_years(value: float) -> str:
    """``5.0`` → ``5``, ``1.5`` → ``1.5`` (Python's ``:g``, which the browser mimics)."""
    return f"{value:g}"


@dataclass(frozen=True)
class Change:
    """One edit of one field of a profile."""

    kind: str  # "experience", "technology" or "diploma"
    value: object  # the new years, the technology toggled, or the new diploma
    size: float
    text: str


def experience_changes(experience: float | None, known_years: list[float]) -> list[Change]:
    """Every training value of the years but the profile's; from a missing value each counts one."""
    changes = []
    for years in known_years:
        if experience is None:
            changes.append(Change("experience", years, 1.0, f"experience: not given → {format_years(years)} years"))
        elif years != experience:
            changes.append(Change("experience", years, abs(years - experience),
                                  f"experience: {format_years(experience)} → {format_years(years)} years"))
    return changes


def technology_changes(technologies: list[str], vocabulary: list[str]) -> list[Change]:
    """Remove one known technology of the profile, or add one it lacks (vocabulary order)."""
    present = set(technologies)
    return [Change("technology", name, 1.0, f"remove {name}" if name in present else f"add {name}")
            for name in vocabulary]


def diploma_changes(diploma: str | None, known_diplomas: list[str]) -> list[Change]:
    """One step down or up the diploma levels the model saw (none from a missing diploma)."""
    levels = [level for level in DIPLOMA_LEVELS if level in set(known_diplomas)]
    if diploma not in levels:
        return []
    rank = levels.index(diploma)
    return [Change("diploma", levels[step], 1.0, f"diploma: {diploma} → {levels[step]}")
            for step in (rank - 1, rank + 1) if 0 <= step < len(levels)]


def apply_changes(profile: dict, technologies: list[str], changes: tuple[Change, ...]) -> dict:
    """A copy of a canonical profile with ``changes`` made (technologies toggled, order kept)."""
    edited = dict(profile)
    items = list(technologies)
    for change in changes:
        if change.kind == "experience":
            edited["experience"] = change.value
        elif change.kind == "diploma":
            edited["diploma"] = change.value
        else:
            items = [item for item in items if item != change.value] if change.value in items \
                else [*items, change.value]
    if any(change.kind == "technology" for change in changes):
        edited["technologies"] = "/".join(items)
    return edited


def candidate_edits(profile: dict, model) -> tuple[list[tuple[Change, ...]], list[str]]:
    """Every single change, then every pair of changes of different kinds, in a fixed order."""
    text = profile.get("technologies")
    technologies = [item for item in (text.split("/") if isinstance(text, str) and text else [])]
    experience = profile.get("experience")
    experience = None if experience is None or (isinstance(experience, float) and math.isnan(experience)) \
        else float(experience)
    diploma = profile.get("diploma")
    diploma = diploma if isinstance(diploma, str) else None
    groups = [experience_changes(experience, model.known_experience),
              technology_changes([item for item in technologies if item in set(model.technology_vocabulary)],
                                 model.technology_vocabulary),
              diploma_changes(diploma, model.known_diplomas)]
    singles = [(change,) for group in groups for change in group]
    pairs = [(first, second) for index, group in enumerate(groups) for first in group
             for later in groups[index + 1:] for second in later]
    return singles + pairs, technologies


def rank_key(changes: tuple[Change, ...], probability: float) -> tuple:
    return (len(changes), sum(change.size for change in changes),
            -round(float(probability), PROBABILITY_DECIMALS), " + ".join(change.text for change in changes))


def counterfactuals(model, profile: pd.DataFrame | dict, limit: int = MAX_SUGGESTIONS) -> list[dict]:
    """Up to ``limit`` smallest diverse edits of one canonical profile that change the model's label.

    ``profile`` is a one-row canonical frame (e.g. :func:`datajobs.model.profile_model.profile_frame`)
    or a dict of its columns. Each result: ``changes`` (their wording), ``kinds``, ``label`` (the new
    label), ``probability`` (the new label's) and ``size``.
    """
    row = profile.iloc[0].to_dict() if isinstance(profile, pd.DataFrame) else dict(profile)
    row = {key: (None if value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value)
           for key, value in row.items() if key in ("company", "technologies", "diploma", "experience", "city")}
    edits, technologies = candidate_edits(row, model)
    frame = pd.DataFrame([row] + [apply_changes(row, technologies, changes) for changes in edits])
    frame["experience"] = pd.to_numeric(frame["experience"]).astype("float64")
    for column in ("company", "technologies", "diploma", "city"):
        frame[column] = frame[column].astype("string")
    frame["technologies"] = frame["technologies"].fillna("")
    probabilities = model.predict_proba(frame)
    labels = model.decision.predict(probabilities)
    original = labels[0]
    flips = labels[1:] != original
    flipping_singles = {edit[0] for edit, flip in zip(edits, flips, strict=True) if flip and len(edit) == 1}
    index = {label: position for position, label in enumerate(model.classes)}
    found = []
    for position, (changes, flip) in enumerate(zip(edits, flips, strict=True)):
        if not flip or (len(changes) > 1 and any(change in flipping_singles for change in changes)):
            continue
        label = labels[position + 1]
        probability = float(probabilities[position + 1, index[label]])
        found.append((rank_key(changes, probability), changes, label, probability))
    found.sort(key=lambda item: item[0])
    kept, seen = [], set()
    for _key, changes, label, probability in found:
        kinds = tuple(sorted(change.kind for change in changes))
        if kinds in seen:
            continue
        seen.add(kinds)
        kept.append({"changes": [change.text for change in changes], "kinds": list(kinds), "label": str(label),
                     "probability": probability, "size": float(sum(change.size for change in changes))})
        if len(kept) == limit:
            break
    return kept


def counterfactuals_of_rows(model, profiles: pd.DataFrame) -> list[list[dict]]:
    """:func:`counterfactuals` of every row of a canonical frame."""
    return [counterfactuals(model, profiles.iloc[[position]]) for position in range(len(profiles))]


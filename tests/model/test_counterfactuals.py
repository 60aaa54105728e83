"""What would change the answer: every edit returned changes the label, is the smallest of its kind, and
the search is exhaustive within its bounds."""

from __future__ import annotations

import pandas as pd
import pytest

from datajobs.model.counterfactuals import MAX_SUGGESTIONS, counterfactuals
from datajobs.model.profile_model import profile_frame

PROFILES = [
    {"technologies": "Python/Spark/SQL", "diploma": "Master", "experience": 3, "city": "Paris"},
    {"technologies": "Python/R/machine learning", "diploma": "PhD", "experience": None, "city": "Lyon"},
    {"technologies": "Java/Hadoop", "diploma": "Bachelor", "experience": 10, "city": "Paris"},
    {"technologies": "Python/machine learning", "diploma": "Master", "experience": 7, "city": "Marseille"},
    {"technologies": "", "diploma": "No diploma", "experience": 1, "city": "Nantes"},
]


def edited(row: dict, changes: list[str]) -> pd.DataFrame:
    """The profile with the worded changes made, built independently of the search's own code."""
    values = dict(row)
    items = [item for item in (values["technologies"] or "").split("/") if item]
    for change in changes:
        if change.startswith("experience:"):
            values["experience"] = float(change.split("→")[1].split()[0])
        elif change.startswith("diploma:"):
            values["diploma"] = change.split("→")[1].strip()
        elif change.startswith("add "):
            items.append(change[4:])
        else:
            items.remove(change[len("remove "):])
    return profile_frame(technologies="/".join(items), diploma=values["diploma"], experience=values["experience"],
                         city=values["city"])


@pytest.mark.parametrize("row", PROFILES, ids=lambda row: row["technologies"] or "no technology")
def test_each_edit_changes_the_label_and_is_smallest_of_its_kind(fast_model, row):
    frame = profile_frame(**row)
    original = fast_model.predict(frame)[0]
    edits = counterfactuals(fast_model, frame)
    assert len(edits) <= MAX_SUGGESTIONS
    assert len({tuple(edit["kinds"]) for edit in edits}) == len(edits), "each edit changes other inputs"
    keys = [(len(edit["changes"]), edit["size"]) for edit in edits]
    assert keys == sorted(keys)
    for edit in edits:
        assert fast_model.predict(edited(row, edit["changes"]))[0] == edit["label"] != original
    # exhaustive for one change of the years: no closer training value changes the label
    for edit in (edit for edit in edits if edit["kinds"] == ["experience"]):
        closer = [years for years in fast_model.known_experience if row["experience"] is not None
                  and abs(years - row["experience"]) < edit["size"]]
        for years in closer:
            assert fast_model.predict(edited(row, [f"experience: x → {years:g} years"]))[0] == original
    # a pair is only given when neither of its changes alone changes the label
    for edit in (edit for edit in edits if len(edit["changes"]) == 2):
        for change in edit["changes"]:
            assert fast_model.predict(edited(row, [change]))[0] == original


def test_single_kinds_absent_from_the_answer_never_change_the_label_alone(fast_model):
    row = PROFILES[0]
    frame = profile_frame(**row)
    original = fast_model.predict(frame)[0]
    kinds = {edit["kinds"][0] for edit in counterfactuals(fast_model, frame) if len(edit["kinds"]) == 1}
    if "technology" not in kinds:
        present = row["technologies"].split("/")
        for name in fast_model.technology_vocabulary:
            change = f"remove {name}" if name in present else f"add {name}"
            assert fast_model.predict(edited(row, [change]))[0] == original
    if "diploma" not in kinds:
        for level in ("Bachelor", "PhD"):
            assert fast_model.predict(edited(row, [f"diploma: x → {level}"]))[0] == original

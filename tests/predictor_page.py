"""Driving the predictor page of the built book (in-browser model) and the Python reference answers."""

from __future__ import annotations

import numpy as np

from datajobs.web.widget import check_form

# Profiles typed in the form: known and unseen values, aliases, missing experience, a Lead-looking one.
FORM_PROFILES = [
    {"technologies": ["Python", "Spark", "SQL"], "free_text": "machine learning, Hadoop", "diploma": "Master",
     "experience": "3,5", "city": "Lyon", "company": ""},
    {"technologies": ["Hadoop", "Hive", "Kafka"], "free_text": "", "diploma": "Bachelor", "experience": "2",
     "city": "Bordeaux", "company": ""},
    {"technologies": ["Python", "Machine learning", "Scikit-learn"], "free_text": "banana", "diploma": "PhD",
     "experience": "", "city": "Saint-Etienne", "company": "Unknown Startup"},
    {"technologies": ["Python", "R", "Machine learning", "SAS"], "free_text": "", "diploma": "Master",
     "experience": "9", "city": "Paris", "company": ""},
    {"technologies": ["AWS", "Docker", "Java", "Linux"], "free_text": "sklearn", "diploma": "(not given)",
     "experience": "6 months", "city": "marseille", "company": ""},
]


def python_answer(model, values: dict) -> dict:
    """What the Python model says for form values: ``{"error"}`` or ``{"label", "probabilities"}``."""
    checked = check_form(model, values.get("technologies") or (), values.get("free_text") or "",
                         values.get("diploma"), values.get("experience"), values.get("city"), values.get("company"))
    if checked.error:
        return {"error": checked.error}
    probabilities = model.predict_proba(checked.frame)[0]
    return {"error": None, "label": str(model.decision.predict(probabilities[np.newaxis, :])[0]),
            "probabilities": dict(zip(model.classes, probabilities.tolist(), strict=True)),
            "warnings": checked.warnings}


def watch(page, allowed_prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Collect console errors and page errors, and requests outside ``allowed_prefixes``."""
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(allowed_prefixes)
            else outside.append(request.url))
    return errors, outside


def wait_ready(page, timeout: float = 30_000) -> None:
    page.wait_for_selector(".dj-widget[data-ready='true']", timeout=timeout)


def fill_and_predict(page, values: dict) -> dict:
    """Type ``values`` into the form, click Predict, and read what the page shows."""
    form = page.locator(".dj-predictor")
    for box in form.locator(".dj-tech input[type=checkbox]").all():
        box.set_checked(box.get_attribute("value") in values["technologies"])
    form.get_by_placeholder("e.g. Python, Spark or Python/Spark").fill(values["free_text"])
    form.locator(".dj-diploma select").select_option(values["diploma"])
    form.get_by_placeholder("e.g. 3,5 — empty if unknown").fill(values["experience"])
    form.get_by_placeholder("pick or type a city").fill(values["city"])
    form.get_by_placeholder("optional").fill(values["company"])
    before = form.locator(".dj-output").get_attribute("data-run")
    form.locator("button.dj-button").click()
    page.wait_for_function("before => document.querySelector('.dj-output').dataset.run !== before", arg=before)
    cells = form.locator(".dj-proba")
    return {"label": form.locator(".dj-label").inner_text(),
            "probabilities": {cells.nth(i).get_attribute("data-label"): float(cells.nth(i).get_attribute("data-probability"))
                              for i in range(cells.count())},
            "text": form.locator(".dj-output").inner_text()}

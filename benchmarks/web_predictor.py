"""The in-browser predictor of the built book: bundle size, page-ready time, time per prediction.

Serves the built book on a free 127.0.0.1 port, opens the predictor page in headless Chromium
several times and prints:

- the bundle's size, raw and gzipped;
- page-ready time: navigation start → the form drawn with the example predicted (median of loads);
- milliseconds per prediction (median, 95th percentile, worst): ``window.datajobsPredictor.predict``
  on many profiles, and a click on Predict until the result is drawn, each click with another profile
  typed into the form;
- for scale, the Python model's time for one profile (``check_form`` + ``predict_proba``), timed
  in the same run.

Goals: <= 20 ms per prediction, page usable <= 2 s on localhost. Build the book first (`make book`).

    .venv/bin/python benchmarks/web_predictor.py [--html _build/html] [--loads 5] [--profiles 500]
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datajobs import config  # noqa: E402
from datajobs.model.profile_model import ProfileModel  # noqa: E402
from datajobs.web.widget import check_form  # noqa: E402
from tests.browser import chromium_page, static_server  # noqa: E402

PREDICT_MANY = """
profiles => {
  const times = [];
  for (const profile of profiles) {
    const start = performance.now();
    window.datajobsPredictor.predict(profile);
    times.push(performance.now() - start);
  }
  return times;
}
"""

CLICK = """
async (profile) => {
  // Fill the form with one profile (technologies typed, boxes cleared), then time Predict until drawn.
  const form = document.querySelector('.dj-predictor');
  form.querySelectorAll('.dj-tech input').forEach(box => { box.checked = false; });
  const text = [...form.querySelectorAll('input[type=text]')];
  const byHint = start => text.find(input => input.placeholder.startsWith(start));
  byHint('e.g. Python').value = profile.technologies.join(', ');
  byHint('e.g. 3,5').value = profile.experience;
  byHint('pick or type').value = profile.city;
  const diploma = form.querySelector('.dj-diploma select');
  diploma.value = [...diploma.options].some(o => o.value === profile.diploma) ? profile.diploma : diploma.options[0].value;
  const output = document.querySelector('.dj-output');
  const before = output.dataset.run;
  const start = performance.now();
  form.querySelector('button.dj-button').click();
  while (output.dataset.run === before) { await new Promise(r => setTimeout(r, 1)); }
  return performance.now() - start;
}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def profiles_for(model: ProfileModel, count: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    cities = [*model.known_cities, "Saint-Etienne", ""]
    return [{"technologies": rng.sample(model.technology_vocabulary, rng.randint(1, 7)),
             "diploma": rng.choice(["Master", "PhD", "Bachelor", "No diploma", ""]),
             "experience": rng.choice(["", "1", "2,5", "4", "7", "12"]), "city": rng.choice(cities),
             "company": ""} for _ in range(count)]


def find_predictor_page(html: Path) -> Path:
    pages = sorted(html.rglob("05_predictor.html"))
    if not pages:
        sys.exit(f"no predictor page under {html}: build the book first (make book)")
    return pages[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default=str(config.PROJECT_ROOT / "_build" / "html"), help="built book")
    parser.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help="model the book was built with")
    parser.add_argument("--loads", type=int, default=5, help="page loads to time")
    parser.add_argument("--profiles", type=int, default=500, help="profiles predicted in the page")
    parser.add_argument("--clicks", type=int, default=100, help="profiles entered in the form and predicted by a click")
    args = parser.parse_args()

    html = Path(args.html).resolve()
    page_path = find_predictor_page(html)
    bundle = next((html / "_static" / "datajobs").glob("*.js"))
    raw = bundle.read_bytes()
    print(f"bundle {bundle.relative_to(html)}: {len(raw) / 1e6:.2f} MB raw, "
          f"{len(gzip.compress(raw, 9)) / 1e6:.2f} MB gzipped")

    model = ProfileModel.load(args.model)
    profiles = profiles_for(model, args.profiles)
    python_ms = []
    for profile in profiles[:100]:
        started = time.perf_counter()
        checked = check_form(model, **profile)
        model.predict_proba(checked.frame)
        python_ms.append((time.perf_counter() - started) * 1000)

    with static_server(html) as base, chromium_page() as page:
        url = f"{base}/{page_path.relative_to(html).as_posix()}"
        ready = []
        for _ in range(args.loads):
            page.goto(url)
            page.wait_for_selector(".dj-widget[data-ready='true']", timeout=30_000)
            ready.append(page.evaluate("performance.now()"))
        times = page.evaluate(PREDICT_MANY, profiles)
        clicks = [page.evaluate(CLICK, profile) for profile in profiles[: args.clicks]]

    print(f"page ready on http://127.0.0.1 (navigation -> form drawn with a prediction): median "
          f"{statistics.median(ready):.0f} ms, worst {max(ready):.0f} ms over {args.loads} loads (goal <= 2000 ms)")
    print(f"predict() in Chromium: median {statistics.median(times):.2f} ms, 95th percentile "
          f"{percentile(times, 0.95):.2f} ms, worst {max(times):.2f} ms over {len(times)} profiles (goal <= 20 ms)")
    print(f"click on Predict -> result drawn (set and counterfactuals included): median {statistics.median(clicks):.1f} ms, "
          f"95th percentile {percentile(clicks, 0.95):.1f} ms, worst {max(clicks):.1f} ms over {len(clicks)} profiles "
          f"(goal < 50 ms)")
    print(f"for scale, Python check_form + predict_proba for one profile: median {statistics.median(python_ms):.1f} ms "
          f"(the browser's predict() with sets and counterfactuals takes "
          f"{statistics.median(times) / statistics.median(python_ms):.1f}x as long)")


if __name__ == "__main__":
    main()

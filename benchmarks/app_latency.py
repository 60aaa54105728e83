"""Latency of the live app's predictor (Voilà + Chromium): the result, then the kernel's SHAP reasons.

Starts `datajobs app` on a free 127.0.0.1 port with the given model and clicks Predict N times
with a different experience each time. The prediction is computed in the page (the exported model,
as in the static book), so a click draws the result at once; the SHAP contributions come from the
kernel. Prints, measured in the page with performance.now() from the click: the time until the
result is drawn (target <= 20 ms) and until the SHAP list arrives (target <= 300 ms).

    .venv/bin/python benchmarks/app_latency.py [--model outputs/model] [--clicks 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datajobs import config  # noqa: E402
from tests.browser import chromium_page, free_port, serve  # noqa: E402

MEASURE = """
async (years) => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const input = [...document.querySelectorAll('.dj-predictor input')].find(i => i.placeholder.startsWith('e.g. 3,5'));
  input.value = years;
  const output = document.querySelector('.dj-output');
  const start = performance.now();
  document.querySelector('.dj-predictor button.dj-button').click();
  const run = output.dataset.run;
  const drawn = output.querySelector('.dj-result') ? performance.now() - start : NaN;
  while (!output.querySelector('.dj-reasons ul')) {
    if (performance.now() - start > 60000) { throw new Error('no SHAP reasons from the kernel after 60 s'); }
    await sleep(1);
  }
  if (output.dataset.run !== run) { throw new Error('another prediction replaced this one'); }
  return [drawn, performance.now() - start];
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR))
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    command = [sys.executable, "-m", "datajobs.cli", "app", "--port", str(port), "--model", args.model]
    with serve(command, f"http://127.0.0.1:{port}/", timeout=180, cwd=config.PROJECT_ROOT), chromium_page() as page:
        page.goto(f"http://127.0.0.1:{port}/")
        # The first prediction (the example profile) and its SHAP reasons: the kernel is ready.
        page.wait_for_selector(".dj-output .dj-reasons ul", timeout=180_000)
        timings = [page.evaluate(MEASURE, f"{1 + (click % 12) * 0.5:g}") for click in range(args.clicks)]
    drawn, explained = [t[0] for t in timings], [t[1] for t in timings]
    print(f"over {len(timings)} clicks on Predict (model {args.model}):")
    print(f"  click -> result drawn (in the page):   median {statistics.median(drawn):6.1f} ms, "
          f"max {max(drawn):6.1f} ms (target <= 20 ms)")
    print(f"  click -> SHAP reasons from the kernel: median {statistics.median(explained):6.1f} ms, "
          f"max {max(explained):6.1f} ms (target <= 300 ms)")


if __name__ == "__main__":
    main()

"""Time from a click on Predict to the updated result in the live app (Voilà + Chromium).

Starts `datajobs app` on a free 127.0.0.1 port with the given model, clicks Predict N times with a
different experience each time, and prints the median and worst latency measured in the page
(performance.now() at the click → the result's HTML changed). Target: <= 300 ms.

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
  const input = [...document.querySelectorAll('input')].find(i => i.placeholder.startsWith('e.g. 3,5'));
  input.value = years; input.dispatchEvent(new Event('input', {bubbles: true}));
  input.dispatchEvent(new Event('change', {bubbles: true}));
  input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  await new Promise(r => setTimeout(r, 150));  // let the new value reach the kernel first
  const result = document.querySelector('.dj-result').parentElement;
  const before = result.innerHTML;
  const button = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Predict'));
  const start = performance.now();
  button.click();
  while (result.innerHTML === before) { await new Promise(r => setTimeout(r, 2)); }
  return performance.now() - start;
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
        page.wait_for_selector(".dj-result", timeout=180_000)
        latencies = [page.evaluate(MEASURE, f"{1 + (click % 12) * 0.5:g}") for click in range(args.clicks)]
    print(f"click -> result over {len(latencies)} clicks: median {statistics.median(latencies):.0f} ms, "
          f"max {max(latencies):.0f} ms (target <= 300 ms)")


if __name__ == "__main__":
    main()

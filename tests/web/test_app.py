"""The live predictor served by `datajobs app` (Voilà), driven in headless Debian Chromium."""

from __future__ import annotations

import os
import re
import sys

import pytest

from datajobs import config
from tests.browser import chromium_page, free_port, require_chromium, serve

pytestmark = pytest.mark.slow
EXPERIENCE = "e.g. 3,5 — empty if unknown"
FREE_TEXT = "e.g. Python, Spark or Python/Spark"
CITY = "pick or type a city"
COMPANY = "optional"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, fast_model):
    require_chromium()
    model_dir = fast_model.save(tmp_path_factory.mktemp("app-model"))
    port = free_port()
    command = [sys.executable, "-m", "datajobs.cli", "app", "--port", str(port), "--model", str(model_dir)]
    log = tmp_path_factory.mktemp("app-log") / "voila.log"
    with serve(command, f"http://127.0.0.1:{port}/", timeout=120, cwd=config.PROJECT_ROOT, log=log) as process:
        yield f"http://127.0.0.1:{port}/"
    assert process.poll() is not None, "the app server must be stopped"
    assert app_errors(log.read_text()) == []


# Tornado's report of a message for a browser page that had already closed its websocket (a test
# closes its page while the kernel still answers): nothing went wrong in the app.
CLOSED_SOCKET = {"tornado.iostream.StreamClosedError", "tornado.websocket.WebSocketClosedError"}


def app_errors(log: str) -> list[str]:
    """The exceptions the app server's log reports, but a websocket closed by the page."""
    raised = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception))\b", log, flags=re.MULTILINE)
    if "Traceback" in log and not raised:
        return ["a traceback without an exception line"]
    return [name for name in raised if name not in CLOSED_SOCKET]


def test_a_closed_page_socket_is_not_an_app_error():
    closed = ("Traceback (most recent call last):\n  File \"tornado/websocket.py\", line 1140, in wrapper\n"
              "    await fut\ntornado.iostream.StreamClosedError: Stream is closed\n\nDuring handling of the above "
              "exception, another exception occurred:\n\nTraceback (most recent call last):\n"
              "tornado.websocket.WebSocketClosedError\n")
    assert app_errors("[Voila] serving\n" + closed) == []
    assert app_errors(closed + "Traceback (most recent call last):\n  File \"x.py\"\nKeyError: 'model'\n") == [
        "KeyError"]


@pytest.fixture
def page(app_url):
    with chromium_page(height=1400) as page:
        page.goto(app_url)
        page.wait_for_selector(".dj-result", timeout=120_000)
        yield page


def predict(page) -> str:
    before = page.inner_html(".dj-result")
    page.click("button:has-text('Predict')")
    page.wait_for_function("previous => document.querySelector('.dj-result') && "
                           "document.querySelector('.dj-result').innerHTML !== previous", arg=before, timeout=60_000)
    return page.inner_text(".dj-result")


def probabilities(page) -> dict[str, float]:
    cells = page.locator(".dj-proba")
    return {cells.nth(i).get_attribute("data-label"): float(cells.nth(i).inner_text().rstrip("%")) / 100
            for i in range(cells.count())}


def test_fill_a_profile_and_read_the_prediction(page):
    page.get_by_placeholder(FREE_TEXT).fill("Hadoop, Hive, Kafka")
    page.get_by_placeholder(EXPERIENCE).fill("2")
    page.get_by_placeholder(CITY).fill("Bordeaux")
    text = predict(page)
    assert "Predicted profile:" in text
    predicted = page.inner_text(".dj-label")
    values = probabilities(page)
    assert set(values) == {"Data scientist", "Lead data scientist", "Data engineer", "Data architecte"}
    assert abs(sum(values.values()) - 1) < 0.01
    assert predicted in values


def test_unseen_city_is_accepted_with_a_warning(page):
    page.get_by_placeholder(CITY).fill("Saint-Etienne")
    text = predict(page)
    assert "Predicted profile:" in text and "never saw the city Saint-Etienne" in text


def test_the_kernel_adds_the_shap_contributions(page):
    predict(page)
    page.wait_for_selector(".dj-reasons li", timeout=180_000)  # the kernel builds the bundle first (slow on a busy machine)
    assert "What pushed the prediction (SHAP" in page.inner_text(".dj-reasons")
    assert page.locator(".dj-reasons li").count() == 5


def test_negative_and_absurd_experience(page):
    page.get_by_placeholder(EXPERIENCE).fill("-3")
    assert "between 0 and 60" in predict(page)
    page.get_by_placeholder(EXPERIENCE).fill("999")
    assert "between 0 and 60" in predict(page)


def test_nonsense_technologies_only(page):
    for box in page.locator(".dj-tech input[type=checkbox]").all():
        box.set_checked(False)
    page.get_by_placeholder(FREE_TEXT).fill("banana, quantum tea")
    page.select_option(".dj-diploma select", "(not given)")
    page.get_by_placeholder(EXPERIENCE).fill("")
    page.get_by_placeholder(CITY).fill("")
    assert "None of these technologies is known" in predict(page)
    page.get_by_placeholder(FREE_TEXT).fill("")
    assert "form is empty" in predict(page)


def test_script_in_user_text_is_shown_escaped(page):
    attack = "<img src=x onerror=\"document.body.dataset.hacked='yes'\">"
    page.get_by_placeholder(COMPANY).fill(attack)
    page.get_by_placeholder(CITY).fill(attack)
    text = predict(page)
    assert "<img src=x" in text.lower()  # shown as text (the city is title-cased), not interpreted
    assert page.locator(".dj-result img").count() == 0
    assert page.evaluate("document.body.dataset.hacked") is None


def test_app_uses_the_loopback_interface_only():
    from datajobs.cli.book_commands import voila_command

    command = voila_command(8866)
    assert "--Voila.ip=127.0.0.1" in command and "--no-browser" in command
    assert os.path.basename(command[1]) == "05_predictor.ipynb"

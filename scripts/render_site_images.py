"""Render the site's PNG images from ``book/_static/logo.svg`` with headless Debian Chromium.

Run by a maintainer after changing the logo; writes, next to it:

- ``favicon.png`` (48 x 48), the browser-tab icon;
- ``social-card.png`` (1200 x 630), the OpenGraph image of pages that have no figure of their own.

    .venv/bin/python scripts/render_site_images.py
"""

import argparse
import base64
from pathlib import Path

import yaml

from datajobs.config import PROJECT_ROOT

STATIC = PROJECT_ROOT / "book" / "_static"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def render(html: str, width: int, height: int, target: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_content(html)
            target.write_bytes(page.screenshot(omit_background=True))
        finally:
            browser.close()
    print(f"wrote {target.relative_to(PROJECT_ROOT)} ({width} x {height})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args()
    logo = base64.b64encode((STATIC / "logo.svg").read_bytes()).decode()
    image = f'<img src="data:image/svg+xml;base64,{logo}"'
    reset = "<style>html,body{margin:0;background:transparent}</style>"
    render(f"{reset}{image} width=48 height=48>", 48, 48, STATIC / "favicon.png", args.chromium)
    title = yaml.safe_load((PROJECT_ROOT / "_config.yml").read_text())["title"]
    name, _, subtitle = title.partition(": ")
    card = f"""<style>
      html, body {{ margin: 0; width: 1200px; height: 630px; background: #ffffff;
                   font-family: 'DejaVu Sans', Arial, sans-serif; }}
      .card {{ display: flex; align-items: center; gap: 56px; height: 630px; padding: 0 90px;
               box-sizing: border-box; border-bottom: 18px solid #1f3b73; }}
      h1 {{ font-size: 88px; margin: 0; color: #1f3b73; }}
      p {{ font-size: 44px; margin: 18px 0 0; color: #333333; }}
    </style>
    <div class="card">{image} width=280 height=280><div><h1>{name}</h1><p>{subtitle}</p></div></div>"""
    render(card, 1200, 630, STATIC / "social-card.png", args.chromium)


if __name__ == "__main__":
    main()

"""Refresh docs/screenshot.png: the demo's first shipment page as Ana sees it.

Run with the project's venv: `.venv/bin/python scripts/screenshot.py` (needs Debian's chromium).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    """Seed a throw-away instance, serve it, sign in and take the picture."""
    instance = tempfile.mkdtemp(prefix="hub-shot-")
    port = free_port()
    env = os.environ | {"HUB_INSTANCE_PATH": instance, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "hub", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*flask, "hub", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 800}, timezone_id="America/Chicago")
            page.goto(f"http://127.0.0.1:{port}/login")
            page.fill("#email", "ana@northwind.example")
            page.fill("#password", "clearance-demo-2026")
            page.click("button[type=submit]")
            page.goto(f"http://127.0.0.1:{port}/shipments")
            page.click("text=NW-2026-001")
            page.wait_for_timeout(1500)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(200)
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()

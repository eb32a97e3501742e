"""A page opened in a real headless Chromium (Debian's `chromium`), driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages ending in NUL on file descriptors 3 and 4): the console messages and
errors while it loads, what every `#` link points at, and a full-page screenshot.

A pipe and the standard library rather than a PyPI driver: nothing to install beyond the browser, no port to
find, and the browser ends when the pipe closes.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attrs import frozen

CHROMIUM = shutil.which("chromium")
# As root Chromium needs --no-sandbox; the rest keep a browser on a closed network from trying to reach one.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",  # a container's /dev/shm is often too small for it
    "--remote-debugging-pipe",
)
TIMEOUT = 60.0

LINKS = """(() => {
  const found = [];
  for (const a of document.querySelectorAll("a")) {
    const href = a.getAttribute("href") || a.getAttribute("xlink:href") || "";
    if (href.startsWith("#")) {
      found.push([href, document.getElementById(decodeURIComponent(href.slice(1))) !== null]);
    }
  }
  return found;
})()"""
DUPLICATE_IDS = """(() => {
  const seen = new Set(), twice = new Set();
  for (const e of document.querySelectorAll("[id]")) { (seen.has(e.id) ? twice : seen).add(e.id); }
  return [...twice];
})()"""


@frozen
class Loaded:
    """What the browser saw."""

    console: tuple[str, ...]
    """Every console message and error while the page loaded (level: text)."""
    links: tuple[tuple[str, bool], ...]
    """Each `#` link of the page (HTML and SVG) and whether an element has that id."""
    screenshot: bytes
    """PNG of the viewport."""
    scripts: int
    duplicate_ids: tuple[str, ...]


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process = process
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    msg = f"{method}: {reply['error']}"
                    raise RuntimeError(msg)
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                msg = "Chromium did not answer in time"
                raise TimeoutError(msg)
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                msg = f"Chromium closed the pipe (exit {self.process.poll()})"
                raise RuntimeError(msg)
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return dict(json.loads(raw))

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.receive())


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium with a fresh profile, ended when the block ends."""
    assert CHROMIUM is not None
    to_read, to_browser = os.pipe()
    from_browser, to_write = os.pipe()
    # Above 4, so that placing them on 3 and 4 in the child never overwrites one with the other.
    high_read, high_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_read, to_write))
    os.close(to_read)
    os.close(to_write)
    with tempfile.TemporaryDirectory(prefix="rootstock-chromium-") as profile:
        # Chromium reads commands on descriptor 3 and writes answers on 4.
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(high_read, 3), os.dup2(high_write, 4)),  # noqa: PLW1509
        )
        os.close(high_read)
        os.close(high_write)
        browser = Browser(process, to_browser, from_browser)
        try:
            yield browser
        finally:
            os.close(to_browser)
            os.close(from_browser)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def load(page: Path, width: int = 1400, height: int = 900, fragment: str = "") -> Loaded:
    """Open page (scrolled to #fragment, if given), wait for its load event, and collect the console, the links
    and a screenshot of the viewport."""
    with chromium() as browser:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.events.clear()
        browser.send(
            "Page.navigate", {"url": page.resolve().as_uri() + (f"#{fragment}" if fragment else "")}, session=session
        )
        browser.wait_for("Page.loadEventFired")
        links = browser.send("Runtime.evaluate", {"expression": LINKS, "returnByValue": True}, session=session)
        count = "document.scripts.length"
        scripts = browser.send("Runtime.evaluate", {"expression": count, "returnByValue": True}, session=session)
        twice = browser.send("Runtime.evaluate", {"expression": DUPLICATE_IDS, "returnByValue": True}, session=session)
        shot = browser.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session=session
        )
        console = []
        for event in browser.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                console.append(f"{params.get('type')}: {text}")
            elif event.get("method") == "Runtime.exceptionThrown":
                console.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif event.get("method") == "Log.entryAdded":
                entry = params["entry"]
                console.append(f"{entry['level']}: {entry['text']} {entry.get('url', '')}".strip())
        return Loaded(
            tuple(console),
            tuple((href, ok) for href, ok in links["result"]["value"]),
            base64.b64decode(shot["data"]),
            int(scripts["result"]["value"]),
            tuple(twice["result"]["value"]),
        )

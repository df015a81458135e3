"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe):
the standard library only, no driver and no browser download. Commands go to the
browser's fd 3 and answers come from its fd 4, as JSON messages ended by a NUL byte."""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from pathlib import Path

KEYS = {"Enter": ("Enter", 13, "\r"), "Escape": ("Escape", 27, ""), "ArrowDown": ("ArrowDown", 40, ""), "ArrowUp": ("ArrowUp", 38, "")}


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, chromium: str, profile: Path, width: int = 1280, height: int = 900):
        to_browser, self._in = os.pipe()
        self._out, from_browser = os.pipe()

        def fds() -> None:  # in the child: the pipe ends as fd 3 and 4, inherited through exec
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--remote-debugging-pipe", f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buf = b""
        self._id = 0
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self._in, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._id:
                    if "error" in answer:
                        raise CDPError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise CDPError(f"{method}: no answer in {timeout} s")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise CDPError(f"{method}: the browser closed the pipe")
            self._buf += chunk

    def eval(self, js: str):
        res = self.call("Runtime.evaluate", {"expression": js, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise CDPError(f"{js[:80]}: {res['exceptionDetails'].get('exception', {}).get('description') or res['exceptionDetails']}")
        return res["result"].get("value")

    def wait(self, js: str, timeout: float = 20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.eval(js)
            except CDPError:  # the page is still loading: nothing to ask yet
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"waited {timeout} s for {js}")
            time.sleep(0.05)

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def key(self, name: str) -> None:
        """One key press as a person makes it: a letter, or Enter, Escape, arrows."""
        if name in KEYS:
            key, code, text = KEYS[name]
            codename = key
        else:
            key, code, text, codename = name, ord(name.upper()), name, f"Key{name.upper()}"
        down = {"type": "keyDown", "key": key, "code": codename, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        if text:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", down)
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": codename, "windowsVirtualKeyCode": code})

    def type(self, text: str) -> None:
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.session = None  # Browser.close is a browser-wide command
        try:
            self.call("Browser.close", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._in)
        os.close(self._out)

"""Starts a real ``qdc serve`` for tests, the notebook run and the benchmark.

PGlite in a fresh temporary data directory by default; with ``DATABASE_URL`` set, a scratch
PostgreSQL database (created here with psql and dropped again on stop). Auth is on, with a
writer key created before the server starts, so the client's API key path is exercised.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[3]
QDC = REPO / "bin" / "qdc.mjs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(server_url: str, sql: str) -> None:
    subprocess.run(["psql", server_url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)


class QdcServer:
    """A running ``qdc serve``: ``url``, ``api_key`` (writer), ``backend``; ``stop()`` ends it."""

    def __init__(self, env: Optional[Dict[str, str]] = None, node_args: Optional[List[str]] = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="qdc-py-"))
        self.server_url = os.environ.get("DATABASE_URL")
        self.scratch: Optional[str] = None
        if self.server_url:
            self.backend = "postgres"
            self.scratch = f"qdc_pytest_{os.getpid()}_{secrets.token_hex(4)}"
            _psql(self.server_url, f"create database {self.scratch}")
            parts = urllib.parse.urlsplit(self.server_url)
            db_url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.scratch}"))
            db_args = ["--database-url", db_url]
        else:
            self.backend = "pglite"
            db_args = ["--data-dir", str(self.tmp / "pglite")]
        base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QDC_API_KEY", "QDC_URL")}
        self.env = {
            **base_env,
            "QDC_LOG_LEVEL": "warn",
            "QDC_LOG_FORMAT": "json",
            "QDC_EMBEDDER": "lexical",
            "QDC_ALLOW_REMOTE_MODELS": "false",
            "QDC_JOB_POLL_MS": "50",
            **(env or {}),
        }
        try:
            keys = subprocess.run(
                ["node", str(QDC), "keys", "create", "--role", "writer", "--name", "pytest", *db_args],
                env=self.env,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            )
            self.api_key = keys.stdout.strip().splitlines()[-1]
            self.port = _free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.log_path = self.tmp / "serve.log"
            self._log = open(self.log_path, "wb")
            self.process = subprocess.Popen(
                ["node", *(node_args or []), str(QDC), "serve", "--port", str(self.port), "--auth", "required", *db_args],
                env=self.env,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qdc serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"qdc serve did not answer /healthz within {seconds} s:\n{self.log()}")

    def log(self) -> str:
        """What the server wrote so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except (AttributeError, OSError):
            return ""

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 30 s) and removes its data."""
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()
        if self.scratch and self.server_url:
            _psql(self.server_url, f"drop database if exists {self.scratch} with (force)")
            self.scratch = None
        shutil.rmtree(self.tmp, ignore_errors=True)

"""Browser check of the Prefect UI: a real `prefect server start` on
127.0.0.1, the demo ingest run against it, and the flow-run page opened in
headless Chromium.  Saves docs/prefect-flow-run.png (the run and its summary
artifact) and checks the rendered page names the run and shows the summary.

    .venv/bin/python scripts/ui_check.py [--out docs/prefect-flow-run.png]

Needs Debian's chromium (`apt-get install chromium`); exits non-zero with a
clear message when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"{url} did not answer within {timeout:.0f} s")


def api(base: str, path: str, body: dict | None = None) -> object:
    req = urllib.request.Request(base + path, data=json.dumps(body or {}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1440,1400", "--hide-scrollbars",
             "--virtual-time-budget=20000", *args],
            capture_output=True, text=True, timeout=180)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "prefect-flow-run.png")
    args = ap.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="newsflow-ui-") as tmp:
        env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "prefect"), "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_API_URL": f"{base}/api"}
        env.pop("PREFECT_API_URL", None)
        server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_http(f"{base}/api/health", 120)
            db = Path(tmp) / "demo.duckdb"
            run = subprocess.run([str(BIN / "newsflow"), "demo", "--db", str(db)], cwd=REPO, capture_output=True,
                                 text=True, env={**env, "PREFECT_API_URL": f"{base}/api"}, timeout=600)
            if run.returncode != 0:
                sys.exit(f"newsflow demo failed:\n{run.stderr[-3000:]}")
            flows = api(base, "/api/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 1})
            assert isinstance(flows, list) and flows, "no flow run on the server"
            flow_run = flows[0]
            artifacts = api(base, "/api/artifacts/filter", {
                "artifacts": {"key": {"any_": ["ingest-summary"]}, "flow_run_id": {"any_": [flow_run["id"]]}}})
            assert isinstance(artifacts, list) and artifacts, "the run published no summary artifact"
            pages = {
                args.out: (f"{base}/runs/flow-run/{flow_run['id']}", [flow_run["name"], "discover:", "load:"]),
                args.out.with_name(args.out.stem + "-summary.png"): (
                    f"{base}/artifacts/artifact/{artifacts[0]['id']}",
                    ["ingest-summary", "Counts per source and stage", "New stories", "human_trafficking"]),
            }
            args.out.parent.mkdir(parents=True, exist_ok=True)
            for path, (url, expected) in pages.items():
                dom = chromium("--dump-dom", url).stdout
                missing = [text for text in expected if text not in dom]
                shot = chromium(f"--screenshot={path}", url)
                if not path.exists() or path.stat().st_size < 10_000:
                    sys.exit(f"no screenshot of {url} written: {shot.stderr[-2000:]}")
                if missing:
                    sys.exit(f"{url} does not show {missing}; see {path}")
                print(f"{url} shows {expected}; screenshot {path} ({path.stat().st_size // 1024} KB)")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()

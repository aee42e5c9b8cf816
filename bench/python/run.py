"""Catalog.samples(v, scores=[2 metrics]).to_pandas() vs pandas.read_json(url, lines=True).

Both read the same server's scored JSONL export of the same version (100k samples by default),
in alternating rounds; the figure is the ratio of median wall times (goal <= 1.5x). The server is
a real ``qdc serve`` on a fresh PGlite directory, or on a scratch PostgreSQL database when
DATABASE_URL is set.

    python3 bench/python/run.py [--rows 100000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tools"))

import pandas as pd  # noqa: E402

from qdc_catalog import Catalog  # noqa: E402
from qdc_server import QdcServer  # noqa: E402

SCORES = ["complexity.length", "complexity.steps"]
WORDS = "the of and to in is was for on that with as by at from his it an were are which this".split()


def corpus(rows: int):
    """Deterministic prompt/response pairs of varied length (about 60 words each)."""
    rng = random.Random(1)
    for i in range(rows):
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 25))) + f" #{i}?"
        lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(rng.randint(1, 6))]
        yield {"prompt": prompt, "response": "\n".join(lines), "reference": str(i % 97)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = QdcServer()
    try:
        cat = Catalog(server.url, api_key=server.api_key)
        t0 = time.perf_counter()
        v = cat.ingest(corpus(args.rows), dataset="bench-python", create=True).version
        t1 = time.perf_counter()
        cat.compute(v, SCORES, progress=False)
        t2 = time.perf_counter()
        print(f"backend {server.backend}; {v.sample_count} samples ingested in {t1 - t0:.1f} s, {SCORES} computed in {t2 - t1:.1f} s")
        url = f"{server.url}/v1/versions/{v.id}/samples.jsonl?scores={','.join(SCORES)}"
        headers = {"Authorization": f"Bearer {server.api_key}"}

        def client():
            return cat.samples(v, scores=SCORES).to_pandas()

        def baseline():
            return pd.read_json(url, lines=True, storage_options=headers)

        # The two must hold the same data: same texts, and the scores the baseline keeps as dicts.
        a, b = client(), baseline()
        assert len(a) == len(b) == args.rows
        assert list(a["response"]) == list(b["response"])
        for m in SCORES:
            assert list(a[m]) == [s[m] for s in b["scores"]]
        times = {"client": [], "read_json": []}
        cpu = {"client": [], "read_json": []}
        for _ in range(args.repeat):
            for name, fn in (("client", client), ("read_json", baseline)):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        med = {k: statistics.median(t) for k, t in times.items()}
        print(f"{'reader':<40} {'median s':>9} {'py cpu s':>9}  runs (wall s)")
        for name, label in (("client", "Catalog.samples(v, scores).to_pandas()"), ("read_json", "pandas.read_json(url, lines=True)")):
            runs = " ".join(f"{t:.2f}" for t in times[name])
            print(f"{label:<40} {med[name]:>9.2f} {statistics.median(cpu[name]):>9.2f}  {runs}")
        print(f"ratio client / read_json = {med['client'] / med['read_json']:.2f}x (goal <= 1.5x)")
        print("(read_json leaves the scores as one column of dicts; the client gives one float column per score)")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

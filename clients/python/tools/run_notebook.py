"""Executes a notebook against a real ``qdc serve`` it starts, the way CI runs examples/notebook.ipynb.

    python3 clients/python/tools/run_notebook.py examples/notebook.ipynb [--output DIR]

The server runs on a fresh PGlite directory (or a scratch PostgreSQL database when DATABASE_URL
is set); the notebook finds it through QDC_URL and QDC_API_KEY, and imports qdc_catalog from
this checkout. A cell that raises fails the run (nbconvert exits non-zero).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from qdc_server import QdcServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="the .ipynb file to execute")
    parser.add_argument("--output", help="directory for the executed copy (default: a temporary one)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args()
    notebook = Path(args.notebook).resolve()
    output = Path(args.output or tempfile.mkdtemp(prefix="qdc-notebook-")).resolve()
    server = QdcServer()
    try:
        env = {
            **os.environ,
            "QDC_URL": server.url,
            "QDC_API_KEY": server.api_key,
            "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        env.pop("DATABASE_URL", None)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel debugger noise on stderr
        result = subprocess.run(
            [
                sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                f"--ExecutePreprocessor.timeout={args.timeout}",
                "--ExecutePreprocessor.kernel_name=python3",
                "--output-dir", str(output),
                str(notebook),
            ],
            env=env,
            cwd=notebook.parent,
        )
        if result.returncode != 0:
            sys.stderr.write(f"notebook failed; server log:\n{server.log()[-4000:]}\n")
            return result.returncode
        print(f"executed {notebook.name} against {server.backend}: {output / notebook.name}")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

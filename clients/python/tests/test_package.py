"""The package installs with pip from the repository path and documents every public call."""
from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import qdc_catalog
from qdc_catalog import Catalog, Lineage, RecordList, SampleStream

PACKAGE = Path(__file__).resolve().parents[1]


def test_pip_installs_it_from_the_repository_path(tmp_path):
    # A copy, so setuptools' build/ and egg-info land in tmp and not in the checkout.
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("tests", "tools", "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--target", str(target), str(source)],
        check=True,
    )
    out = subprocess.run(
        [sys.executable, "-c", "import qdc_catalog, sys; print(qdc_catalog.__file__, qdc_catalog.__version__)"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out == [str(target / "qdc_catalog" / "__init__.py"), qdc_catalog.__version__]
    assert (target / f"qdc_catalog-{qdc_catalog.__version__}.dist-info").is_dir()


def test_every_public_call_has_a_docstring():
    missing = []
    for cls in (Catalog, SampleStream, Lineage, RecordList):
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or name in dir(tuple) or name in dir(list):
                continue
            if (inspect.isfunction(member) or isinstance(member, property)) and not (member.__doc__ or "").strip():
                missing.append(f"{cls.__name__}.{name}")
    for name in qdc_catalog.__all__:
        if not (getattr(qdc_catalog, name).__doc__ or "").strip():
            missing.append(name)
    assert missing == []

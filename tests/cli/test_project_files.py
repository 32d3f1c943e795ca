"""What a user gets from the package besides the code: license, links, quiet logging."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

ABSOLUTE = ("https://", "http://")


def test_library_warnings_never_reach_stderr_through_the_last_resort_handler() -> None:
    code = (
        "import logging, velstack_async\n"
        "logging.getLogger('velstack_async.bulk').warning('campaign stopping')\n"
        "logging.getLogger('velstack_async').error('boom')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == ""


def test_an_application_that_configures_logging_still_sees_them() -> None:
    code = (
        "import logging, velstack_async\n"
        "logging.basicConfig(format='%(name)s %(message)s')\n"
        "logging.getLogger('velstack_async.bulk').warning('campaign stopping')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == "velstack_async.bulk campaign stopping\n"


def test_the_license_is_mit_as_pyproject_says() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert '\nlicense = "MIT"\n' in (REPO / "pyproject.toml").read_text()


def test_the_wheel_holds_the_license_and_the_urls(tmp_path: Path) -> None:
    builders = pytest.importorskip("hatchling.builders.wheel")  # in the 'test' extra
    builder = builders.WheelBuilder(str(REPO))
    [wheel] = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in text
    urls = dict(
        line.removeprefix("Project-URL: ").split(", ", 1)
        for line in text.splitlines()
        if line.startswith("Project-URL: ")
    )
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


def test_readme_links_work_on_pypi() -> None:
    """PyPI shows the README without the repository beside it: every link is absolute."""
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert links
    relative = [link for link in links if not link.startswith(ABSOLUTE)]
    assert relative == []

"""Links into the documentation site (README, pyproject's URLs) name pages the site has."""

from __future__ import annotations

import re
import sys

import pytest

from .blocks import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

SITE = "https://velstack-async.github.io/velstack-async/"


def page_for(url: str) -> str:
    """The docs/ source of a site URL (MkDocs' directory URLs: ``x/y/`` is ``x/y.md``)."""
    path = url.removeprefix(SITE).split("#", 1)[0].strip("/")
    if not path:
        return "index.md"
    if (ROOT / "docs" / path / "index.md").exists():
        return f"{path}/index.md"
    return f"{path}.md"


def site_links() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    urls = re.findall(r"\]\((" + re.escape(SITE) + r"[^)\s]*)\)", readme)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls += [u for u in project["urls"].values() if u.startswith(SITE)]
    return sorted(set(urls))


def test_the_site_url_is_mkdocs_site_url() -> None:
    assert f"site_url: {SITE}" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_pyproject_documentation_url_is_the_site() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Documentation"].startswith(SITE)


@pytest.mark.parametrize("url", site_links())
def test_link_names_a_page(url: str) -> None:
    assert (ROOT / "docs" / page_for(url)).exists(), url

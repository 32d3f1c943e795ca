"""Development tasks: `nox -s tests stress lint typecheck` (what CI runs), plus bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "stress", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True
# uv makes the environments when it is installed (seconds each), virtualenv otherwise.
nox.options.default_venv_backend = "uv|virtualenv"
# A Python this machine lacks is skipped (and named by nox), as in .ci/run.
nox.options.error_on_missing_interpreters = False

#: Every Python velstack-async supports (pyproject's classifiers).
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The fast suite, warnings as errors (-W error and pyproject's filterwarnings)."""
    session.install("-e", ".[test]")
    session.run("python", "-W", "error", "-m", "pytest", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """The long stress and fuzz tests, which `tests` (plain pytest) deselects; CI runs both."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "stress or fuzz", "-n", "0", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "scripts/generate_sync.py", "--check")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Throughput, memory and sync-overhead benchmarks; writes benchmarks/RESULTS.md."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The site (`mkdocs build --strict`) and its examples (`nox -s docs -- serve`: browse it)."""
    session.install("-e", ".[docs,test]")
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve")
    else:
        session.run("mkdocs", "build", "--strict")
        session.run("pytest", "-m", "examples")  # every Python block of README and docs/

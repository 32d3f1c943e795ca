"""Generate the sync facade, velstack_async/_sync/, from the async services.

    python scripts/generate_sync.py           # (re)write velstack_async/_sync/
    python scripts/generate_sync.py --check   # exit 1 if the committed files differ

The async resource classes (``Async*`` in velstack_async/_resources/*.py) are
read with `ast`, never imported, so annotations, defaults and docstrings are
copied verbatim. Each resource module gets a ``_sync`` twin with one class per
async class (``AsyncSms`` -> ``Sms``) and one plain ``def`` per public method:

- ``async def``: forwarded with ``self._portal.call`` (blocks until done);
- ``async def`` with ``yield`` (async generator): a generator over
  ``self._portal.iterate`` (``AsyncIterator[X]`` becomes ``Iterator[X]``);
- the same under ``@asynccontextmanager``: a ``@contextmanager`` over
  ``self._portal.enter``;
- plain ``def`` (and ``@staticmethod``): calls the async service's method directly.

``_sync/services.py`` gives `Velstack` one attribute per service annotated on
`AsyncVelstack` (``sms: AsyncSms`` -> ``sms: Sms``), so a method or a service
added to the async side appears on the sync side by rerunning this script.
Output is passed through ``ruff check --select I --fix`` and ``ruff format``
(the project's configuration), so ``--check`` compares formatted text.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import difflib
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "velstack_async"
CONFIG = ROOT / "pyproject.toml"
CLIENT_CLASS = "AsyncVelstack"
SCRIPT = "scripts/generate_sync.py"

#: Return annotations of async generators, and what their sync twins return.
_ITERATOR_TYPES = {
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
}
#: Names that say a value is only usable from async code.
_ASYNC_TYPES = frozenset(
    {
        *_ITERATOR_TYPES,
        "Awaitable",
        "Coroutine",
        "AsyncContextManager",
        "AbstractAsyncContextManager",
    }
)
_BUILTINS = frozenset(dir(builtins))


class GenerationError(Exception):
    """The async source has something the generator does not know how to mirror."""


@dataclass(frozen=True)
class Import:
    """Where a name comes from, as seen from a module of ``velstack_async/_sync/``."""

    module: str  # "" with level > 0 for ``from .. import name``
    name: str | None  # None: ``import module``
    level: int = 0
    type_checking: bool = False

    def statement(self, bound: str) -> str:
        if self.name is None:
            alias = "" if bound == self.module else f" as {bound}"
            return f"import {self.module}{alias}"
        alias = "" if bound == self.name else f" as {bound}"
        return f"from {'.' * self.level}{self.module} import {self.name}{alias}"


@dataclass
class SourceModule:
    """One parsed module of ``velstack_async/_resources/``."""

    path: Path
    stem: str
    tree: ast.Module
    text: str
    imports: dict[str, Import] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, path: Path) -> SourceModule:
        text = path.read_text(encoding="utf-8")
        module = cls(path, path.stem, ast.parse(text, filename=str(path)), text)
        module._scan(module.tree.body, type_checking=False)
        return module

    def _scan(self, body: Iterable[ast.stmt], *, type_checking: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else bound
                    self.imports[bound] = Import(target, None, 0, type_checking)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = self._sync_import(
                        node, alias.name, type_checking
                    )
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                self._scan(node.body, type_checking=True)
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.local.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                self.local.update(
                    n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                )
            elif sys.version_info >= (3, 12) and isinstance(node, ast.TypeAlias):
                self.local.add(node.name.id)

    def _sync_import(self, node: ast.ImportFrom, name: str, type_checking: bool) -> Import:
        """The import as written in ``_sync/<stem>.py`` (a sibling package of ``_resources``)."""
        module = node.module or ""
        if node.level == 1:  # ``from .x import y`` means _resources.x
            return Import(f"_resources.{module}".rstrip("."), name, 2, type_checking)
        return Import(module, name, node.level, type_checking)

    def origin(self, name: str) -> Import | None:
        """Where ``name`` (used in a signature) comes from; None for builtins."""
        if name in self.imports:
            return self.imports[name]
        if name in self.local:
            return Import(f"_resources.{self.stem}", name, 2)
        if name in _BUILTINS:
            return None
        raise GenerationError(f"{self.path.name}: cannot tell where {name!r} comes from")

    def segment(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.text, node)
        if text is None:  # pragma: no cover - only for nodes without positions
            raise GenerationError(f"{self.path.name}: no source for {ast.dump(node)}")
        return text


@dataclass
class ModuleWriter:
    """Collects the imports of one generated module, refusing two meanings for a name."""

    context: str
    bindings: dict[str, Import | None] = field(default_factory=dict)

    def bind(self, name: str, origin: Import | None) -> None:
        known = self.bindings.setdefault(name, origin)
        if known != origin:
            raise GenerationError(f"{self.context}: {name!r} would mean both {known} and {origin}")

    def import_lines(self) -> list[str]:
        runtime: list[str] = []
        checking: list[str] = []
        for bound, origin in self.bindings.items():
            if origin is not None:
                target = checking if origin.type_checking else runtime
                target.append(origin.statement(bound))
        lines = sorted(set(runtime))
        if checking:
            self.bind("TYPE_CHECKING", Import("typing", "TYPE_CHECKING"))
            lines.append("from typing import TYPE_CHECKING")
            lines.append("if TYPE_CHECKING:")
            lines.extend(f"    {line}" for line in sorted(set(checking)))
        return lines


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _names(node: ast.AST | None, *, annotation: bool = True) -> set[str]:
    """Every global name an annotation (also a quoted one) or a default refers to."""
    found: set[str] = set()
    for sub in ast.walk(node) if node is not None else ():
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif annotation and isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            with contextlib.suppress(SyntaxError):
                found |= _names(ast.parse(sub.value, mode="eval"))
    return found


def _decorators(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = []
    for decorator in fn.decorator_list:
        if isinstance(decorator, ast.Name):
            names.append(decorator.id)
        elif isinstance(decorator, ast.Attribute):
            names.append(decorator.attr)
        else:
            names.append(ast.unparse(decorator))
    return names


def _yields(fn: ast.AsyncFunctionDef) -> bool:
    """Whether ``fn`` is an async generator (a ``yield`` outside nested scopes)."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _sync_iterator_type(returns: ast.expr | None, where: str) -> tuple[ast.expr, str]:
    """The sync twin of an async generator's return annotation, and the name it introduces.

    ``AsyncIterator[X]`` -> ``Iterator[X]``, ``AsyncIterable[X]`` -> ``Iterable[X]``,
    ``AsyncGenerator[X, S]`` -> ``Generator[X, S, None]``.
    """
    if isinstance(returns, ast.Subscript):
        base = returns.value
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
        if name in _ITERATOR_TYPES:
            mapped = _ITERATOR_TYPES[name]
            slice_ = returns.slice
            if name == "AsyncGenerator":
                items = list(slice_.elts) if isinstance(slice_, ast.Tuple) else [slice_]
                slice_ = ast.Tuple([*items, ast.Constant(None)], ast.Load())
            return ast.Subscript(ast.Name(mapped, ast.Load()), slice_, ast.Load()), mapped
    raise GenerationError(
        f"{where}: an async generator must be annotated AsyncIterator[...], "
        "AsyncIterable[...] or AsyncGenerator[...]"
    )


def _call_arguments(args: ast.arguments, *, skip_first: bool) -> str:
    """The arguments that pass a method's parameters on unchanged."""
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if skip_first:
        positional = positional[1:]
    parts = list(positional)
    if args.vararg is not None:
        parts.append(f"*{args.vararg.arg}")
    parts.extend(f"{a.arg}={a.arg}" for a in args.kwonlyargs)
    if args.kwarg is not None:
        parts.append(f"**{args.kwarg.arg}")
    return ", ".join(parts)


def _docstring(
    source: SourceModule, node: ast.ClassDef | ast.AsyncFunctionDef | ast.FunctionDef
) -> str | None:
    if ast.get_docstring(node, clean=False) is None:
        return None
    first = node.body[0]
    assert isinstance(first, ast.Expr)
    return source.segment(first.value)


def _render_method(
    source: SourceModule,
    writer: ModuleWriter,
    async_class: str,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
) -> list[str]:
    """The sync twin of one public method, as lines of a class body."""
    where = f"{source.path.name}: {async_class}.{fn.name}"
    decorators = _decorators(fn)
    unknown = set(decorators) - {"staticmethod", "asynccontextmanager"}
    if unknown:
        raise GenerationError(f"{where}: cannot mirror decorator(s) {sorted(unknown)}")
    static = "staticmethod" in decorators
    returns: ast.expr | None = fn.returns
    mapped: str | None = None
    out_decorators = ["@staticmethod"] if static else []
    target = f"{async_class}.{fn.name}" if static else f"self._async.{fn.name}"
    call_args = _call_arguments(fn.args, skip_first=not static)
    forwarded = ", ".join(filter(None, [target, call_args]))
    if isinstance(fn, ast.AsyncFunctionDef) and static:
        raise GenerationError(f"{where}: an async staticmethod has no portal to run in")
    if isinstance(fn, ast.AsyncFunctionDef) and "asynccontextmanager" in decorators:
        if not _yields(fn):
            raise GenerationError(f"{where}: @asynccontextmanager without yield")
        returns, mapped = _sync_iterator_type(returns, where)
        writer.bind("contextmanager", Import("contextlib", "contextmanager"))
        out_decorators.append("@contextmanager")
        value = _fresh("value", fn.args)
        body = [f"with self._portal.enter({forwarded}) as {value}:", f"    yield {value}"]
    elif isinstance(fn, ast.AsyncFunctionDef) and _yields(fn):
        returns, mapped = _sync_iterator_type(returns, where)
        body = [f"yield from self._portal.iterate({forwarded})"]
    elif _names(returns) & _ASYNC_TYPES:
        raise GenerationError(f"{where}: returns an async object, which sync code cannot use")
    elif isinstance(fn, ast.AsyncFunctionDef):
        body = [_returning(returns, f"self._portal.call({forwarded})")]
    else:
        body = [_returning(returns, f"{target}({call_args})")]
    used = _names(returns)
    for node in _annotations(fn.args):
        used |= _names(node)
    for default in [*fn.args.defaults, *fn.args.kw_defaults]:
        used |= _names(default, annotation=False)
    for name in sorted(used):
        if name == mapped and name not in source.local:
            writer.bind(name, source.imports.get(name) or Import("collections.abc", name))
        else:
            writer.bind(name, source.origin(name))
    signature = f"def {fn.name}({ast.unparse(fn.args)})"
    if returns is not None:
        signature += f" -> {ast.unparse(returns)}"
    docstring = _docstring(source, fn)
    return [
        *out_decorators,
        f"{signature}:",
        *([f"    {docstring}"] if docstring is not None else []),
        *(f"    {line}" for line in body),
    ]


def _annotations(args: ast.arguments) -> list[ast.expr | None]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return [a.annotation for a in every]


def _returning(returns: ast.expr | None, call: str) -> str:
    is_none = isinstance(returns, ast.Constant) and returns.value is None
    return call if is_none else f"return {call}"


def _fresh(name: str, args: ast.arguments) -> str:
    taken = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    taken |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    while name in taken:
        name += "_"
    return name


def sync_name(async_name: str) -> str:
    """``AsyncSms`` -> ``Sms``."""
    if not async_name.startswith("Async") or len(async_name) == len("Async"):
        raise GenerationError(f"{async_name!r} is not named Async<Name>")
    return async_name[len("Async") :]


def _public_methods(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node
        for node in cls.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and not node.name.startswith("_")
    ]


def _async_classes(source: SourceModule) -> list[ast.ClassDef]:
    return [
        node
        for node in source.tree.body
        if isinstance(node, ast.ClassDef) and node.name.startswith("Async")
    ]


def header(source: Path, package: Path) -> str:
    relative = source.relative_to(package.parent).as_posix()
    return f"# Generated by {SCRIPT} from {relative}: do not edit."


def render_resource_module(source: SourceModule, package: Path) -> str:
    writer = ModuleWriter(f"_sync/{source.stem}.py")
    writer.bind("SyncResource", Import("_portal", "SyncResource", 2))
    classes: list[str] = []
    for cls in _async_classes(source):
        name = sync_name(cls.name)
        writer.bind(cls.name, Import(f"_resources.{source.stem}", cls.name, 2))
        writer.bind(name, None)
        lines = [f"class {name}(SyncResource[{cls.name}]):"]
        docstring = _docstring(source, cls)
        if docstring is not None:
            lines.append(f"    {docstring}")
        for fn in _public_methods(cls):
            lines.append("")
            lines.extend(f"    {line}" for line in _render_method(source, writer, cls.name, fn))
        if len(lines) == 1:
            lines.append("    pass")
        classes.append("\n".join(lines))
    names = ", ".join(f"`{cls.name}`" for cls in _async_classes(source))
    return "\n".join(
        [
            header(source.path, package),
            f'"""Sync twin of {names}: each method runs the async one in the client\'s portal."""',
            "",
            "from __future__ import annotations",
            "",
            *writer.import_lines(),
            "",
            "",
            *("\n\n\n".join(classes).splitlines()),
            "",
        ]
    )


@dataclass(frozen=True)
class Service:
    attribute: str  # ``sms``
    async_class: str  # ``AsyncSms``
    module: str  # ``sms`` (velstack_async/_resources/sms.py and _sync/sms.py)


def client_services(client_path: Path, classes: dict[str, str]) -> list[Service]:
    """The annotated services of `AsyncVelstack` (``sms: AsyncSms``), in declaration order."""
    tree = ast.parse(client_path.read_text(encoding="utf-8"), filename=str(client_path))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == CLIENT_CLASS:
            break
    else:
        raise GenerationError(f"{client_path.name}: no class {CLIENT_CLASS}")
    services = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            annotation = ast.unparse(stmt.annotation).strip("'\"")
            if annotation in classes:
                services.append(Service(stmt.target.id, annotation, classes[annotation]))
            elif annotation.startswith("Async"):
                raise GenerationError(
                    f"{client_path.name}: {CLIENT_CLASS}.{stmt.target.id} is a {annotation}, "
                    "which is not an Async* class of _resources/"
                )
    return services


def render_services(services: list[Service], client_path: Path, package: Path) -> str:
    client_name = sync_name(CLIENT_CLASS)
    writer = ModuleWriter("_sync/services.py")
    writer.bind(CLIENT_CLASS, Import("_client", CLIENT_CLASS, 2))
    writer.bind("Portal", Import("_portal", "Portal", 2))
    for service in services:
        writer.bind(
            sync_name(service.async_class),
            Import(service.module, sync_name(service.async_class), 1),
        )
    bind = [
        f"        self.{s.attribute} = {sync_name(s.async_class)}(client.{s.attribute}, portal)"
        for s in services
    ]
    return "\n".join(
        [
            header(client_path, package),
            f'"""The services of `{client_name}`: one per service of `{CLIENT_CLASS}`."""',
            "",
            "from __future__ import annotations",
            "",
            *writer.import_lines(),
            "",
            "",
            f"class {client_name}Services:",
            f'    """The sync services of `{client_name}`, bound to an `{CLIENT_CLASS}`."""',
            "",
            *(f"    {s.attribute}: {sync_name(s.async_class)}" for s in services),
            "",
            f"    def _bind_services(self, client: {CLIENT_CLASS}, portal: Portal) -> None:",
            *(bind or ["        pass"]),
            "",
        ]
    )


def render_init(exports: dict[str, list[str]]) -> str:
    lines = [
        f"# Generated by {SCRIPT}: do not edit.",
        '"""The generated sync facade: a twin of each async service module (see the script)."""',
        "",
    ]
    for module, names in sorted(exports.items()):
        lines.append(f"from .{module} import {', '.join(sorted(names))}")
    every = sorted(name for names in exports.values() for name in names)
    lines += ["", f"__all__ = {every!r}", ""]
    return "\n".join(lines)


def generate(package: Path = PACKAGE) -> dict[str, str]:
    """Every file of ``<package>/_sync/``: file name -> formatted text."""
    sources = [
        SourceModule.parse(path)
        for path in sorted((package / "_resources").glob("*.py"))
        if not path.name.startswith("_")
    ]
    files: dict[str, str] = {}
    classes: dict[str, str] = {}
    exports: dict[str, list[str]] = {}
    for source in sources:
        found = _async_classes(source)
        if not found:
            continue
        for cls in found:
            if cls.name in classes:
                raise GenerationError(f"{cls.name} is defined twice in _resources/")
            classes[cls.name] = source.stem
        files[f"{source.stem}.py"] = render_resource_module(source, package)
        exports[source.stem] = [sync_name(cls.name) for cls in found]
    client_path = package / "_client.py"
    services = client_services(client_path, classes)
    files["services.py"] = render_services(services, client_path, package)
    exports["services"] = [f"{sync_name(CLIENT_CLASS)}Services"]
    files["__init__.py"] = render_init(exports)
    return _format(files)


def _format(files: dict[str, str]) -> dict[str, str]:
    """Sort imports and format with ruff, under the project's configuration."""
    for name, text in files.items():
        try:
            compile(text, name, "exec")
        except SyntaxError as exc:
            raise GenerationError(f"generated invalid Python for {name}: {exc}\n{text}") from None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "_sync"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        _ruff("check", "--select", "I", "--fix", "--exit-zero", str(folder))
        _ruff("format", str(folder))
        return {name: (folder / name).read_text(encoding="utf-8") for name in files}


def _ruff(*args: str) -> None:
    command = [
        sys.executable,
        "-m",
        "ruff",
        *args,
        "--quiet",
        "--no-cache",
        "--config",
        str(CONFIG),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise GenerationError(f"ruff {args[0]} failed:\n{result.stdout}{result.stderr}")


def differences(expected: dict[str, str], out: Path) -> list[str]:
    """How ``out`` differs from ``expected``: one entry per file (a unified diff or a note)."""
    present = {
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    problems = [
        f"{out / name}: stray file (not generated)" for name in sorted(present - set(expected))
    ]
    for name, text in sorted(expected.items()):
        path = out / name
        if name not in present:
            problems.append(f"{path}: missing")
            continue
        actual = path.read_text(encoding="utf-8")
        if actual != text:
            diff = difflib.unified_diff(
                actual.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{path} (committed)",
                f"{path} (generated)",
            )
            problems.append(f"{path}: differs\n{''.join(diff)}")
    return problems


def write(expected: dict[str, str], out: Path) -> list[str]:
    """Make ``out`` hold exactly ``expected``; returns what changed."""
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for problem in differences(expected, out):
        path = Path(problem.split(": ", 1)[0])
        name = path.relative_to(out).as_posix()
        if name in expected:
            path.write_text(expected[name], encoding="utf-8")
            changed.append(f"wrote {path}")
        else:
            path.unlink()
            changed.append(f"removed {path}")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the files differ")
    parser.add_argument("--package", type=Path, default=PACKAGE, help="package to read")
    parser.add_argument("--out", type=Path, help="where the files go (default: <package>/_sync)")
    options = parser.parse_args(argv)
    out: Path = options.out or options.package / "_sync"
    try:
        expected = generate(options.package)
    except GenerationError as exc:
        print(f"generate_sync: {exc}", file=sys.stderr)
        return 2
    if options.check:
        problems = differences(expected, out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(
                f"generate_sync: {len(problems)} file(s) out of date in {out}; "
                f"run: python {SCRIPT}",
                file=sys.stderr,
            )
            return 1
        print(f"generate_sync: {out} is up to date ({len(expected)} files)")
        return 0
    for line in write(expected, out) or [f"{out} already up to date"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

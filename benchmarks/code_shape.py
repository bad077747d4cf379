"""The code's shape, as issue 21 counts it: long functions, dict-returning public pipeline
functions, views without ``main()``.

    python -m benchmarks.code_shape            # the counts
    python -m benchmarks.code_shape --list     # and every function counted

A function "returns a dict" when its return annotation names a record-like dict: a bare
``dict`` or ``dict[str, Any]``, alone or in ``list[...]``, ``tuple[...]`` or ``... | None``
(``RECORD_DICT``); a typed map such as ``dict[str, Run]`` is not counted.
Serialisers (``to_dict``, ``to_json``, ``as_json``...) are aside: a dict is what they are
for. Public means no leading underscore on the function or on any class or module it sits in.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashboard", "pipeline", "models")
LONG = 60
SERIALISERS = ("to_dict", "to_json", "as_dict", "as_json", "to_row", "to_record", "dump", "json_")


def _functions(tree: ast.AST, private: bool = False):
    """(node, private) for every function, with whether it or an enclosing name is private."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            hidden = private or node.name.startswith("_")
            if isinstance(node, ast.ClassDef):
                yield from _functions(node, hidden)
            else:
                yield node, hidden
                yield from _functions(node, True)


# A record passed as a dict: a bare ``dict`` or one whose values are untyped (``Any``,
# ``object``), alone or in a list, tuple or union. A typed map such as ``dict[str, Run]`` or
# ``dict[str, float]`` (one kind of value per key, keys not read by name) is not a record.
RECORD_DICT = re.compile(r"\b(dict|Dict)\b(?!\[)|\b(dict|Dict)\[\w+, (Any|object)\]")


def _returns_dict(node) -> bool:
    return node.returns is not None and bool(RECORD_DICT.search(ast.unparse(node.returns)))


def _files(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def long_functions() -> list[str]:
    found = []
    for package in PACKAGES:
        for path, tree in _files(package):
            for node, _ in _functions(tree):
                length = node.end_lineno - node.lineno + 1
                if length > LONG:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {length}")
    return found


def dict_returning() -> list[str]:
    found = []
    for path, tree in _files("pipeline"):
        if any(
            part.startswith("_") and part != "__init__.py" and part != "__main__.py"
            for part in path.relative_to(ROOT).parts
        ):
            continue
        for node, private in _functions(tree):
            if private or node.name.startswith(SERIALISERS) or not _returns_dict(node):
                continue
            found.append(
                f"{path.relative_to(ROOT)}:{node.lineno} {node.name} -> {ast.unparse(node.returns)}"
            )
    return found


def views_without_main() -> list[str]:
    views = sorted((ROOT / "dashboard" / "views").glob("*.py"))
    return [
        str(path.relative_to(ROOT))
        for path in views
        if path.name != "__init__.py"
        and not any(
            isinstance(n, ast.FunctionDef) and n.name == "main"
            for n in ast.parse(path.read_text()).body
        )
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list every function counted")
    args = parser.parse_args(argv)
    for title, found in (
        (f"functions over {LONG} lines in {', '.join(PACKAGES)}", long_functions()),
        ("public pipeline functions returning dicts (serialisers aside)", dict_returning()),
        ("views without main()", views_without_main()),
    ):
        print(f"{len(found):4d}  {title}")
        if args.list:
            for line in found:
                print(f"        {line}")


if __name__ == "__main__":
    main()

"""Extraction of the command line's help for the catalogue (a Babel extraction method, named in
`web/babel.cfg` for `cli/**.py`): besides the `_()` / `N_()` messages of the module, every `help=` text
(commands, groups, options, arguments) and the docstring of every command function, each reduced to its
first paragraph as `i18n.help_msgid` reduces it when the help is shown (`truce.cli` translates it then,
in the language of `--lang` / TRUCE_LANG). What follows the first paragraph (the example command lines)
is not a message and stays as it is."""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from truce.i18n import help_msgid


def _text(node: ast.expr) -> str | None:
    """A string literal, or the literal that starts a `"text\\n\\n" + computed` sum (its first paragraph)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_command(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated with `something.command(...)` or `something.callback(...)` (Typer)."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr in ("command", "callback"):
            return True
    return False


def _registered(tree: ast.AST) -> set[str]:
    """Functions registered by a call rather than a decorator: `app.command("x")(handle_errors(fn))`."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Call):
            target = node.func.func
            if isinstance(target, ast.Attribute) and target.attr in ("command", "callback"):
                for arg in ast.walk(node):
                    if isinstance(arg, ast.Name):
                        names.add(arg.id)
    return names


def help_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, msgid) of every help text of a CLI module."""
    tree = ast.parse(source)
    registered = _registered(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                text = _text(kw.value) if kw.arg == "help" else None
                if text and help_msgid(text):
                    yield kw.value.lineno, help_msgid(text)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            _is_command(node) or node.name in registered
        ):
            doc = ast.get_docstring(node)
            if doc and help_msgid(doc):
                yield node.lineno, help_msgid(doc)


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel's extraction method: the module's `_()`/`N_()` messages, then its help texts, each as
    (line, keyword, message, comments)."""
    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)
    for line, msgid in help_texts(data.decode(options.get("encoding", "utf-8"))):
        yield line, "N_", msgid, []  # as if marked N_(...)

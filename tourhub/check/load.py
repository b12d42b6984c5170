"""Read editors' files strictly, keeping the file:line:column of every value.

This is the only module that reads YAML. It returns YAML *nodes*, never constructed Python
objects: every scalar stays the text the editor wrote, with its position, and Frictionless casts
it against the Table Schema later. So YAML 1.1 guesses (`NO` -> false, `0571` -> 377, dates)
never happen here; the plain scalars that *other* YAML readers would misread are reported, since
the files are published and read by other tools too.

Hostile input is stopped early and cheaply: a size cap before reading, strict UTF-8, no BOM, no
anchors or aliases (an alias bomb fails at its first anchor, in bounded memory), no tags,
duplicate keys reported.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tourhub.check.problems import Problem

MAX_YAML_BYTES = 2 * 1024 * 1024

_AMBIGUOUS_BOOLS = {"y", "n", "yes", "no", "on", "off"}
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+(\.[0-9]*)?")


@dataclass(frozen=True)
class Pos:
    """A place in an editor's file; line and column count from 1."""

    file: str
    line: int
    column: int

    @classmethod
    def of(cls, file: str, node: Node) -> Pos:
        return cls(file, node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass(frozen=True)
class Document:
    """One parsed YAML file: its project-relative name and its root node (None if unusable)."""

    file: str
    root: Node | None


class _Rejected(Exception):
    def __init__(self, code: str, mark, **params) -> None:
        super().__init__(code)
        self.code, self.mark, self.params = code, mark, params


MAX_DEPTH = 64        # no editor's record nests deeper; a hostile file could nest millions deep
_FAST = getattr(yaml, "CSafeLoader", None)   # libyaml when PyYAML was built with it: about 7x faster


def _compose(events: Iterable[Any]) -> Node | None:
    """One document's nodes from PyYAML's public event stream (yaml.parse), without implicit
    typing, anchors, aliases or tags, and no deeper than MAX_DEPTH. Lines and columns are the
    parser's own, so every position is the same whichever parser made the events."""
    root: Node | None = None
    stack: list[tuple[Node, list]] = []      # open collections and, for a mapping, its pending key
    document: Any = None
    for event in events:
        start: Any = event.start_mark     # libyaml's marks and PyYAML's own both carry line and column
        end: Any = event.end_mark
        if isinstance(event, DocumentStartEvent):
            if document is not None:
                raise ComposerError("expected a single document in the stream", document.start_mark,
                                    "but found another document", start)
            document = event
            continue
        if isinstance(event, StreamEndEvent):
            break
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise _Rejected("yaml-alias", event.start_mark)
        if isinstance(event, (ScalarEvent, CollectionStartEvent)) and event.tag not in (None, "!"):
            raise _Rejected("yaml-tag", event.start_mark, tag=event.tag)
        if isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            node, _ = stack.pop()
            node.end_mark = event.end_mark
            continue
        if isinstance(event, ScalarEvent):
            node = ScalarNode("tag:yaml.org,2002:str", event.value, start, end,
                              style=event.style or None)     # libyaml says "" for a plain scalar, PyYAML None
        elif isinstance(event, SequenceStartEvent):
            node = SequenceNode("tag:yaml.org,2002:seq", [], start, None, flow_style=event.flow_style)
        elif isinstance(event, MappingStartEvent):
            node = MappingNode("tag:yaml.org,2002:map", [], start, None, flow_style=event.flow_style)
        else:
            continue      # stream start, document end
        if stack:
            parent, pending = stack[-1]
            if isinstance(parent, SequenceNode):
                parent.value.append(node)
            elif pending:
                parent.value.append((pending.pop(), node))
            else:
                pending.append(node)
        else:
            root = node
        if isinstance(node, (SequenceNode, MappingNode)):
            if len(stack) >= MAX_DEPTH:
                raise _Rejected("yaml-syntax", event.start_mark, reason=f"nested more than {MAX_DEPTH} levels deep")
            stack.append((node, []))
    return root


def decode(data: bytes, file: str, limit: int) -> tuple[str | None, list[Problem]]:
    """Turn a file's bytes into text, or say precisely why not."""
    if len(data) > limit:
        return None, [Problem(file, 1, 1, "file-too-large", {"size": len(data), "limit": limit})]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(file, 1, 1, "file-bom")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _line_col(data, error.start)
        return None, [Problem(file, line, column, "file-not-utf8", {"offset": error.start})]
    if not text.strip():
        return None, [Problem(file, 1, 1, "file-empty")]
    return text, []


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return before.count(b"\n") + 1, column


def read_file(path: Path, file: str, limit: int) -> tuple[str | None, list[Problem]]:
    try:
        size = path.stat().st_size
        if size > limit:  # never read a huge file into memory
            return None, [Problem(file, 1, 1, "file-too-large", {"size": size, "limit": limit})]
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(file, 1, 1, "file-unreadable", {"reason": error.strerror or str(error)})]
    return decode(data, file, limit)


def parse_yaml(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    """Compose one YAML document into nodes; report every duplicate key and risky scalar."""
    tabs = _indentation_tabs(text, file)
    if tabs:
        return None, tabs
    if _FAST is not None:
        try:
            root = _compose(yaml.parse(text, Loader=_FAST))
            return (root, list(_risky_nodes(root, file))) if root is not None else (None, [Problem(file, 1, 1,
                                                                                                   "file-empty")])
        except Exception:  # noqa: BLE001 - any trouble at all: let the reference parser explain it
            pass
    try:
        root = _compose(yaml.parse(text, Loader=yaml.SafeLoader))   # the pure-Python reference parser
    except _Rejected as rejected:
        mark = rejected.mark
        return None, [Problem(file, mark.line + 1, mark.column + 1, rejected.code, rejected.params)]
    except yaml.reader.ReaderError as error:
        line, column = _line_col(text.encode("utf-8"), len(text[: error.position].encode("utf-8")))
        return None, [Problem(file, line, column, "file-control-char", {"char": f"U+{error.character:04X}"})]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark and any(w in (error.context or "") for w in ("flow", "quoted")):
            mark = error.context_mark  # an unclosed bracket or quote: point at where it opened
        reason = " ".join(x for x in (error.context, error.problem) if x)
        return None, [Problem(file, mark.line + 1, mark.column + 1, "yaml-syntax", {"reason": reason})]
    if root is None:
        return None, [Problem(file, 1, 1, "file-empty")]
    return root, list(_risky_nodes(root, file))


def _indentation_tabs(text: str, file: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent] and line.strip() and not line.lstrip().startswith("#"):
            problems.append(Problem(file, number, line.index("\t") + 1, "yaml-tab"))
    return problems


def _risky_nodes(node: Node, file: str):
    if isinstance(node, MappingNode):
        seen: dict[str, Node] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    yield Problem.at(Pos.of(file, key), "yaml-duplicate-key",
                                  {"key": key.value, "first_line": seen[key.value].start_mark.line + 1})
                else:
                    seen[key.value] = key
            else:
                yield Problem.at(Pos.of(file, key), "yaml-shape",
                              {"expected_zh": "简单的键名", "expected_en": "a plain key name"})
            yield from _risky_nodes(value, file)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _risky_nodes(item, file)
    elif isinstance(node, ScalarNode) and node.style is None:
        if node.value.lower() in _AMBIGUOUS_BOOLS:
            yield Problem.at(Pos.of(file, node), "yaml-ambiguous-bool", {"value": node.value})
        elif _LEADING_ZERO.fullmatch(node.value):
            yield Problem.at(Pos.of(file, node), "yaml-leading-zero", {"value": node.value})




def load_yaml(path: Path, file: str, limit: int = MAX_YAML_BYTES) -> tuple[Document, list[Problem]]:
    text, problems = read_file(path, file, limit)
    if text is None:
        return Document(file, None), problems
    root, problems = parse_yaml(text, file)
    return Document(file, root), bidi_controls(text, file) + problems


# Embeddings, overrides and isolates (U+202A–202E, U+2066–2069): "Trojan Source" characters
# that reorder how text is displayed, so a name could read differently on a page than in the data.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_controls(text: str, file: str) -> list[Problem]:
    """Every direction-changing control character in `text`, at its line and column."""
    problems = []
    for match in _BIDI_CONTROL.finditer(text):
        before = text[:match.start()]
        line_start = before.rfind("\n") + 1
        problems.append(Problem(file, before.count("\n") + 1, match.start() - line_start + 1,
                                "file-bidi-control", {"char": f"U+{ord(match.group()):04X}"}))
    return problems


def scalar_text(node: ScalarNode) -> str | None:
    """The text of a scalar as Frictionless should see it: plain null/~/empty is missing."""
    if node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
        return None
    return node.value


_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def to_python(node: Node):
    """Plain data from nodes, YAML 1.2 core style, for our own descriptors (not editors' data)."""
    if isinstance(node, MappingNode):
        return {key.value: to_python(value) for key, value in node.value}
    if isinstance(node, SequenceNode):
        return [to_python(item) for item in node.value]
    if not isinstance(node, ScalarNode) or node.style is not None:
        return node.value
    text = node.value
    if text in ("", "~", "null"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text

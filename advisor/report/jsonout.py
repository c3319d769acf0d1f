"""The JSON documents advisor prints (scan, progress), and the encoder its files use too.

Records become objects, enums their values, times ISO 8601; keys are sorted, so
the same records always give the same bytes. JSON escapes untrusted text by
construction.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from itertools import repeat
from typing import Any, Final, Literal

from typing_extensions import TypedDict  # pydantic reads the schema of this one on Python 3.11

from advisor import escape
from advisor import progress as _progress
from advisor.metrics import episodes_in_window
from advisor.model import Episode
from advisor.scan import Scan
from advisor.snapshot import MEASURES as _MEASURES

PROGRESS_FORMAT = 1  # `version` of the progress JSON document
CHECK_FORMAT: Final = 1  # `version` of the check JSON document

_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[str, ...]]] = {}


def _fields(kind: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], tuple[str, ...]]:
    """A record type's field names, one C call that reads them all off a record, and the fields
    whose declared type can hold a dict (`_may_hold_a_dict`)."""
    known = _FIELDS.get(kind)
    if known is None:
        names = tuple(f.name for f in dataclasses.fields(kind))
        hints = typing.get_type_hints(kind)
        mappings = tuple(name for name in names if _may_hold_a_dict(hints.get(name, Any)))
        if len(names) > 1:
            known = (names, operator.attrgetter(*names), mappings)
        else:  # attrgetter of one name returns the value, not a tuple; of none, it cannot be made
            known = (names, lambda value: tuple(getattr(value, name) for name in names), mappings)
        _FIELDS[kind] = known
    return known


def _may_hold_a_dict(declared: Any) -> bool:
    """Whether a field so declared can hold a dict where json's encoder would meet it (inside tuples,
    lists and unions): the encoder writes a dict's keys as it finds them, where `jsonable` turns them
    to strings and the sort puts them in order. A record inside is not such a place: the encoder
    hands it to `default`, which turns it whole."""
    if declared in _PLAIN or declared is datetime or dataclasses.is_dataclass(declared):
        return False
    if isinstance(declared, type) and issubclass(declared, Enum):
        return False
    if typing.get_origin(declared) in (tuple, list, typing.Union, types.UnionType):
        return any(_may_hold_a_dict(part) for part in typing.get_args(declared) if part is not Ellipsis)
    return True  # a mapping, Any, or a type this does not know: turned by `jsonable` first


_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Records as dicts, enums as their values, times as ISO 8601; Episode.commits as a count."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, Enum):
        return value.value
    if kind is datetime:
        return value.isoformat()
    if kind in (list, tuple):
        kinds = set(map(type, value))
        if kinds and all(map(dataclasses.is_dataclass, kinds)):
            return list(map(_shallow, value))  # a list of records: one record per line, encoded in C
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    if dataclasses.is_dataclass(value):
        return _record(value, kind)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _shallow(value: Any) -> dict[str, Any]:
    """A record of a list of records as a dict of its fields as they are, for json's encoder to write
    on one line: what JSON cannot hold (times, records, enums that are not strings) is turned by the
    encoder's `default` as it meets it, with no call per field here (a scan has a hundred thousand
    records). Only the fields that can hold a dict are turned first."""
    names, read, mappings = _fields(type(value))
    fields = dict(zip(names, read(value)))
    for name in mappings:
        fields[name] = jsonable(fields[name])
    return _as_episode(value, fields)


def _as_episode(value: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """An episode's fields with its commits as their count, and its lifetime."""
    if type(value) is Episode:
        del fields["commits"]
        fields["commit_count"] = len(value.commits)
        fields["lifetime_seconds"] = value.lifetime_seconds
    return fields


def _record(value: Any, kind: type) -> dict[str, Any]:
    """A record as a dict of JSON values, to be laid out field by field."""
    names, read, _ = _fields(kind)
    return _as_episode(value, {name: field if type(field) in _PLAIN else jsonable(field)
                               for name, field in zip(names, read(value))})


def scan_document(scan: Scan) -> dict[str, Any]:
    """The scan as JSON data. Episodes are those merged in the window (reconstruction used
    them all); `history.episodes_total` counts every episode ever rebuilt."""
    document: dict[str, Any] = jsonable(dataclasses.replace(
        scan, history=dataclasses.replace(scan.history, episodes=tuple(episodes_in_window(scan.history, scan.window)))))
    document["history"]["episodes_total"] = len(scan.history.episodes)
    # Each metric group carries the commands that reproduce its numbers (advisor scan --explain).
    proofs = document.pop("proofs")
    for group, values in document["metrics"].items():
        if isinstance(values, dict) and "reproduce" not in values:
            values["reproduce"] = proofs.get(group, [])
    return document


def encode(value: Any, level: int) -> str:
    """indent=2, sorted keys, control and bidi characters as `\\u` escapes (`escape.json`); but each record
    of a list of records on one line, encoded by json's C encoder, so a scan with a hundred thousand
    episodes renders in moments."""
    return "".join(encode_chunks(value, level))


_CHUNK = 1 << 20  # characters: the pieces are joined and escaped about this much at a time


def encode_chunks(value: Any, level: int = 0) -> Iterator[str]:
    """`encode`'s text in pieces of about a megabyte, so a large document is written without being
    held whole (the pieces of a scan of a 200k-commit history once took 80 MB at the peak).

    Each piece is escaped in one pass: json's encoder writes every control character inside a string
    as an escape, so the only raw line breaks in its text are the layout's own, and escaping the rest
    of the piece gives what escaping each value alone gave.
    """
    pieces: list[str] = []
    size = 0
    for piece in _pieces(value, level):
        pieces.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield escape.json_text("".join(pieces))
            pieces, size = [], 0
    if pieces:
        yield escape.json_text("".join(pieces))


def _late(value: Any) -> Any:
    """What a record holds that JSON cannot (`_shallow` left it as it was)."""
    if type(value) is datetime or isinstance(value, (Enum, Mapping)) or dataclasses.is_dataclass(value):
        return jsonable(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _made_once(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """`encoder.encode`, with json's C encoder made once: `encode` makes a new one at every call (10 µs,
    more than a record takes to encode). Python's own encoder where the C one is missing or differs."""
    make = getattr(json.encoder, "c_make_encoder", None)
    try:
        # The arguments JSONEncoder.iterencode passes; no circular check (a scan's records are a tree).
        encode = make(None, encoder.default, json.encoder.encode_basestring, None, encoder.key_separator,  # type: ignore[misc]
                      encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)
        if "".join(encode({"b": [1.5, None], "a": "\u2028é"}, 0)) != encoder.encode({"b": [1.5, None], "a": "\u2028é"}):
            raise TypeError("another C encoder")
    except TypeError:
        return encoder.encode
    return lambda value: "".join(encode(value, 0))


_scalar = _made_once(json.JSONEncoder(ensure_ascii=False, default=_late))
_record_line = _made_once(json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=_late))
_RECORDS_AT_ONCE = 1000  # records joined into one piece: few pieces, each well under a chunk


def _pieces(value: Any, level: int) -> Iterator[str]:
    pad = "  " * level
    if isinstance(value, dict) and value:
        separator = "{\n"
        for key in sorted(value):
            yield f"{separator}{pad}  {_scalar(key)}: "
            yield from _pieces(value[key], level + 1)
            separator = ",\n"
        yield "\n" + pad + "}"
    elif isinstance(value, list) and value:
        if all(map(isinstance, value, repeat(dict))):
            yield "[\n"
            between = f",\n{pad}  "
            for start in range(0, len(value), _RECORDS_AT_ONCE):
                yield (between if start else f"{pad}  ") + between.join(
                    map(_record_line, value[start:start + _RECORDS_AT_ONCE]))
        else:
            separator = "[\n"
            for item in value:
                yield separator + pad + "  "
                yield from _pieces(item, level + 1)
                separator = ",\n"
        yield "\n" + pad + "]"
    else:
        yield _scalar(value)


def scan_json(scan: Scan) -> str:
    return "".join(scan_json_chunks(scan))


def scan_json_chunks(scan: Scan) -> Iterator[str]:
    """`scan_json` in pieces (`encode_chunks`)."""
    yield from encode_chunks(scan_document(scan), 0)
    yield "\n"


class MeasureInfo(TypedDict):
    """One measure a progress document's deltas and trend name (`progress.schema.json` describes it)."""

    name: str
    label: str
    unit: str
    better: str  # "lower" or "higher"


def progress_document(report: _progress.Report) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": "advisor-progress", "version": PROGRESS_FORMAT}
    document.update(jsonable(report))
    measures: list[MeasureInfo] = [{"name": m.name, "label": m.label, "unit": m.unit, "better": m.better}
                                   for m in _MEASURES]
    document["measures"] = measures
    return document


def progress_json(report: _progress.Report) -> str:
    return encode(progress_document(report), 0) + "\n"


class CheckFinding(TypedDict):
    kind: str  # "window", "stage", "regressed", "threshold" or "unmeasured"
    failed: bool
    subject: str
    text: str
    evidence: dict[str, str]


class CheckDocument(TypedDict):
    """`advisor check --format json` (`advisor/schemas/check.schema.json` is generated from this)."""

    kind: Literal["advisor-check"]
    version: Literal[1]
    snapshot: str | None
    snapshots: int
    failed: int
    ok: bool
    findings: list[CheckFinding]


def check_document(findings: Sequence[_progress.Finding], *, snapshot: datetime | None, snapshots: int) -> CheckDocument:
    """`advisor check --format json`: every finding, and whether the check fails."""
    failed = sum(1 for f in findings if f.failed)
    return {"kind": "advisor-check", "version": CHECK_FORMAT, "snapshot": None if snapshot is None else snapshot.isoformat(),
            "snapshots": snapshots, "failed": failed, "ok": failed == 0,
            "findings": [{"kind": f.kind, "failed": f.failed, "subject": f.subject, "text": f.text,
                          "evidence": dict(f.evidence)} for f in findings]}


def check_json(findings: Sequence[_progress.Finding], *, snapshot: datetime | None, snapshots: int) -> str:
    return encode(check_document(findings, snapshot=snapshot, snapshots=snapshots), 0) + "\n"

"""The cache's format: every record type round-trips exactly, and anything else is refused, never run."""

from __future__ import annotations

import dataclasses
import json
from array import array
import pickle
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advisor import codec, gitread, history, pipeline, scan
from advisor.model import CommitGraph, Numbers, Episode, EpisodeKind, History, MergeCheck, MergeMethod, NameOrigin, Release
from tests import scenarios

ZONE = timezone(timedelta(hours=5, minutes=30))


def episode(**changes: object) -> Episode:
    start = datetime(2024, 1, 1, 9, tzinfo=ZONE)
    base = Episode(
        id="x", target="main", source="topic", name_origin=NameOrigin.LIVE_REF, pr=7, host="github",
        method=MergeMethod.SQUASH, kind=EpisodeKind.FEATURE, commits=("a" * 40, "b" * 40), sync_merges=1,
        authors=("Ann", "Bo"), author="Ann", fork_point=None, forked_from="main", first_commit_at=start,
        last_commit_at=start + timedelta(hours=1), merged_at=start + timedelta(hours=2), behind=None, deleted=True,
        bot=False, clock_skew=False, exact_lifetime=True, released_at=datetime(1969, 12, 31, tzinfo=timezone.utc),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_records_round_trip_exactly_with_zones_and_microseconds() -> None:
    values = (episode(), episode(id="y", pr=None, commits=(), source=None,
                                 merged_at=datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=timezone(-timedelta(hours=8)))))
    back = codec.loads(codec.dumps(values, tuple[Episode, ...]), tuple[Episode, ...])
    assert back == values
    assert [e.merged_at.utcoffset() for e in back] == [e.merged_at.utcoffset() for e in values]
    assert back[1].merged_at.microsecond == 999_999
    with pytest.raises(dataclasses.FrozenInstanceError):
        back[0].target = "other"  # type: ignore[misc]


def test_mappings_fixed_tuples_optionals_and_empty_sequences() -> None:
    shape = tuple[dict[str, tuple[int, int]], tuple[int, ...] | None, tuple[Release, ...], bool, float]
    value = ({"a" * 40: (1, 2), "b" * 40: (0, 0)}, None, (), True, 0.5)
    assert codec.loads(codec.dumps(value, shape), shape) == value


def test_a_real_graph_round_trips_with_its_number_columns_as_arrays(tmp_path: Path) -> None:
    scenarios.gitflow(tmp_path / "repo")
    graph = gitread.load(tmp_path / "repo")
    back = codec.loads(codec.dumps(graph, CommitGraph), CommitGraph)
    assert back == graph and len(back.author_time) == len(graph) > 10
    assert [(type(c), c.typecode) for c in (back.author_time, back.commit_offset, back.author)] == [
        (array, "q"), (array, "i"), (array, "i")]


@pytest.mark.parametrize("typecode, items, why", [
    ("i", [2 ** 40], "a number out of its array's range"), ("d", [1], "not an integer array"),
    ("q", [1.5], "expected int values"), ("q", [1, 2], "expected a list of 1 values"),
])
def test_an_array_column_with_another_type_or_out_of_range_is_invalid(typecode: str, items: list[object],
                                                                       why: str) -> None:
    assert json.loads(codec.dumps(array("q", [7]), Numbers)) == {"type": ["q"], "len": [1], "items": [7]}
    with pytest.raises(codec.Invalid, match=why):
        codec.loads(json.dumps({"type": [typecode], "len": [1], "items": items}), Numbers)


def test_a_real_history_round_trips(tmp_path: Path) -> None:
    scenarios.gitflow(tmp_path / "repo")
    request = pipeline.ScanRequest(path=tmp_path / "repo", now=datetime(2024, 6, 1, tzinfo=timezone.utc),
                                   options=history.HistoryOptions())
    facts, reconstructed, _ = pipeline.load_history(request)
    shape = tuple[scan.RepoFacts, History]
    assert reconstructed.episodes and reconstructed.releases and reconstructed.long_lived
    assert codec.loads(codec.dumps((facts, reconstructed), shape), shape) == (facts, reconstructed)


def column_of(document: object, *path: object) -> object:
    for step in path:
        document = document[step]  # type: ignore[index]
    return document


@pytest.mark.parametrize("change", [
    "a string where an int is declared", "a bool where an int is declared", "an unknown enum value",
    "a renamed field", "a missing column", "a mask of the wrong length", "a zone out of range",
    "a negative tuple length", "lengths that do not add up", "an extra key", "a float where an int or null is declared",
])
def test_data_of_another_shape_is_invalid(change: str) -> None:
    document = json.loads(codec.dumps((episode(),), tuple[Episode, ...]))
    record = document["items"]
    fields = record["fields"]
    columns = record["columns"]
    if change == "a string where an int is declared":
        columns[fields.index("sync_merges")] = ["1"]
    elif change == "a bool where an int is declared":
        columns[fields.index("sync_merges")] = [True]
    elif change == "an unknown enum value":
        columns[fields.index("method")] = ["teleport"]
    elif change == "a renamed field":
        fields[0] = "ident"
    elif change == "a missing column":
        columns.pop()
    elif change == "a mask of the wrong length":
        columns[fields.index("released_at")]["set"] = "11"
    elif change == "a zone out of range":
        columns[fields.index("merged_at")]["z"] = [1440]
    elif change == "a negative tuple length":
        columns[fields.index("authors")]["len"] = [-1]
    elif change == "lengths that do not add up":
        columns[fields.index("commits")]["len"] = [3]
    elif change == "a float where an int or null is declared":
        columns[fields.index("pr")] = [7.5]
    elif change == "an extra key":
        record["__class__"] = "os.system"
    with pytest.raises(codec.Invalid):
        codec.loads(json.dumps(document), tuple[Episode, ...])


def test_pickle_truncation_and_deep_nesting_are_invalid(tmp_path: Path) -> None:
    planted = tmp_path / "ran"
    payload = pickle.dumps(eval)  # any pickle at all: it must not even be looked at as one
    data = codec.dumps((MergeCheck(branch="b", clean=True, conflicts=("f",)),), tuple[MergeCheck, ...])
    for bad in (payload, data[:-3], b"[" * 100_000 + b"]" * 100_000, b"", b"null", b"[1]"):
        with pytest.raises(codec.Invalid):
            codec.loads(bad, tuple[MergeCheck, ...])
    assert not planted.exists()


def test_a_value_of_another_type_is_not_encoded() -> None:
    with pytest.raises(codec.Invalid):
        codec.dumps(("not an episode",), tuple[Episode, ...])
    with pytest.raises(codec.Invalid):
        codec.dumps((episode(merged_at=datetime(2024, 1, 1)),), tuple[Episode, ...])  # naive


@pytest.mark.parametrize("values, key", [
    ([0, 1, -128, 127] * 10, "i1"), ([300, -300] * 20, "i2"), ([2 ** 31 - 1, -2 ** 31] * 20, "i4"),
    ([1_700_000_000_123, -1] * 20, "i8"),
])
def test_a_long_int_column_is_packed_at_its_narrowest_width_and_round_trips(values: list[int], key: str) -> None:
    data = codec.dumps(tuple(values), tuple[int, ...])
    assert set(json.loads(data)["items"]) == {key}
    assert codec.loads(data, tuple[int, ...]) == tuple(values)


def test_ints_beyond_64_bits_and_short_columns_stay_json_numbers() -> None:
    huge = tuple([2 ** 70] * 40)
    assert json.loads(codec.dumps(huge, tuple[int, ...]))["items"] == list(huge)
    assert codec.loads(codec.dumps(huge, tuple[int, ...]), tuple[int, ...]) == huge
    assert json.loads(codec.dumps((1, 2), tuple[int, ...]))["items"] == [1, 2]


def test_a_bool_in_a_long_int_column_is_not_packed_as_a_number() -> None:
    with pytest.raises(codec.Invalid):
        codec.dumps(tuple([1] * 40 + [True]), tuple[int, ...])


@pytest.mark.parametrize("items", [
    {"i4": "not base64!"}, {"i4": "AAAA"}, {"i3": "AAAAAAAA"}, {"i4": 7}, {"i4": "AAAAAA==", "i8": ""},
])
def test_packed_ints_that_are_not_base64_of_the_right_length_are_invalid(items: object) -> None:
    with pytest.raises(codec.Invalid):  # "AAAA" is 3 bytes: not two 4-byte integers
        codec.loads(json.dumps({"len": [2], "items": items}), tuple[int, ...])


def test_long_arrays_are_stored_as_their_bytes_and_round_trip_exactly() -> None:
    values = [array("q", [2 ** 62, -2 ** 62, 0] * 20), array("i", [-(2 ** 31), 2 ** 31 - 1] * 30), array("i")]
    data = codec.dumps(values, list[Numbers])
    assert "bytes" in json.loads(data)["items"]
    back = codec.loads(data, list[Numbers])
    assert back == values and [a.typecode for a in back] == ["q", "i", "i"]
    document = json.loads(data)
    document["items"]["bytes"] = document["items"]["bytes"][:-8]
    with pytest.raises(codec.Invalid, match="wrong length|base64"):
        codec.loads(json.dumps(document), list[Numbers])


def test_times_in_many_zones_and_with_microseconds_round_trip_in_a_long_column() -> None:
    zones = [timezone(timedelta(minutes=m)) for m in (-720, -330, 0, 345, 840)]
    values = tuple(datetime(2001, 1, 1, tzinfo=zones[i % 5]) + timedelta(days=i, microseconds=i % 3)
                   for i in range(100))
    back = codec.loads(codec.dumps(values, tuple[datetime, ...]), tuple[datetime, ...])
    assert back == values and [v.utcoffset() for v in back] == [v.utcoffset() for v in values]
    assert [v.microsecond for v in back] == [v.microsecond for v in values]

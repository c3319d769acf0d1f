"""Records to JSON and back, every value checked against the type the caller names: the cache's format.

Nothing read can run code. The file never names a type: the caller says what it
expects (`loads(data, tuple[RepoFacts, History])`), and decoding builds only
that, from JSON values whose every type is checked against the records'
annotations (str, int, bool, float, None, enums by value, aware datetimes,
integer arrays, tuples, lists, dicts, slotted dataclasses). Anything else raises `Invalid`.

Columnar, for speed and size: a sequence of N records is stored as one list
per field (a datetime column as lists of epoch seconds and zone minutes, a
column of tuples as their lengths and the items flattened), so a history of a
hundred thousand episodes is a few dozen JSON lists, checked and rebuilt column
by column with no per-record dictionary. A long column of integers is packed:
little-endian machine integers of the narrowest width that holds them all, in
base64 (`{"i4": "..."}`), which JSON reads and writes as one string rather than
as a million numbers.
"""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import enum
import itertools
import json
import operator
import sys
import types
import typing
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from advisor.model import aware, instant


class Invalid(ValueError):
    """The data does not have the shape of the type asked for."""


Encode = Callable[[Sequence[Any]], Any]
Decode = Callable[[Any, int], list[Any]]

_SECOND = timedelta(seconds=1)


def dumps(value: Any, shape: Any) -> bytes:
    """`value`, which must be of type `shape`, as compact JSON."""
    encode, _ = _codec(shape)
    return json.dumps(encode([value]), separators=(",", ":")).encode("ascii")


def loads(data: bytes | str, shape: Any) -> Any:
    """The value of type `shape` that `dumps` wrote; `Invalid` when `data` is anything else."""
    _, decode = _codec(shape)
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise Invalid(f"not JSON ({type(error).__name__})") from None
    try:
        return decode(document, 1)[0]
    except RecursionError:
        raise Invalid("nested too deeply") from None


def _list(data: Any, n: int) -> list[Any]:
    if type(data) is not list or len(data) != n:
        raise Invalid(f"expected a list of {n} values")
    return data


def _of_type(kind: type) -> Decode:
    """A column of plain JSON values of one type."""
    def decode(data: Any, n: int) -> list[Any]:
        column = _list(data, n)
        if n and not set(map(type, column)) <= {kind}:
            raise Invalid(f"expected {kind.__name__} values")
        return column
    return decode


def _identity(values: Sequence[Any]) -> list[Any]:
    return list(values)


_plain_ints = _of_type(int)
_PACK_FROM = 32  # values: a shorter integer column stays a readable JSON list
# Packed widths, narrowest first: key, array typecode of that size ("i" is not 4 bytes everywhere), the bound.
_WIDTHS = tuple((f"i{size}", code, 1 << (8 * size - 1)) for size in (1, 2, 4, 8)
                for code in [next(c for c in "bhilq" if array(c).itemsize == size)])
_TYPECODE_OF = {key: code for key, code, _ in _WIDTHS}
_SWAP = sys.byteorder == "big"  # packed integers are little-endian on every machine


def _encode_ints(values: Sequence[Any]) -> Any:
    """A column of ints, packed when long (see the module's docstring)."""
    if len(values) < _PACK_FROM:
        return list(values)
    if not set(map(type, values)) <= {int}:
        raise Invalid("expected int values")  # a bool would be packed as a number
    low, high = min(values), max(values)
    for key, code, bound in _WIDTHS:
        if -bound <= low and high < bound:
            packed = array(code, values)
            if _SWAP:
                packed.byteswap()
            return {key: base64.b64encode(packed.tobytes()).decode("ascii")}
    return list(values)  # beyond 64 bits: as JSON numbers


def _decode_ints(data: Any, n: int) -> list[Any]:
    if type(data) is not dict:
        return _plain_ints(data, n)
    if len(data) != 1:
        raise Invalid("expected a packed integer column")
    (key, text), = data.items()
    code = _TYPECODE_OF.get(key)
    if code is None or type(text) is not str:
        raise Invalid("expected a packed integer column")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("packed integers that are not base64") from None
    packed = array(code)
    if len(raw) != n * packed.itemsize:
        raise Invalid(f"expected {n} packed integers")
    packed.frombytes(raw)
    if _SWAP:
        packed.byteswap()
    return packed.tolist()


def _decode_float(data: Any, n: int) -> list[Any]:
    column = _list(data, n)
    if n and not set(map(type, column)) <= {float, int}:
        raise Invalid("expected numbers")
    return [float(v) for v in column]


def _decode_none(data: Any, n: int) -> list[Any]:
    if data != n or type(data) is not int:
        raise Invalid("expected a count of nulls")
    return [None] * n


def _enum_codec(kind: type[enum.Enum]) -> tuple[Encode, Decode]:
    members = {member.value: member for member in kind}
    strings = _of_type(str)

    value_of = operator.attrgetter("_value_")  # `.value` is a Python-level property

    def encode(values: Sequence[Any]) -> Any:
        if not set(map(type, values)) <= {kind}:
            raise Invalid(f"expected {kind.__name__} members")
        return list(map(value_of, values))

    def decode(data: Any, n: int) -> list[Any]:
        try:
            return list(map(members.__getitem__, strings(data, n)))
        except KeyError:
            raise Invalid(f"not a {kind.__name__}") from None
    return encode, decode


def _datetime_codec() -> tuple[Encode, Decode]:
    ints = _decode_ints
    zone_of, microsecond_of = operator.attrgetter("tzinfo"), operator.attrgetter("microsecond")

    def encode(values: Sequence[Any]) -> Any:
        if not set(map(type, values)) <= {datetime}:
            raise Invalid("expected datetimes")
        zones = list(map(zone_of, values))
        if set(map(type, zones)) <= {timezone}:  # fixed zones (every git time): one offset per zone
            for zone in set(zones).difference(zone_minutes):
                zone_minutes[zone] = whole_minutes(zone.utcoffset(None))
            # A time minus the epoch in its own zone object is plain arithmetic, with no offset looked
            # up (datetime.timestamp looks up two): half the time on a history's hundred thousand times.
            epochs = {zone: datetime.fromtimestamp(0, zone) for zone in set(zones)}
            since_epoch = map(operator.sub, values, map(epochs.__getitem__, zones))
            zones = list(map(zone_minutes.__getitem__, zones))
        else:
            zones = [whole_minutes(value.utcoffset()) for value in values]
            since_epoch = map(instant, values)
        micros = list(map(microsecond_of, values))
        seconds = list(map(operator.floordiv, since_epoch, itertools.repeat(_SECOND)))
        return {"s": _encode_ints(seconds), "z": _encode_ints(zones),
                **({"us": _encode_ints(micros)} if any(micros) else {})}

    zone_minutes: dict[timezone, int] = {}  # equal zones are equal offsets: worked out once each

    def whole_minutes(offset: timedelta | None) -> int:
        if offset is None or offset % timedelta(minutes=1):
            raise Invalid("only aware datetimes with whole-minute zones are stored")
        return offset // timedelta(minutes=1)

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or not {"s", "z"} <= data.keys() <= {"s", "z", "us"}:
            raise Invalid("expected a datetime column")
        seconds, zones = ints(data["s"], n), ints(data["z"], n)
        if zones and not (-1440 < min(zones) and max(zones) < 1440):
            raise Invalid("a zone offset out of range")
        try:
            by_minutes = {z: aware(0, z).tzinfo for z in set(zones)}
            column = list(map(datetime.fromtimestamp, seconds, map(by_minutes.__getitem__, zones)))
            if "us" in data:
                micros = ints(data["us"], n)
                if any(not 0 <= us < 1_000_000 for us in micros):
                    raise Invalid("microseconds out of range")
                column = [d.replace(microsecond=us) if us else d for d, us in zip(column, micros)]
        except (OverflowError, OSError, ValueError) as error:
            raise Invalid(f"a date out of range ({error})") from None
        return column
    return encode, decode


def _nullable(kind: type) -> tuple[Encode, Decode]:
    """A column of `kind | None` for str, int and bool: the values themselves, nulls included."""
    allowed = {kind, type(None)}

    def decode(data: Any, n: int) -> list[Any]:
        column = _list(data, n)
        if n and not set(map(type, column)) <= allowed:
            raise Invalid(f"expected {kind.__name__} values or nulls")
        return column
    return _identity, decode


def _optional_codec(inner: tuple[Encode, Decode]) -> tuple[Encode, Decode]:
    encode_inner, decode_inner = inner

    flags = {False: "0", True: "1"}.__getitem__
    nulls = itertools.repeat(None)

    def encode(values: Sequence[Any]) -> Any:
        present = list(map(operator.is_not, values, nulls))
        return {"set": "".join(map(flags, present)), "values": encode_inner(list(itertools.compress(values, present)))}

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or data.keys() != {"set", "values"}:
            raise Invalid("expected an optional column")
        mask = data["set"]
        if type(mask) is not str or len(mask) != n or not set(mask) <= {"0", "1"}:
            raise Invalid("a malformed presence mask")
        source = {"1": iter(decode_inner(data["values"], mask.count("1"))), "0": nulls}
        return list(map(next, map(source.__getitem__, mask)))  # each flag takes from its own source, in C
    return encode, decode


def _lengths(data: Any, n: int) -> list[int]:
    lengths: list[int] = _decode_ints(data, n)
    if lengths and min(lengths) < 0:
        raise Invalid("a negative length")
    return lengths


def _split(flat: list[Any], lengths: list[int]) -> list[tuple[Any, ...]]:
    # Every slice is taken off one iterator in turn, in C: no Python step per tuple.
    return list(map(tuple, map(itertools.islice, itertools.repeat(iter(flat)), lengths)))


def _sequence_codec(inner: tuple[Encode, Decode], as_list: bool = False) -> tuple[Encode, Decode]:
    encode_inner, decode_inner = inner

    def encode(values: Sequence[Any]) -> Any:
        return {"len": _encode_ints(list(map(len, values))),
                "items": encode_inner(list(itertools.chain.from_iterable(values)))}

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or data.keys() != {"len", "items"}:
            raise Invalid("expected a tuple column")
        lengths = _lengths(data["len"], n)
        items = decode_inner(data["items"], sum(lengths))
        if as_list and n == 1:
            return [items]  # one long list (a graph's column): no copy
        return [list(part) for part in _split(items, lengths)] if as_list else _split(items, lengths)
    return encode, decode


# The machine integers of `model.Numbers`, and their sizes in a file (a machine where they differ reads none).
_TYPECODES = {code: size for code, size in (("q", 8), ("i", 4)) if array(code).itemsize == size}


def _numbers_codec() -> tuple[Encode, Decode]:
    """A column of integer arrays: their typecodes, lengths and the numbers. Few numbers are a JSON
    list, and one the array's type cannot hold is `Invalid`; more are each array's own machine
    integers, little-endian, in base64 (`"bytes"`), which need no conversion either way."""
    strings = _of_type(str)

    def encode(values: Sequence[Any]) -> Any:
        if any(type(v) is not array or v.typecode not in _TYPECODES for v in values):
            raise Invalid("expected integer arrays")
        head = {"type": [v.typecode for v in values], "len": _encode_ints(list(map(len, values)))}
        if sum(map(len, values)) < _PACK_FROM:
            return {**head, "items": list(itertools.chain.from_iterable(map(array.tolist, values)))}
        raw = b"".join(map(_little_endian, values))
        return {**head, "bytes": base64.b64encode(raw).decode("ascii")}

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or data.keys() not in ({"type", "len", "items"}, {"type", "len", "bytes"}):
            raise Invalid("expected an array column")
        typecodes, lengths = strings(data["type"], n), _lengths(data["len"], n)
        if not set(typecodes) <= _TYPECODES.keys():
            raise Invalid("not an integer array")
        if "bytes" in data:
            return _arrays_of_bytes(data["bytes"], typecodes, lengths)
        items = _plain_ints(data["items"], sum(lengths))
        out, at = [], 0
        try:
            for typecode, length in zip(typecodes, lengths):
                out.append(array(typecode, items[at:at + length]))
                at += length
        except OverflowError:
            raise Invalid("a number out of its array's range") from None
        return out
    return encode, decode


def _little_endian(numbers: array[int]) -> bytes:
    if _SWAP:
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _arrays_of_bytes(text: Any, typecodes: list[str], lengths: list[int]) -> list[Any]:
    if type(text) is not str:
        raise Invalid("expected base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("packed integers that are not base64") from None
    sizes = [_TYPECODES[code] * length for code, length in zip(typecodes, lengths)]
    if len(raw) != sum(sizes):
        raise Invalid("packed integers of the wrong length")
    out, at = [], 0
    for typecode, size in zip(typecodes, sizes):
        numbers = array(typecode)
        numbers.frombytes(raw[at:at + size])
        if _SWAP:
            numbers.byteswap()
        out.append(numbers)
        at += size
    return out


def _fixed_tuple_codec(parts: tuple[tuple[Encode, Decode], ...]) -> tuple[Encode, Decode]:
    def encode(values: Sequence[Any]) -> Any:
        if any(len(v) != len(parts) for v in values):
            raise Invalid("a tuple of the wrong length")
        return [enc([v[i] for v in values]) for i, (enc, _) in enumerate(parts)]

    def decode(data: Any, n: int) -> list[Any]:
        columns = [dec(column, n) for column, (_, dec) in zip(_list(data, len(parts)), parts)]
        return list(zip(*columns)) if columns else [()] * n
    return encode, decode


def _dict_codec(key: tuple[Encode, Decode], value: tuple[Encode, Decode]) -> tuple[Encode, Decode]:
    def encode(values: Sequence[Any]) -> Any:
        return {"len": _encode_ints(list(map(len, values))), "keys": key[0](list(itertools.chain.from_iterable(values))),
                "values": value[0]([x for v in values for x in v.values()])}

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or data.keys() != {"len", "keys", "values"}:
            raise Invalid("expected a mapping column")
        lengths = _lengths(data["len"], n)
        total = sum(lengths)
        keys, items = key[1](data["keys"], total), value[1](data["values"], total)
        out, at = [], 0
        for length in lengths:
            out.append(dict(zip(keys[at:at + length], items[at:at + length])))
            at += length
        return out
    return encode, decode


def _dataclass_codec(kind: type) -> tuple[Encode, Decode]:
    hints = typing.get_type_hints(kind)
    fields = [f.name for f in dataclasses.fields(kind)]
    codecs = [_codec(hints[name]) for name in fields]
    # Frozen slotted records are filled through their slot descriptors: every value has been
    # checked against its field's type, so there is nothing left for __init__ to do.
    setters = [vars(kind)[name].__set__ for name in fields]
    getters = [operator.attrgetter(name) for name in fields]
    new = object.__new__

    def encode(values: Sequence[Any]) -> Any:
        if any(type(v) is not kind for v in values):
            raise Invalid(f"expected {kind.__name__} records")
        return {"fields": fields, "columns": [enc(list(map(get, values))) for get, (enc, _) in zip(getters, codecs)]}

    def decode(data: Any, n: int) -> list[Any]:
        if type(data) is not dict or data.keys() != {"fields", "columns"} or data["fields"] != fields:
            raise Invalid(f"not the fields of {kind.__name__}")
        columns = [dec(column, n) for column, (_, dec) in zip(_list(data["columns"], len(fields)), codecs)]
        records: list[Any] = [new(kind) for _ in range(n)]
        for set_slot, column in zip(setters, columns):
            collections.deque(map(set_slot, records, column), maxlen=0)  # the loop runs in C
        return records
    return encode, decode


@lru_cache(maxsize=None)
def _codec(shape: Any) -> tuple[Encode, Decode]:
    if shape is int:
        return _encode_ints, _decode_ints
    if shape in (str, bool):
        return _identity, _of_type(shape)
    if shape is float:
        return _identity, _decode_float
    if shape is type(None):
        return len, _decode_none
    if shape is datetime:
        return _datetime_codec()
    if shape is array:
        return _numbers_codec()
    if isinstance(shape, type) and issubclass(shape, enum.Enum):
        return _enum_codec(shape)
    if isinstance(shape, type) and dataclasses.is_dataclass(shape):
        if "__slots__" not in vars(shape):
            raise TypeError(f"{shape.__name__} is not a slotted dataclass")
        return _dataclass_codec(shape)
    origin, arguments = typing.get_origin(shape), typing.get_args(shape)
    if origin in (types.UnionType, typing.Union):
        others = [a for a in arguments if a is not type(None)]
        if len(others) != 1 or len(arguments) != 2:
            raise TypeError(f"only X | None unions are stored, not {shape}")
        if others[0] in (str, int, bool):
            return _nullable(others[0])
        return _optional_codec(_codec(others[0]))
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return _sequence_codec(_codec(arguments[0]))
        return _fixed_tuple_codec(tuple(_codec(a) for a in arguments))
    if origin is list:
        return _sequence_codec(_codec(arguments[0]), as_list=True)
    if origin is dict:
        return _dict_codec(_codec(arguments[0]), _codec(arguments[1]))
    raise TypeError(f"no codec for {shape!r}")

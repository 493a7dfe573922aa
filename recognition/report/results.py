"""Typed step results: each step's results are a dataclass, written to JSON and read back through it.

A field that a section reads but the results lack (renamed, missing, of another type) is an error
naming the file and the field, never a silent gap in the report; `example(cls)` builds a filled-in
instance of any results type, so the quick tests render every section without running its step.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from recognition import cli
from recognition.io import write_json

T = TypeVar("T")


@dataclasses.dataclass(kw_only=True)
class StepResults:
    """What every step records besides its own numbers: how long it took and where it ran."""

    seconds: float = 0.0
    device: str = "cpu"


class ResultsError(cli.UserError):
    pass


def to_json(value: Any) -> Any:
    """Dataclasses, lists, tuples, dicts, paths and plain values as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(kind: Any, data: Any, where: str = "results") -> Any:
    """`data` read as type `kind`; a mismatch is a ValueError naming where it is."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return data
    if origin is typing.Literal:
        if data not in args:
            raise ValueError(f"{where}: expected one of {args}, got {data!r:.60}")
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return from_json(option, data, where)
            except ValueError as err:
                errors.append(str(err))
        raise ValueError(errors[0] if len(errors) == 1 else f"{where}: none of {kind} fits {data!r:.60}")
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object for {kind.__name__}, got {type(data).__name__}")
        hints, names = _hints(kind), {f.name for f in dataclasses.fields(kind) if f.init}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)} for {kind.__name__}")
        required = {
            f.name
            for f in dataclasses.fields(kind)
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        missing = sorted(required - set(data))
        if missing:
            raise ValueError(f"{where}: missing field(s) {', '.join(missing)} of {kind.__name__}")
        return kind(**{k: from_json(hints[k], v, f"{where}.{k}") for k, v in data.items()})
    if origin in (list, tuple) or kind in (list, tuple):
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list, got {type(data).__name__}")
        if kind in (list, tuple) or not args:
            return data if origin is not tuple else tuple(data)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(data):
                raise ValueError(f"{where}: expected {len(args)} items, got {len(data)}")
            return tuple(from_json(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data)))
        items = [from_json(args[0], v, f"{where}[{i}]") for i, v in enumerate(data)]
        return tuple(items) if origin is tuple else items
    if origin is dict or kind is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        if not args:
            return data
        return {k: from_json(args[1], v, f"{where}[{k!r}]") for k, v in data.items()}
    if kind is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if kind is Path and isinstance(data, str):
        return Path(data)
    if isinstance(kind, type) and isinstance(data, kind) and not (kind is int and isinstance(data, bool)):
        return data
    raise ValueError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {data!r:.60}")


def save_results(path: str | Path, results: Any) -> Path:
    """Write a results dataclass as JSON, atomically."""
    return write_json(path, to_json(results))


def load_results(kind: type[T], path: str | Path) -> T | None:
    """The results at `path` as `kind`; None when the file is missing; a ResultsError when it does not fit."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return from_json(kind, json.loads(path.read_text(encoding="utf-8")), path.name)
    except (ValueError, TypeError) as err:
        raise ResultsError(f"{path} does not hold {kind.__name__} as this version writes it ({err})") from err


def example(kind: Any) -> Any:
    """A filled-in value of type `kind` (one item per list, one key per dict), for rendering tests."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)))
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{f.name: example(hints[f.name]) for f in dataclasses.fields(kind) if f.init})
    if origin is list or kind is list:
        return [example(args[0]) if args else 1]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (example(args[0]),)
        return tuple(example(a) for a in args)
    if origin is dict or kind is dict:
        return {"x": example(args[1])} if args else {}
    values = {int: 1, float: 0.5, str: "x", bool: True, Path: Path("x.png"), type(None): None}
    if kind is Any:
        return 1
    if kind in values:
        return values[kind]
    raise TypeError(f"no example for {kind!r}")

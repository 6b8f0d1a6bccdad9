"""Typed, frozen configuration objects built from plain mappings.

A config is a frozen :func:`dataclasses.dataclass` whose fields are ``int``,
``float``, ``bool``, ``str``, tuples of those, or nested config dataclasses.
:func:`build` turns a mapping (from a TOML/JSON file plus ``--set`` overrides)
into such an object and reports *every* unknown key and bad value in one
:class:`~cyclesem.errors.CyclesemError`. :func:`to_dict` goes back, for saving
the resolved config in a run folder.

The CLI is the only place that reads config files (:func:`load_mapping`); the
library receives built objects.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Optim:
...     learning_rate: float = 2e-4
...     beta_1: float = 0.5
>>> build(Optim, {"learning_rate": 1e-3})
Optim(learning_rate=0.001, beta_1=0.5)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
import typing
from typing import Any, Mapping

from cyclesem.errors import CyclesemError

__all__ = ["build", "resolve", "to_dict", "load_mapping", "apply_overrides", "parse_override", "merge"]


def build(cls: type, data: Mapping[str, Any] | None = None, *, source: str | None = None):
    """Build the config dataclass ``cls`` from ``data``, rejecting unknown keys.

    Parameters
    ----------
    cls : type
        A frozen dataclass type; nested dataclass fields take nested mappings.
    data : mapping, optional
        Values that override the dataclass defaults.
    source : str, optional
        Where ``data`` came from (a file name), used in the error message.

    Returns
    -------
    object
        An instance of ``cls``.

    Raises
    ------
    CyclesemError
        Listing all unknown keys and invalid values at once.
    """
    problems: list[str] = []
    obj = _build(cls, dict(data or {}), "", problems)
    if problems:
        raise CyclesemError("invalid config: " + "; ".join(problems), source)
    return obj


def _build(cls: type, data: dict, prefix: str, problems: list[str]):
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in sorted(set(data) - set(fields)):
        problems.append(f"unknown key '{prefix}{key}' (known: {', '.join(fields)})")
    kwargs = {}
    for name, field in fields.items():
        if name not in data:
            continue
        hint, value, key = hints[name], data[name], prefix + name
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                problems.append(f"'{key}' must be a table of settings, got {value!r}")
                continue
            kwargs[name] = _build(hint, dict(value), key + ".", problems)
        else:
            ok, converted = _convert(hint, value)
            if ok:
                kwargs[name] = converted
            else:
                problems.append(f"'{key}' must be {_describe(hint)}, got {value!r}")
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        problems.append(f"{prefix or 'config'}: {exc}")
        return None
    _run_check(obj, prefix, problems)
    return obj


def _run_check(obj, prefix: str, problems: list[str]) -> None:
    """Call ``obj.check()`` (returns a list of problems) if the class has one."""
    check = getattr(obj, "check", None)
    if callable(check):
        problems.extend(f"{prefix}{p}" for p in check())


def _convert(hint, value) -> tuple[bool, Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        for arg in typing.get_args(hint):
            if arg is type(None) and value is None:
                return True, None
            ok, converted = _convert(arg, value)
            if ok and arg is not type(None):
                return True, converted
        if type(None) in typing.get_args(hint) and isinstance(value, str) and value.lower() == "none":
            return True, None  # TOML has no null: ``--set key=none`` unsets a setting that takes no string
        return False, None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False, None
        args = typing.get_args(hint)
        item_hints = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(item_hints) != len(value):
            return False, None
        out = [_convert(h, v) for h, v in zip(item_hints, value)]
        return all(ok for ok, _ in out), tuple(v for _, v in out)
    if origin is typing.Literal:
        return (value in typing.get_args(hint)), value
    return _convert_scalar(hint, value)


def _convert_scalar(hint, value) -> tuple[bool, Any]:
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:  # a 64-bit integer: TensorFlow and numpy take no larger
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return ok, value
    if hint is float:  # finite: nan and inf train to black images in silence
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**1023
        ok = ok and math.isfinite(value)
        return ok, float(value) if ok else None
    if hint is str:
        return isinstance(value, str), value
    if hint is Any:
        return True, value
    return False, None


def _describe(hint) -> str:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin is tuple:
        return "a list"
    if hint in (int, float):
        return {int: "an integer below 2**63", float: "a finite number"}[hint]
    return getattr(hint, "__name__", str(hint))


def to_dict(config) -> dict:
    """Return ``config`` as plain nested dicts and lists (JSON-ready)."""
    out = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


def load_mapping(path: str | os.PathLike) -> dict:
    """Read a TOML or JSON config file into a dict (CLI use only).

    Raises
    ------
    CyclesemError
        If the file is missing or does not parse.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CyclesemError(f"cannot read config file ({exc.strerror or exc})", path) from None
    try:
        mapping = json.loads(raw.decode("utf-8")) if path.endswith(".json") else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CyclesemError(f"not a valid config file: {' '.join(str(exc).split())}", path) from None
    if not isinstance(mapping, dict):
        raise CyclesemError(f"not a valid config file: the top level must be a table of settings, "
                            f"not a {type(mapping).__name__}", path)
    return mapping


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``a.b.c=value`` into (``["a", "b", "c"]``, value).

    The value is read as TOML (``3``, ``1e-3``, ``true``, ``"x"``, ``[1, 2]``);
    anything that is not valid TOML is taken as a plain string. ``none``
    unsets a setting that may be None and takes no string.
    """
    if "=" not in text:
        raise CyclesemError(f"--set expects key=value, got '{text}'")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return [k for k in key.strip().split(".") if k], value


def apply_overrides(data: Mapping[str, Any], overrides: list[str]) -> dict:
    """Return a copy of ``data`` with each ``key.path=value`` override set."""
    out = merge({}, data)
    for text in overrides:
        keys, value = parse_override(text)
        if not keys:
            raise CyclesemError(f"--set has an empty key: '{text}'")
        node = out
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise CyclesemError(f"--set {text}: '{key}' is not a table of settings")
        node[keys[-1]] = value
    return out


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict:
    """Deep-merge ``update`` into a copy of ``base``."""
    out = {k: (merge({}, v) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = merge({}, value)
        else:
            out[key] = value
    return out


def resolve(cls: type, base: Mapping[str, Any], file_mapping: Mapping[str, Any] | None = None,
            overrides: list[str] | tuple[str, ...] = (), options: Mapping[str, Any] | None = None,
            *, source: str | None = None):
    """Build ``cls`` from layers: ``base`` (a preset), a file, ``--set`` texts, CLI options.

    Parameters
    ----------
    cls : type
        The config dataclass.
    base : mapping
        The first layer (a preset's overrides of the defaults).
    file_mapping : mapping, optional
        The contents of a ``--config`` file.
    overrides : list of str
        ``key.path=value`` texts from ``--set``.
    options : mapping, optional
        Nested values from command-line options; ``None`` values are ignored.
    source : str, optional
        Named in error messages (the config file).

    Returns
    -------
    object
        An instance of ``cls``.
    """
    data = merge(base, file_mapping or {})
    data = apply_overrides(data, list(overrides))
    data = merge(data, _drop_none(options or {}))
    return build(cls, data, source=source)


def _drop_none(mapping: Mapping[str, Any]) -> dict:
    """``mapping`` without ``None`` values (and without tables left empty)."""
    out = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            value = _drop_none(value)
            if value:
                out[key] = value
        elif value is not None:
            out[key] = value
    return out

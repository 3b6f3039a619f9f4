"""Plain conversion of command-line values, so that parsing a command line does not import pydantic.

Typer (0.2x) converts every parameter's value with a pydantic TypeAdapter built on first use: importing pydantic
costs 60-140 ms, more than the whole of `xl-perf check --help` otherwise. xl-perf's parameters are plain: text,
whole numbers, paths, and lists or optional values of those. For exactly these, `install` gives each parameter of
the command tree a converter that does what the adapter does (str, int, float, Path), raising the same usage error
(click's BadParameter, whose cause carries the value the user typed for `chinese.explain`). Anything else (choices,
ranges, path checks, a custom parser, a typer without this mechanism) keeps typer's own conversion.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from typer import _click
from typer.core import TyperGroup

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _flag(value: object) -> bool:
    """A flag's value: click gives a bool; a text (from an environment variable) as click's BOOL reads it."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(value)


_PLAIN: dict[Any, Callable[[Any], Any]] = {str: str, int: int, float: float, Path: Path, bool: _flag}
_TYPE_ERRORS = (ValueError, TypeError, OverflowError)


class UnusableValue(ValueError):
    """The cause of a BadParameter raised here: like pydantic's ValidationError, `errors()` names the input."""

    def __init__(self, value: object) -> None:
        super().__init__(f"unusable value {value!r}")
        self.value = value

    def errors(self) -> list[dict[str, object]]:
        return [{"input": self.value}]


@dataclass(frozen=True)
class PlainRuntimeParam:
    """What typer's RuntimeParam does (None -> () or None; a lone text for a list refused), with a plain converter."""

    convert: Callable[[Any], Any]
    many: bool

    def coerce(self, value: Any, param: Any, ctx: _click.Context) -> Any:  # param: typer's _TyperParameter
        is_multi_value = param.multiple or param.nargs == -1
        if value is None:
            return () if is_multi_value else None
        if is_multi_value and isinstance(value, str):
            raise _click.exceptions.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        if self.many:
            items = value if isinstance(value, list | tuple) else [value]
            return [self._one(item, param, ctx) for item in items]
        return self._one(value, param, ctx)

    def _one(self, value: Any, param: Any, ctx: _click.Context) -> Any:
        if isinstance(value, bool) and self.convert in (int, float):  # pydantic refuses True as a number
            raise _click.exceptions.BadParameter(f"{value!r}", ctx=ctx, param=param) from UnusableValue(value)
        try:
            numeric = self.convert in (int, float) and isinstance(value, str)
            return self.convert(value.strip() if numeric else value)
        except _TYPE_ERRORS:
            raise _click.exceptions.BadParameter(f"{value!r}", ctx=ctx, param=param) from UnusableValue(value)


def _leaf(annotation: Any) -> Any:
    """`X | None` -> X; anything else as it is."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return annotation


def plain_param(param: _click.Parameter) -> PlainRuntimeParam | None:
    """The plain converter for `param`, or None when typer's own conversion is needed."""
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    if descriptor is None or info is None or getattr(info, "parser", None) is not None:
        return None
    if getattr(info, "min", None) is not None or getattr(info, "max", None) is not None:
        return None
    checks = ("exists", "resolve_path", "allow_dash", "writable", "path_type")
    if any(getattr(info, name, None) for name in checks):  # path checks typer makes: keep its own conversion
        return None
    if not (getattr(info, "file_okay", True) and getattr(info, "dir_okay", True)):
        return None
    annotation = _leaf(descriptor.annotation)
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation) or (None,)
    convert = _PLAIN.get(annotation)
    return None if convert is None else PlainRuntimeParam(convert, many)


def _make_plain(param: _click.Parameter) -> None:
    if not hasattr(param, "_runtime_param"):  # an older typer: no pydantic to avoid
        return
    runtime = plain_param(param)
    if runtime is not None:
        param._runtime_param = runtime


def install(command: _click.Command) -> None:
    """Give every parameter of `command` (and of its subcommands) a plain converter where one does the job."""
    for param in command.params:
        _make_plain(param)
    # click makes the help option on first use (it depends on the context), outside `params`
    make_help_option = command.get_help_option

    def get_help_option(ctx: _click.Context) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            _make_plain(option)
        return option

    command.get_help_option = get_help_option  # type: ignore[method-assign]
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            install(sub)

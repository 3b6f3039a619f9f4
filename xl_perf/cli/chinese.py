"""Chinese for everything typer and click print by themselves: usage lines, help boxes, metavars, usage errors.

Typer (with its vendored click) writes these strings in English and without gettext, so the words are replaced
where they are made: the command classes below give every parameter a Chinese metavar, write the usage line and the
help option in Chinese and name a mistyped command; `explain` turns a usage error into a Chinese message from the
error's own facts (which option, which value, what was expected), so no English text reaches the user.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

HELP_OPTION_TEXT = "显示本帮助并退出。"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]…"

# What a value of each annotation is called, in the help table and in messages ("应为整数").
TYPE_WORDS: dict[type, str] = {int: "整数", float: "数字", str: "文字", Path: "路径", bool: ""}

# The panel titles and fixed strings of typer's rich help, in Chinese.
RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "DEPRECATED_STRING": "（已停用）",
    "ABORTED_TEXT": "已中断。",
    "RICH_HELP": "输入 {command_path} {help_option} 查看说明。",
}


def _localize_rich_help() -> None:
    from typer import rich_utils

    for name, text in RICH_TEXTS.items():
        setattr(rich_utils, name, text)


def type_word(param: _click.Parameter) -> str:
    """What the value of `param` is, in Chinese: 整数, 路径, 文字…; '' for a flag."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    many = get_origin(annotation) in (list, tuple)
    if many:
        annotation = (get_args(annotation) or (str,))[0]
    if get_origin(annotation) is not None:  # Optional[...] and friends: the first real type
        annotation = next((a for a in get_args(annotation) if a is not type(None)), str)
    word = TYPE_WORDS.get(annotation, "文字") if isinstance(annotation, type) else "文字"
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    return f"{word}（可多次给出）" if many and word and isinstance(param, TyperOption) else word


def _give_chinese_metavars(params: Sequence[_click.Parameter]) -> None:
    for param in params:
        if param.metavar is None:
            param.metavar = type_word(param)
        if isinstance(param, TyperArgument):
            # typer shows an argument's Python type (<list[Path]>) beside its name; show the Chinese word instead.
            param.display_type_rich = _shown_as(type_word(param))  # type: ignore[method-assign,assignment]


def _shown_as(word: str) -> Callable[[_click.Context], str]:
    """A replacement for an argument's `display_type_rich`: always `word` (typer calls it with ctx=...)."""

    def display_type_rich(ctx: _click.Context) -> str:
        return word

    return display_type_rich


def _chinese_help_option(option: Any) -> Any:
    if option is not None:
        option.help = HELP_OPTION_TEXT
        option.metavar = ""
    return option


def _with_context(parse: Callable[[], list[str]], ctx: _click.Context) -> list[str]:
    """Run click's parsing; a usage error it raises without its context gets it (for the usage line and hint)."""
    try:
        return parse()
    except _click.exceptions.UsageError as exc:
        if exc.ctx is None:
            exc.ctx, exc.cmd = ctx, ctx.command
        raise


class _ChineseHelp:
    """What a Chinese command and a Chinese group share: help option, parse errors, usage line, help panels."""

    def get_help_option(self, ctx: _click.Context) -> Any:
        return _chinese_help_option(super().get_help_option(ctx))  # type: ignore[misc]

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        parse = super().parse_args  # type: ignore[misc]
        return _with_context(lambda: parse(ctx, args), ctx)

    def get_usage(self, ctx: _click.Context) -> str:
        return usage_line(self, ctx)  # type: ignore[arg-type]

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _localize_rich_help()
        super().format_help(ctx, formatter)  # type: ignore[misc]


class ChineseCommand(_ChineseHelp, TyperCommand):
    """A typer command whose help and usage line are Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["options_metavar"] = OPTIONS_METAVAR
        super().__init__(*args, **kwargs)
        _give_chinese_metavars(self.params)


class ChineseGroup(_ChineseHelp, TyperGroup):
    """A typer group whose help, usage line and unknown-command message are Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["options_metavar"] = OPTIONS_METAVAR
        kwargs["subcommand_metavar"] = SUBCOMMAND_METAVAR
        super().__init__(*args, **kwargs)
        _give_chinese_metavars(self.params)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name = args[0]
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            names = [n for n, c in self.commands.items() if not c.hidden]
            close = get_close_matches(name, names)
            message = f"没有名为“{name}”的命令。"
            if close:
                message += "您是不是要输入：" + "、".join(f"{ctx.command_path} {c}" for c in close) + "？"
            else:
                message += "可用的命令：" + "、".join(names) + "。"
            raise _click.exceptions.UsageError(message, ctx)
        return super().resolve_command(ctx, args)


def usage_line(command: _click.Command, ctx: _click.Context) -> str:
    """用法：xl-perf check [选项] 文件…"""
    pieces = [OPTIONS_METAVAR] if any(isinstance(p, TyperOption) for p in command.get_params(ctx)) else []
    for param in command.params:
        if isinstance(param, TyperArgument):
            name = param.metavar or type_word(param)
            name += "…" if param.nargs != 1 else ""
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append(SUBCOMMAND_METAVAR)
    return f"用法：{ctx.command_path} {' '.join(pieces)}".rstrip()


Function = TypeVar("Function", bound=Callable[..., Any])


class ChineseTyper(typer.Typer):
    """typer.Typer whose groups and commands are the Chinese classes above unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ChineseGroup)
        kwargs.setdefault("context_settings", {"help_option_names": ["--help", "-h"]})  # -h is what many type
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Function], Function]:
        kwargs.setdefault("cls", ChineseCommand)
        return super().command(*args, **kwargs)


def _option_names(param: _click.Parameter) -> str:
    return " / ".join(param.opts) if isinstance(param, TyperOption) else (param.metavar or param.name or "")


def _help_of(param: _click.Parameter | None) -> str:
    text = (getattr(param, "help", None) or "").strip().rstrip("。")
    return f"：{text}" if text else ""


def _example(param: _click.Parameter) -> str:
    """A value to show in "请加上 --year 2025": a year for --year, else the kind of value (文件夹, 文字…)."""
    if "--year" in param.opts:
        from datetime import date

        return str(date.today().year - 1)  # the year evaluated is usually the one just closed
    help_text = getattr(param, "help", None) or ""
    if type_word(param) == "路径" and "文件夹" in help_text:
        return "文件夹"
    return param.metavar or type_word(param) or ""


def _given_value(exc: BaseException) -> object | None:
    """The value the user typed, from the pydantic error typer raised the usage error from."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # an error we cannot read back: say what was expected without the value
            return None
        if found and "input" in found[0]:
            return found[0]["input"]
    return None


# The few messages click forms from its own words, recognised here and said in Chinese.
_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<args>.*)\)", re.S)
_REQUIRES_VALUE = re.compile(r"requires (an argument|\d+ arguments)")
_TAKES_NO_VALUE = re.compile(r"does not take a value")


def explain(exc: _click.exceptions.ClickException) -> str:
    """The Chinese message for a usage error: what is wrong and what to type instead."""
    exceptions = _click.exceptions
    ctx: _click.Context | None = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "xl-perf"
    if isinstance(exc, exceptions.MissingParameter) and exc.param is not None:
        param = exc.param
        if isinstance(param, TyperOption):
            example = _example(param)
            return f"缺少选项 {_option_names(param)}{_help_of(param)}。请加上“{param.opts[0]} {example}”再运行。"
        name = param.metavar or type_word(param)
        what = f"{name}的路径" if type_word(param) == "路径" and name != "路径" else name
        return f"缺少{name}{_help_of(param)}。请在 {path} 后面写上{what}。"
    if isinstance(exc, exceptions.BadParameter) and exc.param is not None:
        param = exc.param
        expected = type_word(param)
        given = _given_value(exc)
        shown = "" if given is None else f"“{given}”"
        what = f"选项 {_option_names(param)}" if isinstance(param, TyperOption) else (param.metavar or "参数")
        return f"{what} 的值{shown}无效" + (f"：应为{expected}。" if expected else "。")
    if isinstance(exc, exceptions.NoSuchOption):
        message = f"没有选项 {exc.option_name}。"
        if exc.possibilities:
            message += "您是不是要输入：" + "、".join(sorted(exc.possibilities)) + "？"
        return message
    if isinstance(exc, exceptions.BadOptionUsage):
        if _TAKES_NO_VALUE.search(exc.message):
            return f"选项 {exc.option_name} 不带值，请去掉它后面的“=…”。"
        if _REQUIRES_VALUE.search(exc.message):
            return f"选项 {exc.option_name} 后面应写上一个值。"
        return f"选项 {exc.option_name} 的用法有误。"
    extra = _EXTRA_ARGUMENTS.fullmatch(exc.message.strip())
    if extra:
        return f"多余的参数：{extra['args']}。文件名含空格时请用引号括起来。"
    if exc.message.strip() == "Missing command.":
        return "缺少命令。"
    if re.search(r"[\u4e00-\u9fff]", exc.message):  # our own words (resolve_command above)
        return exc.message
    return f"命令行有误：{exc.message}"


def show_usage_error(exc: _click.exceptions.ClickException) -> int:
    """Print a usage error in Chinese on stderr (usage line, message, where to read more); return the exit code."""
    ctx: _click.Context | None = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help was printed already: nothing is wrong to explain
        return exc.exit_code
    lines = []
    if ctx is not None:
        lines.append(ctx.command.get_usage(ctx))
    lines.append(f"错误：{explain(exc)}")
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        lines.append(f"输入 {ctx.command_path} {ctx.help_option_names[0]} 查看全部选项和说明。")
    sys.stderr.write("\n".join(lines) + "\n")
    return exc.exit_code

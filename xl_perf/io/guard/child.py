"""The sandboxed child: a reader runs in a separate process with an address-space cap, no core dumps, its output
sent nowhere and a timeout, so a reader that aborts (python-calamine does on some inputs) cannot take the caller
down; whatever it raises or however it dies reaches the caller as an exception."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xl_perf.errors import BadInputError, Location, XlPerfError
from xl_perf.io.guard.base import DEFAULT_LIMITS, MSG_CHILD_CRASH, MSG_TIMEOUT, Limits
from xl_perf.io.guard.package import inspect

T = TypeVar("T")


class _RemoteTraceback(Exception):
    """Carries the child's traceback text as the cause of an exception re-raised in the parent."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def read_in_child(path: Path, fn: Callable[[Path], T], limits: Limits = DEFAULT_LIMITS) -> T:
    """`inspect(path)`, then `fn(path)` in a memory-capped child process with a timeout; returns its result.

    `fn` must be a module-level function (importable by the child) and its result picklable. An `XlPerfError`
    (such as `BadInputError`) raised by `fn` is re-raised here with the same type, message and location; a child
    that dies (signal, abort, out of memory) or overruns `limits.timeout_s` becomes a `BadInputError`. Any other
    exception of `fn` is re-raised as is (it is a defect of `fn`), with the child's traceback as its cause.
    """
    path = Path(path)
    inspect(path, limits)
    return run_in_child(path, fn, limits)


def _context() -> Any:
    import multiprocessing

    # Linux: fork, which starts in milliseconds and does not re-import the caller's main module (an interactive
    # session or `python -c` has none to re-import); xl-perf starts no threads before reading. Elsewhere fork is
    # unsafe (macOS frameworks) or missing (Windows): forkserver or spawn.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_in_child(path: Path, fn: Callable[[Path], T], limits: Limits = DEFAULT_LIMITS) -> T:
    """`fn(path)` in a child process, without `inspect` (the caller has done it, or deliberately not)."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_main, args=(sender, path, fn, limits.memory_bytes), daemon=True)
    try:
        process.start()  # pickles fn: a lambda or nested function fails here, in the caller
    except BaseException:
        receiver.close()
        raise
    finally:
        sender.close()
    location = Location(file=str(path))
    deadline = time.monotonic() + limits.timeout_s
    try:
        message = _receive(receiver, process, deadline, limits, location)
        if message == ("started",):
            message = _receive(receiver, process, deadline, limits, location)
        elif message is None:
            process.join(5)
            raise RuntimeError(
                f"读取子进程未能启动（退出码 {process.exitcode}），请检查运行环境（主程序须可被子进程重新导入）"
            )
        if message is None:
            raise BadInputError(MSG_CHILD_CRASH, location)
    finally:
        if process.is_alive():
            process.kill()
        process.join(10)
        receiver.close()
    return _outcome(message, location)


def _outcome(message: tuple[Any, ...], location: Location) -> Any:
    """The child's result, or what it raised, raised again here."""
    status = message[0]
    if status == "ok":
        return message[1]
    if status == "xlperf":
        _, cls, text, where = message
        raise cls(text, where)
    if status == "error":
        _, exc, remote = message
        raise exc from _RemoteTraceback(remote)
    raise BadInputError(MSG_CHILD_CRASH, location)


def _receive(
    receiver: Any, process: Any, deadline: float, limits: Limits, location: Location
) -> tuple[Any, ...] | None:
    """The next message from the child, None if it died first; a BadInputError once the deadline has passed."""
    from multiprocessing.connection import wait

    timeout = max(0.0, deadline - time.monotonic())
    if not wait([receiver, process.sentinel], timeout=timeout) and not receiver.poll():
        raise BadInputError(MSG_TIMEOUT.format(seconds=limits.timeout_s), location)
    if not receiver.poll():
        return None
    try:
        return receiver.recv()
    except (EOFError, OSError):  # the child died while sending
        return None
    except Exception as exc:  # sent, but does not unpickle here
        raise RuntimeError(f"子进程的结果无法在主进程中还原：{type(exc).__name__}: {exc}") from exc


def apply_child_limits(memory_bytes: int) -> None:
    """Cap this process's address space (and disable core dumps); used by readers' child and worker processes."""
    if not os.environ.get("XL_PERF_DEBUG"):
        # Nor a Python stack dump when a reader aborts the child (faulthandler, if enabled, writes it to a copy of
        # the terminal's stderr taken before any redirection): the parent reports the failure in Chinese.
        import faulthandler

        faulthandler.disable()
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still applies
        return
    for name, value in (("RLIMIT_CORE", 0), ("RLIMIT_AS", memory_bytes)):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _, hard = resource.getrlimit(which)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


def quiet_child_output() -> None:
    """Send this (child) process's stdout and stderr to nowhere: a reader that aborts prints its Rust panic or a
    Python fatal-error dump there, which must never reach the user's terminal (the parent reports the failure in
    Chinese). With XL_PERF_DEBUG set the output is kept, for developers."""
    if os.environ.get("XL_PERF_DEBUG"):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)


def _child_main(sender: Any, path: Path, fn: Callable[[Path], Any], memory_bytes: int) -> None:
    sender.send(("started",))  # tells a crash while reading from a child that could not even start
    quiet_child_output()
    apply_child_limits(memory_bytes)
    message: tuple[Any, ...]
    try:
        message = ("ok", fn(path))
    except XlPerfError as exc:
        message = ("xlperf", type(exc), exc.message, exc.location)
    except MemoryError:
        message = ("crash",)
    except Exception as exc:
        message = ("error", exc, traceback.format_exc())
    try:
        sender.send(message)
    except MemoryError:
        sys.exit(70)
    except Exception as exc:  # the result or the exception does not pickle
        text = f"{type(exc).__name__}: {exc}"
        try:
            sender.send(("error", RuntimeError(f"子进程的结果无法传回：{text}"), traceback.format_exc()))
        except Exception:
            sys.exit(70)
    finally:
        sender.close()

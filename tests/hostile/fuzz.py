"""A mutation fuzzer over the sample workbooks, and a runner that puts every xl-perf command through each case.

    python -m tests.hostile.fuzz --seed 123 --cases 20        # run; prints a line per failure with seed and case

`mutate(data, rng)` changes one thing of a workbook's bytes, chosen by `rng`: its zip structure (truncation, flipped
bytes, a removed, duplicated or stored entry), an XML part (a span cut or repeated, markup inserted), a defined
name (rows and columns far away, another sheet), a field of the hidden _xlperf sheet, or a cell value. Case `i` of
seed `s` is always the same file: `case_bytes(s, i)`.

`run_commands(path, workdir)` runs check, dump, score, export and batch on one file, each in a child process
forked from one driver that has imported xl-perf once (so a command costs a fraction of a second), with an address
space cap and a time limit; the child's cwd and TMPDIR are empty folders of `workdir`, so anything written outside the
output folder is seen. `problems(...)` lists what broke the rules: an exit code outside {0, 1, 2}, a traceback or
internal-error message, a changed input, a file written outside the output folder, a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [
    ROOT / "workbooks" / "samples" / n
    for n in ("gangmen-2022-zhengti.xlsx", "gangmen-2022-xiangmu.xlsx", "ziyuan-2023-zhengti.xlsx")
]
COMMAND_SECONDS = 40.0
COMMAND_MEMORY = 3 * 1024**3  # the command and the reader child it forks are capped separately (1 GiB)
ALLOWED_EXITS = {0, 1, 2}

# ------------------------------------------------------------------------------------------------ mutations

_META_VALUES = [
    "",
    "abc",
    "2022.0",
    "9" * 5000,
    "-1",
    "2101",
    "1e3",
    "{",
    "[]",
    "{}",
    '{"a":' * 40 + "1" + "}" * 40,
    "[" * 5000,
    "null",
    '["no_such_indicator"]',
    "港门镇_x0000_人民政府",
    "\u202e反转",
    "A" * 600,
    "县",
    "省",
    "gd-county-xiangmu",
    "mof-zhengti",
    "../../etc/passwd",
]
_CELL_VALUES = [
    "1e308",
    "-1e308",
    "NaN",
    "INF",
    "-0",
    "abc",
    "9" * 400,
    "0.1234567890123456789",
    "-99999999999",
    "",
    "4.625",
    "1E-320",
    "0x10",
    "１００",
]
_STRING_VALUES = [
    "_x0000_",
    "港门镇_x0001_人民政府",
    "\u202e反转\u202c",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1)",
    "-2",
    "x" * 40_000,
    "&amp;lt;",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    " ",
    "　",
    "../../../etc/passwd",
    "CON",
    "~$锁",
    ".隐藏",
    'a/b\\c:d*e?f"g<h>i|j',
]
_MARKUP = [
    b'<!DOCTYPE x [<!ENTITY a "b">]>',
    b'<c r="XFD1048576"><v>1</v></c>',
    b'<row r="99999999">',
    b"&amp;&lt;",
    b"]]>",
    b"<![CDATA[x]]>",
    b'<c r="ALL20000"><v>1</v></c>',
    b"\xff\xfe",
    b"\x00",
    b'<x:c r="A1"/>',
    b'<c r="A1" t="s"><v>999999</v></c>',
    b'<c r="B2" t="e"><v>#REF!</v></c>',
    b'<c r="C3" t="b"><v>7</v></c>',
    b'<definedName name="xp_x">Sheet1!$A$1</definedName>',
]


def _zip_parts(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(i, archive.read(i)) for i in archive.infolist()]


def _zip(parts: list[tuple[str, bytes]], stored: set[str] = frozenset()) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in parts:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            with _quiet_duplicates():
                archive.writestr(info, body)
    return buffer.getvalue()


class _quiet_duplicates:
    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def _meta_part(parts: list[tuple[str, bytes]]) -> str | None:
    """The part of the hidden _xlperf sheet, if the workbook still has one."""
    from tests.hostile.tampered import sheet_part

    try:
        return sheet_part(dict(parts), "_xlperf")
    except (KeyError, UnicodeDecodeError, AssertionError):
        return None


def _mutate_xml(body: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    n = len(body)
    if n < 10:
        return body + rng.choice(_MARKUP)
    a = rng.randrange(n)
    b = min(n, a + rng.randrange(1, 200))
    if choice == 0:
        return body[:a] + body[b:]  # a span cut out
    if choice == 1:
        return body[:b] + body[a:b] * rng.randrange(2, 20) + body[b:]  # a span repeated
    if choice == 2:
        at = body.find(b"<", a)
        at = a if at < 0 else at
        return body[:at] + rng.choice(_MARKUP) + body[at:]
    # a number changed to a far or odd one
    numbers = list(re.finditer(rb"\d+", body))
    if not numbers:
        return body
    m = rng.choice(numbers)
    replacement = rng.choice([b"0", b"99999999", b"1048577", b"4294967296", b"9" * 30, b"-1"])
    return body[: m.start()] + replacement + body[m.end() :]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of a workbook's bytes, and a short description of it."""
    kind = rng.choice(["zip", "xml", "xml", "names", "meta", "meta", "cells", "cells", "strings"])
    if kind == "zip":
        how = rng.randrange(5)
        if how == 0:
            cut = rng.randrange(len(data))
            return data[:cut], f"zip: truncated at {cut}"
        if how == 1:
            out = bytearray(data)
            for _ in range(rng.randrange(1, 8)):
                out[rng.randrange(len(out))] = rng.randrange(256)
            return bytes(out), "zip: flipped bytes"
        parts = [(i.filename, body) for i, body in _zip_parts(data)]
        pick = rng.randrange(len(parts))
        if how == 2:
            name = parts.pop(pick)[0]
            return _zip(parts), f"zip: removed {name}"
        if how == 3:
            parts.append(parts[pick])
            return _zip(parts), f"zip: duplicated {parts[pick][0]}"
        return _zip(parts, {parts[pick][0]}), f"zip: stored {parts[pick][0]}"
    parts = [(i.filename, body) for i, body in _zip_parts(data)]
    names = [n for n, _ in parts]
    if kind == "xml":
        xml = [i for i, n in enumerate(names) if n.endswith((".xml", ".rels"))]
        i = rng.choice(xml)
        parts[i] = (parts[i][0], _mutate_xml(parts[i][1], rng))
        return _zip(parts), f"xml: {parts[i][0]}"
    if kind == "names":
        i = names.index("xl/workbook.xml")
        body = parts[i][1].decode("utf-8")
        defined = list(re.finditer(r'<definedName name="(xp_[^"]*)">([^<]*)</definedName>', body))
        m = rng.choice(defined)
        ref = m.group(2)
        how = rng.randrange(4)
        if how == 0:
            new = re.sub(r"\$(\d+)$", lambda _: "$" + str(rng.choice([99999999, 1048576, 100001, 0])), ref)
        elif how == 1:
            new = re.sub(r"!\$[A-Z]+", "!$XFD", ref, count=1) if rng.random() < 0.5 else ref.replace("$A$", "$XFD$")
        elif how == 2:
            new = "'没有这张表'!" + ref.split("!", 1)[-1]
        else:
            new = rng.choice(["#REF!", "", "Sheet1!A:A", "'x'!$A$1:$B", ref + "," + ref])
        body = body[: m.start(2)] + new.replace("&", "&amp;").replace("<", "&lt;") + body[m.end(2) :]
        parts[i] = (parts[i][0], body.encode("utf-8"))
        return _zip(parts), f"names: {m.group(1)} -> {new[:60]}"
    if kind == "meta":
        from xml.sax.saxutils import escape

        meta = _meta_part(parts)
        if meta is None:
            return data, "meta: none"
        i = names.index(meta)
        body = parts[i][1]
        row = rng.randrange(1, 12)
        value = rng.choice(_META_VALUES)
        cell = f'<c r="B{row}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'.encode()
        new, count = re.subn(rb'<c r="B%d"[^>]*?(?:/>|>.*?</c>)' % row, lambda _: cell, body, count=1)
        parts[i] = (meta, new if count else body)
        return _zip(parts), f"meta: B{row} = {value[:40]!r}"
    if kind == "strings" and "xl/sharedStrings.xml" in names:
        i = names.index("xl/sharedStrings.xml")
        body = parts[i][1]
        texts = list(re.finditer(rb"<t(?: [^>]*)?>([^<]*)</t>", body))
        if texts:
            # the unit's name often: it flows into file names, sheet headers and the batch summary
            units = [t for t in texts if t.group(1).endswith("人民政府".encode())]
            m = rng.choice(units if units and rng.random() < 0.4 else texts)
            from xml.sax.saxutils import escape

            value = escape(rng.choice(_STRING_VALUES)).encode("utf-8")
            parts[i] = (parts[i][0], body[: m.start(1)] + value + body[m.end(1) :])
            return _zip(parts), f"strings: {m.group(1)[:20].decode('utf-8', 'replace')!r} -> {value[:40]!r}"
    # cells: a value of a visible sheet
    sheets = [i for i, n in enumerate(names) if n.startswith("xl/worksheets/sheet") and n != _meta_part(parts)]
    i = rng.choice(sheets)
    body = parts[i][1]
    values = list(re.finditer(rb"<v>([^<]*)</v>", body))
    if not values:
        return data, "cells: none"
    m = rng.choice(values)
    value = rng.choice(_CELL_VALUES).encode()
    parts[i] = (parts[i][0], body[: m.start(1)] + value + body[m.end(1) :])
    return _zip(parts), f"cells: {parts[i][0]} {m.group(0)[:30]!r} -> {value[:30]!r}"


_BROKEN_ZIP = (zipfile.BadZipFile, zlib.error, OSError, ValueError, IndexError, KeyError, EOFError, NotImplementedError)


def case_bytes(seed: int, index: int) -> tuple[bytes, str]:
    """Case `index` of `seed`: a sample workbook with one to three mutations."""
    rng = random.Random(f"{seed}:{index}")
    source = rng.choice(SAMPLES)
    data = source.read_bytes()
    described = [source.name]
    for _ in range(rng.choice([1, 1, 2, 3])):
        try:
            data, what = mutate(data, rng)
        except _BROKEN_ZIP:
            break  # an earlier mutation broke the zip: keep that
        described.append(what)
    return data, " | ".join(described)


# ------------------------------------------------------------------------------------------------ running commands


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "check": ["check", str(path)],
        "dump": ["dump", str(path), "--json"],
        "score": ["score", str(path), "--json"],
        "export": ["export", str(path), "-o", str(out), "--json", "--csv", "--force"],
        "batch": ["batch", str(path.parent), "-o", str(out / "汇总.xlsx"), "--workers", "1"],
    }


@dataclass
class Outcome:
    name: str
    code: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


def _driver_main() -> None:
    """Read jobs (JSON lines: argv, cwd, tmpdir) from stdin; run each as `xl-perf argv` in a forked child with the
    caps; write one JSON line per job (exit code, output) to stdout."""
    import resource

    # Everything the commands import, imported once here, so that each forked command starts warm.
    import xl_perf.batch
    import xl_perf.export
    import xl_perf.io.guard
    import xl_perf.io.workbook
    import xl_perf.template.generate
    import xl_perf.validate.run  # noqa: F401
    from xl_perf.cli import app as cli

    for line in sys.stdin:
        job = json.loads(line)
        out_path, err_path = Path(job["tmpdir"]).parent / "stdout.txt", Path(job["tmpdir"]).parent / "stderr.txt"
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the command
            try:
                os.setpgid(0, 0)
                os.chdir(job["cwd"])
                os.environ["TMPDIR"] = job["tmpdir"]
                import tempfile

                tempfile.tempdir = None
                resource.setrlimit(resource.RLIMIT_AS, (COMMAND_MEMORY, COMMAND_MEMORY))
                out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(out, 1)
                os.dup2(err, 2)
                sys.argv = ["xl-perf", *job["argv"]]
                code = 0
                try:
                    cli.main()
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
            except BaseException:
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
                os._exit(99)
        code: int | None = None
        deadline = started + job["seconds"]
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)  # the command and the children it started
                os.waitpid(pid, 0)
                break
            time.sleep(0.01)
        result = {
            "code": code,
            "stdout": out_path.read_text("utf-8", "replace") if out_path.exists() else "",
            "stderr": err_path.read_text("utf-8", "replace") if err_path.exists() else "",
            "seconds": time.monotonic() - started,
        }
        for p in (out_path, err_path):
            p.unlink(missing_ok=True)
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class Driver:
    """A driver process, reused for many cases."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("XL_PERF_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.fuzz", "--driver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=ROOT,
            env=env,
        )

    def run(self, argv: list[str], cwd: Path, tmpdir: Path, seconds: float = COMMAND_SECONDS) -> Outcome:
        assert self.process.stdin is not None and self.process.stdout is not None
        job = {"argv": argv, "cwd": str(cwd), "tmpdir": str(tmpdir), "seconds": seconds}
        self.process.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("fuzz driver died")
        data = json.loads(line)
        return Outcome(argv[0], data["code"], data["stdout"], data["stderr"], data["seconds"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(30)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def run_case(driver: Driver, data: bytes, workdir: Path, name: str = "自评.xlsx") -> list[str]:
    """Every command on one file; the problems found (empty: all rules held)."""
    return run_commands(driver, data, workdir, name)[0]


def run_commands(
    driver: Driver, data: bytes, workdir: Path, name: str = "自评.xlsx"
) -> tuple[list[str], dict[str, Outcome]]:
    """Every command on one file: the problems found, and each command's outcome."""
    outcomes: dict[str, Outcome] = {}
    inputs, out, cwd, tmp = (workdir / d for d in ("in", "out", "cwd", "tmp"))
    for folder in (inputs, out, cwd, tmp):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    path = inputs / name
    path.write_bytes(data)
    before = _digest(path)
    problems: list[str] = []
    for label, argv in commands(path, out).items():
        outcome = outcomes[label] = driver.run(argv, cwd, tmp)
        text = outcome.stdout + outcome.stderr
        if outcome.code is None:
            problems.append(f"{label}: no result within {COMMAND_SECONDS:g} s")
        elif outcome.code not in ALLOWED_EXITS:
            problems.append(f"{label}: exit {outcome.code}: {text.strip()[-600:]}")
        if "Traceback" in text or "内部错误" in text or "panicked" in text:
            problems.append(f"{label}: traceback or internal error shown: {text.strip()[-600:]}")
        if not path.exists() or _digest(path) != before:
            problems.append(f"{label}: the input file was changed")
        elsewhere = [f"in/{n}" for n in _listing(inputs) if n != name]
        elsewhere += [f"cwd/{n}" for n in _listing(cwd)] + [f"tmp/{n}" for n in _listing(tmp)]
        if elsewhere:
            problems.append(f"{label}: wrote outside the output folder: {elsewhere[:5]}")
        leftovers = [n for n in _listing(out) if ".xl-perf-tmp-" in n]
        if leftovers:
            problems.append(f"{label}: temp files left in the output folder: {leftovers[:5]}")
        for folder in (cwd, tmp):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
    return problems, outcomes


def fuzz(seed: int, cases: int, workdir: Path, budget_s: float | None = None) -> list[str]:
    """Run `cases` cases of `seed` (stopping early once `budget_s` has passed); one line per failing case."""
    failures: list[str] = []
    driver = Driver()
    started = time.monotonic()
    try:
        for index in range(cases):
            if budget_s is not None and time.monotonic() - started > budget_s:
                break
            data, described = case_bytes(seed, index)
            problems = run_case(driver, data, workdir / f"case-{index}")
            shutil.rmtree(workdir / f"case-{index}", ignore_errors=True)
            if problems:
                failures.append(
                    f"seed {seed} case {index} ({described}): "
                    + "; ".join(problems)
                    + f"\n  reproduce: python -m tests.hostile.fuzz --seed {seed} --only {index} --keep DIR"
                )
    finally:
        driver.close()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="xl-perf mutation fuzzer")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--only", type=int, default=None, help="run (and keep, with --keep) only this case")
    parser.add_argument("--keep", type=Path, default=None, help="write the case file(s) here")
    args = parser.parse_args(argv)
    if args.driver:
        _driver_main()
        return 0
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    print(f"seed {seed}", flush=True)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="xl-perf-fuzz-") as scratch:
        if args.only is not None:
            data, described = case_bytes(seed, args.only)
            print(described)
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"seed{seed}-case{args.only}.xlsx").write_bytes(data)
            driver = Driver()
            try:
                problems = run_case(driver, data, Path(scratch))
            finally:
                driver.close()
            print("\n".join(problems) or "ok")
            return 1 if problems else 0
        failures = fuzz(seed, args.cases, Path(scratch))
    print("\n".join(failures) or f"{args.cases} cases ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

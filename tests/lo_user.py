"""LibreOffice Calc, driven through UNO, playing the user of a workbook: type into cells, insert rows the way
workbooks/README.md says, recalculate, save with LibreOffice's own xlsx writer.

One soffice process serves a whole test session (`Office`); each workbook is opened hidden, edited, saved and closed.
The process runs on a private profile (the settings of `xl_perf.io.libreoffice`), in its own process group, and is
terminated (then killed, if need be) when the session ends.

Typing (`Book.type`) interprets the text as Calc does for a person at the keyboard, by the cell's number format.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xl_perf.io import libreoffice

# Debian's python3-uno installs uno.py for the system Python; another Python 3 of the same minor version loads it
# from there (and its pyuno.so from LibreOffice's program folder).
UNO_PATHS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")
XLSX_FILTER = "Calc MS Excel 2007 XML"


def import_uno() -> Any:
    try:
        import uno
    except ImportError:
        for path in UNO_PATHS:
            if os.path.isdir(path) and path not in sys.path:
                sys.path.append(path)
        import uno
    return uno


def _props(uno: Any, **values: object) -> tuple[Any, ...]:
    result = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name = name
        prop.Value = value
        result.append(prop)
    return tuple(result)


@dataclass(frozen=True)
class Place:
    sheet: int  # index of the sheet
    row: int  # 0-based
    col: int


class Book:
    """An open spreadsheet document."""

    def __init__(self, office: Office, component: Any) -> None:
        self.office = office
        self.doc = component

    def sheet(self, index_or_name: int | str) -> Any:
        sheets = self.doc.Sheets
        return sheets.getByIndex(index_or_name) if isinstance(index_or_name, int) else sheets.getByName(index_or_name)

    def sheet_index(self, name: str) -> int:
        return list(self.doc.Sheets.ElementNames).index(name)

    def named(self, name: str) -> tuple[Place, Place]:
        """First and last cell of a defined name, where it is NOW (names move when rows are inserted)."""
        address = self.doc.NamedRanges.getByName(name).ReferredCells.RangeAddress
        return (
            Place(address.Sheet, address.StartRow, address.StartColumn),
            Place(address.Sheet, address.EndRow, address.EndColumn),
        )

    def cell(self, place: Place) -> Any:
        return self.sheet(place.sheet).getCellByPosition(place.col, place.row)

    def type(self, place: Place, text: str) -> None:
        """Type `text` into the cell as Calc's input handler takes it from the keyboard: into a text-formatted ("@")
        cell as text, whatever it looks like ("100%", "07591234567"); elsewhere interpreted, so "99.65%" becomes
        0.9965, "2023-04-27" a date, "=…" a formula.

        (Driving the real input handler, .uno:EnterString on a selected cell, crashes a headless soffice 7.4 within
        seconds: its cursor timer touches a window that does not exist. XCell.setFormula interprets like the input
        handler but ignores the cell's number format, so the text format is applied here.)"""
        cell = self.cell(place)
        if self._is_text_format(cell.NumberFormat):
            cell.setString(text)
        else:
            cell.setFormula(text)

    def _is_text_format(self, key: int) -> bool:
        text_type = 256  # com.sun.star.util.NumberFormat.TEXT
        return bool(self.doc.NumberFormats.getByKey(key).Type & text_type == text_type)

    def shown(self, place: Place) -> str:
        return str(self.cell(place).String)

    def value(self, place: Place) -> float:
        return float(self.cell(place).Value)

    def formula(self, place: Place) -> str:
        return str(self.cell(place).Formula)

    def insert_copied_row_above(self, sheet_index: int, row: int) -> None:
        """The README's way to add a project or indicator row: copy the whole row `row` (the last spare row) and
        "insert copied cells" above it, so the tool's formulas to the right come along.

        A sheet's protection (no password) is lifted for this and put back: Calc, like Excel, refuses to paste into a
        protected sheet's locked cells even where inserting rows is allowed."""
        sheet = self.sheet(sheet_index)
        protected = bool(sheet.isProtected())
        if protected:
            sheet.unprotect("")
        sheet.Rows.insertByIndex(row, 1)
        source = sheet.getCellRangeByPosition(0, row + 1, 1023, row + 1).RangeAddress
        target = sheet.getCellByPosition(0, row).CellAddress
        sheet.copyRange(target, source)
        if protected:
            sheet.protect("")

    def recalculate(self) -> None:
        self.doc.calculateAll()

    def save_xlsx(self, path: Path) -> Path:
        uno = self.office.uno
        self.doc.storeToURL(path.absolute().as_uri(), _props(uno, FilterName=XLSX_FILTER, Overwrite=True))
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.doc.close(True)


class Office:
    """One headless soffice, reached over a private pipe."""

    def __init__(self, soffice: str, workdir: Path, *, timeout: float = 90) -> None:
        self.uno = import_uno()
        self.profile = workdir / "profile"
        libreoffice._ensure_profile(self.profile)
        self.log = open(workdir / "soffice.log", "ab")  # noqa: SIM115 - open for the life of the process
        self.pipe = f"xlperf_lo_user_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(
            [
                soffice,
                f"-env:UserInstallation={self.profile.absolute().as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nodefault",
                "--nolockcheck",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=libreoffice._environment(self.profile),
            start_new_session=True,
        )
        self.desktop = self._connect(timeout)

    def _connect(self, timeout: float) -> Any:
        uno = self.uno
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + timeout
        while True:
            try:
                context = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("soffice did not accept a UNO connection") from None
                time.sleep(0.3)

    def open(self, path: Path) -> Book:
        props = _props(self.uno, Hidden=True, MacroExecutionMode=0, UpdateDocMode=0)
        component = self.desktop.loadComponentFromURL(path.absolute().as_uri(), "_blank", 0, props)
        if component is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        return Book(self, component)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.desktop.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

"""A stand-in for the part of Excel's object model (as xlwings presents it) that xl-perf's in-Excel code uses.

It runs over a real workbook file: the .xlsx/.xlsm is loaded with openpyxl here, in the tests only, and plays Excel's
in-memory state (values, formulas with their cached results, fills, sheet and workbook protection, defined names).
What Excel does and a plain mock would not, it does too:

- Sheet protection applies to macros and COM: with the sheet protected, setting Interior.Color (xlwings
  `range.color`) is refused unless formatting cells is allowed, clearing is refused, adding a hyperlink is refused,
  autofit and hiding columns are refused unless formatting columns is allowed, writing a locked cell is refused.
  Unprotect with a wrong password is refused; without one on a sheet that has one, Excel prompts for it (recorded in
  App.prompts, then refused as if cancelled). Protect on an already protected sheet applies the new options when the
  sheet has no password or the right one is given, and is refused otherwise. Protect takes Excel's arguments; omitted
  ones take Excel's defaults (DrawingObjects, Contents, Scenarios True; every Allow* False); EnableSelection is left
  as it was. A password is kept as Excel 2013 and later keep it: a salted SHA-512 hash (hashValue), no legacy
  password attribute.
- A locked workbook structure refuses Sheets.Add.
- Refusals are raised as pywintypes.com_error does: (hresult, text, excepinfo, argerror), DISP_E_EXCEPTION with
  Excel's own description and scode 0x800A03EC.
- Reading a formula cell gives its cached value (what the file carried, or what the stand-in last computed).
  `App.calculate` recomputes the cells whose formula is one call of an xl-perf UDF (as xlwings would: the Python
  function with the cells' values, None for blanks) and HYPERLINK formulas; other native formulas keep their cached
  value (the stand-in has no formula engine).
- Workbook.SaveCopyAs writes the in-memory state, cached values included, without saving or renaming the workbook.
- Every property get or set and every method call on an object of the model counts as one call (`App.calls`), as
  each is one COM round trip in Excel.
- `App.api.Run(macro)` runs a macro of the workbook's own VBA project, read back from the file with oletools: the
  statements the project's button macros consist of (RunPython "...", calls of other procedures of the project,
  Application.MacroOptions, On Error) are carried out; RunPython executes the exact Python string embedded in the VBA,
  with `xlwings.Book.caller()` the workbook that runs the macro and `pywintypes.com_error` this module's com_error.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import hashlib
import os
import re
import shutil
import sys
import tempfile
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.styles import PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

DISP_E_EXCEPTION = -2147352567
DISP_E_BADINDEX = -2147352565
XL_ERROR = -2146827284  # 0x800A03EC, the scode of Excel's object-model errors
ADDRESS_LIMIT = 255  # the longest address Worksheet.Range takes ("A1,B2,..." included)


class com_error(Exception):
    """Shaped like pywintypes.com_error: args == (hresult, strerror, excepinfo, argerror)."""

    def __init__(self, hresult: int, strerror: str, excepinfo: tuple[Any, ...] | None, argerror: int | None) -> None:
        super().__init__(hresult, strerror, excepinfo, argerror)
        self.hresult = hresult
        self.strerror = strerror
        self.excepinfo = excepinfo
        self.argerror = argerror


def excel_error(description: str) -> com_error:
    return com_error(
        DISP_E_EXCEPTION, "Exception occurred.", (0, "Microsoft Excel", description, "xlmain11.chm", 0, XL_ERROR), None
    )


def bad_index() -> com_error:
    """A collection's Item with a name it lacks: DISP_E_BADINDEX from the dispatch layer, without Excel's excepinfo."""
    return com_error(DISP_E_BADINDEX, "Invalid index.", None, None)


PROTECTED_CELL = (
    "The cell or chart you're trying to change is on a protected sheet. To make a change, unprotect the sheet. "
    "You might be requested to enter a password."
)
WRONG_PASSWORD = (
    "The password you supplied is not correct. Verify that the CAPS LOCK key is off and be sure to use the correct "
    "capitalization."
)

_PROTECT = {  # Excel's Protect argument -> (openpyxl SheetProtection attribute, True if the argument allows it)
    "DrawingObjects": ("objects", False),
    "Scenarios": ("scenarios", False),
    "AllowFormattingCells": ("formatCells", True),
    "AllowFormattingColumns": ("formatColumns", True),
    "AllowFormattingRows": ("formatRows", True),
    "AllowInsertingColumns": ("insertColumns", True),
    "AllowInsertingRows": ("insertRows", True),
    "AllowInsertingHyperlinks": ("insertHyperlinks", True),
    "AllowDeletingColumns": ("deleteColumns", True),
    "AllowDeletingRows": ("deleteRows", True),
    "AllowSorting": ("sort", True),
    "AllowFiltering": ("autoFilter", True),
    "AllowUsingPivotTables": ("pivotTables", True),
}
PROTECTION_FIELDS = (
    "sheet",
    "password",
    "algorithmName",
    "hashValue",
    "saltValue",
    "spinCount",
    *(a for a, _ in _PROTECT.values()),
    "selectLockedCells",
    "selectUnlockedCells",
)
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_COLUMNS = re.compile(r"^\$?([A-Z]{1,3}):\$?([A-Z]{1,3})$")


SPIN_COUNT = 100_000  # what Excel uses


def _sha512_hash(password: str, salt: str, spin_count: int) -> str:
    """A sheet password's hash as ECMA-376 (Part 4, 2.4.2.4x) and Excel compute it: SHA-512 over salt and the UTF-16LE
    password, then spin_count rounds over the previous hash and the round's number (4 bytes, little-endian)."""
    digest = hashlib.sha512(base64.b64decode(salt) + password.encode("utf-16-le")).digest()
    for round_number in range(spin_count):
        digest = hashlib.sha512(digest + round_number.to_bytes(4, "little")).digest()
    return base64.b64encode(digest).decode("ascii")


def protection_state(ws: Any) -> dict[str, object]:
    return {name: getattr(ws.protection, name) for name in PROTECTION_FIELDS}


class App:
    """Excel.Application. `calls` counts the object-model calls; `alerts` what message boxes showed."""

    def __init__(self) -> None:
        self.calls = 0
        self.log: list[str] = []
        self.alerts: list[str] = []
        self.prompts: list[str] = []  # dialogs Excel would have put in front of the user (a password prompt)
        self.registered: dict[str, str] = {}  # Application.MacroOptions: macro -> description
        self._books: list[Book] = []
        self._active: Book | None = None

    def tick(self, what: str) -> None:
        self.calls += 1
        self.log.append(what)

    @property
    def books(self) -> Books:
        self.tick("App.books")
        return Books(self)

    @property
    def version(self) -> str:
        self.tick("App.version")
        return "16.0"

    @property
    def api(self) -> AppApi:
        self.tick("App.api")
        return AppApi(self)

    def alert(self, prompt: str, title: str | None = None, **_: object) -> None:
        self.tick("App.alert")
        self.alerts.append(prompt)

    def calculate(self) -> None:
        self.tick("App.calculate")
        for book in self._books:
            book._recalculate()

    def quit(self) -> None:
        self.tick("App.quit")
        for book in list(self._books):
            book._discard()

    def kill(self) -> None:
        self.quit()


class AppApi:
    def __init__(self, app: App) -> None:
        self._app = app

    def Run(self, macro: str, *args: object) -> object:
        self._app.tick("Application.Run")
        book = self._app._active
        if "!" in macro:
            owner, macro = macro.rsplit("!", 1)
            owner = owner.strip("'")
            book = next((b for b in self._app._books if b._name == owner), book)
        if book is None:
            raise excel_error(
                f"Cannot run the macro '{macro}'. The macro may not be available in this workbook "
                "or all macros may be disabled."
            )
        return VbaRunner(book).run(macro)


class Books:
    def __init__(self, app: App) -> None:
        self._app = app

    def open(self, fullname: str | Path, **_: object) -> Book:
        self._app.tick("Books.open")
        book = Book(self._app, Path(fullname))
        self._app._books.append(book)
        self._app._active = book
        return book

    @property
    def active(self) -> Book:
        self._app.tick("Books.active")
        if self._app._active is None:
            raise excel_error("No workbook is open.")
        return self._app._active

    def __iter__(self) -> Iterator[Book]:
        self._app.tick("Books.__iter__")
        return iter(list(self._app._books))

    def __len__(self) -> int:
        self._app.tick("Books.count")
        return len(self._app._books)


class _Opened:
    """What an open workbook and an open add-in both answer as xlwings Books: their name and their Excel."""

    def __init__(self, app: App, name: str) -> None:
        self._app = app
        self._name = name

    @property
    def name(self) -> str:
        self._app.tick("Book.name")
        return self._name

    @property
    def app(self) -> App:
        self._app.tick("Book.app")
        return self._app


class Book(_Opened):
    def __init__(self, app: App, path: Path) -> None:
        super().__init__(app, path.name)
        self._path = path.resolve()
        macro = path.suffix.lower() in (".xlsm", ".xlam")
        self.wb = openpyxl.load_workbook(path, keep_vba=macro, keep_links=False)
        values = openpyxl.load_workbook(path, data_only=True, keep_links=False)
        self.cached: dict[tuple[str, int, int], object] = {}
        for ws in self.wb.worksheets:
            for line in values[ws.title].iter_rows():
                for cell in line:
                    if isinstance(ws.cell(cell.row, cell.column).value, str) and str(
                        ws.cell(cell.row, cell.column).value
                    ).startswith("="):
                        self.cached[(ws.title, cell.row, cell.column)] = cell.value
        values.close()
        self.saved_copies: list[Path] = []

    # -- the xlwings Book API -------------------------------------------------------------------------------------
    @property
    def fullname(self) -> str:
        self._app.tick("Book.fullname")
        return str(self._path)

    @property
    def sheets(self) -> Sheets:
        self._app.tick("Book.sheets")
        return Sheets(self)

    @property
    def names(self) -> Names:
        self._app.tick("Book.names")
        return Names(self)

    @property
    def api(self) -> BookApi:
        self._app.tick("Book.api")
        return BookApi(self)

    def activate(self) -> None:
        self._app.tick("Book.activate")
        self._app._active = self

    def macro(self, name: str) -> Any:
        self._app.tick("Book.macro")
        return lambda *args: AppApi(self._app).Run(f"'{self._name}'!{name}", *args)

    def close(self) -> None:
        self._app.tick("Book.close")
        self._discard()

    def _discard(self) -> None:
        if self in self._app._books:
            self._app._books.remove(self)
        if self._app._active is self:
            self._app._active = self._app._books[-1] if self._app._books else None

    # -- the stand-in's own state -----------------------------------------------------------------------------------
    def value_of(self, sheet: str, row: int, col: int) -> object:
        """A cell as Excel shows it (1-based), not counted: for tests to look at the state."""
        raw = self.wb[sheet].cell(row, col).value
        if isinstance(raw, str) and raw.startswith("="):
            return self.cached.get((sheet, row, col))
        return raw

    def _write_copy(self, target: Path) -> None:
        self.wb.save(target)
        _store_cached_values(target, self.wb, self.cached)

    def _names(self) -> dict[str, str]:
        return {name: definition.attr_text for name, definition in self.wb.defined_names.items()}

    def _recalculate(self) -> None:
        names = self._names()
        for ws in self.wb.worksheets:
            for line in ws.iter_rows():
                for cell in line:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        computed = _evaluate(self, cell.value, names)
                        if computed is not _UNKNOWN:
                            self.cached[(ws.title, cell.row, cell.column)] = computed


class BookApi:
    def __init__(self, book: Book) -> None:
        self._book = book

    def SaveCopyAs(self, filename: str) -> None:
        self._book._app.tick("Workbook.SaveCopyAs")
        target = Path(filename)
        if not target.parent.is_dir():
            raise excel_error(f"Microsoft Excel cannot access the file '{filename}'.")
        self._book._write_copy(target)
        self._book.saved_copies.append(target)

    @property
    def ProtectStructure(self) -> bool:
        self._book._app.tick("Workbook.ProtectStructure")
        security = self._book.wb.security
        return bool(security is not None and security.lockStructure)

    def Save(self) -> None:
        self._book._app.tick("Workbook.Save")
        self._book._write_copy(self._book._path)


class Sheets:
    def __init__(self, book: Book) -> None:
        self._book = book

    def _all(self) -> list[Sheet]:
        return [Sheet(self._book, ws.title) for ws in self._book.wb.worksheets]

    def __getitem__(self, key: str | int) -> Sheet:
        self._book._app.tick("Sheets.__getitem__")
        sheets = self._all()
        if isinstance(key, int):
            return sheets[key]
        for sheet in sheets:
            if sheet._name.lower() == key.lower():
                return sheet
        raise bad_index()  # what Excel's Sheets.Item says for a name it lacks

    def __iter__(self) -> Iterator[Sheet]:
        self._book._app.tick("Sheets.__iter__")
        return iter(self._all())

    def __len__(self) -> int:
        self._book._app.tick("Sheets.count")
        return len(self._book.wb.worksheets)

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        self._book._app.tick("Sheets.add")
        security = self._book.wb.security
        if security is not None and security.lockStructure:
            raise excel_error("Add method of Sheets class failed")
        if name is not None and name.lower() in (ws.title.lower() for ws in self._book.wb.worksheets):
            raise excel_error("That name is already taken. Try a different one.")
        index = len(self._book.wb.worksheets)
        if after is not None:
            index = self._book.wb.sheetnames.index(after._name) + 1
        elif before is not None:
            index = self._book.wb.sheetnames.index(before._name)
        ws = self._book.wb.create_sheet(name or f"Sheet{index + 1}", index)
        return Sheet(self._book, ws.title)


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self._book = book
        self._name = name

    @property
    def _ws(self) -> Any:
        return self._book.wb[self._name]

    def _protected(self) -> bool:
        return bool(self._ws.protection.sheet)

    def _allows(self, attribute: str) -> bool:
        return not self._protected() or not getattr(self._ws.protection, attribute)

    @property
    def name(self) -> str:
        self._book._app.tick("Sheet.name")
        return self._name

    @property
    def api(self) -> SheetApi:
        self._book._app.tick("Sheet.api")
        return SheetApi(self)

    def range(self, cell1: str | tuple[int, int], cell2: object = None) -> Range:
        self._book._app.tick("Sheet.range")
        if isinstance(cell1, str) and len(cell1) > ADDRESS_LIMIT:
            raise excel_error("Method 'Range' of object '_Worksheet' failed")  # Excel takes at most 255 characters
        return Range(self, _cells_of(cell1))

    def clear(self) -> None:
        self._book._app.tick("Sheet.clear")
        if self._protected():
            raise excel_error("Clear method of Range class failed")
        ws = self._ws
        for line in list(ws.iter_rows()):
            for cell in line:
                cell.value = None
                cell.fill = PatternFill()
                cell.hyperlink = None
        self._book.cached = {k: v for k, v in self._book.cached.items() if k[0] != self._name}

    def autofit(self, axis: str | None = None) -> None:
        self._book._app.tick("Sheet.autofit")
        if not self._allows("formatColumns") or not self._allows("formatRows"):
            raise excel_error("AutoFit method of Range class failed")

    def activate(self) -> None:
        self._book._app.tick("Sheet.activate")
        self._book.wb.active = self._book.wb.sheetnames.index(self._name)

    @property
    def used_range(self) -> Range:
        self._book._app.tick("Sheet.used_range")
        ws = self._ws
        return Range(self, [(r, c) for r in range(1, ws.max_row + 1) for c in range(1, ws.max_column + 1)])


class SheetApi:
    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    @property
    def ProtectContents(self) -> bool:
        self._sheet._book._app.tick("Worksheet.ProtectContents")
        return self._sheet._protected()

    def _password_matches(self, password: str | None) -> bool | None:
        """None: the sheet has no password; else whether `password` is it."""
        protection = self._sheet._ws.protection
        if protection.hashValue:  # what Excel 2013 and later write: a salted SHA-512 hash
            return bool(password) and (
                _sha512_hash(password, protection.saltValue, protection.spinCount) == protection.hashValue
            )
        if protection.password:  # the legacy 16-bit hash of older files
            probe = type(protection)()
            probe.password = password or ""
            return bool(password) and probe.password == protection.password
        return None

    def Unprotect(self, Password: str | None = None) -> None:
        """Without a password on a sheet that has one, Excel shows its password prompt (a modal dialog the user must
        answer) and, cancelled, raises; here the prompt is recorded (`App.prompts`) and cancelled."""
        app = self._sheet._book._app
        app.tick("Worksheet.Unprotect")
        if not self._sheet._protected():
            return  # "no effect if the sheet isn't protected"
        matches = self._password_matches(Password)
        if matches is False:
            if not Password:
                app.prompts.append(f"Unprotect Sheet: {self._sheet._name}")
            raise excel_error(WRONG_PASSWORD)
        protection = self._sheet._ws.protection
        protection.sheet = False
        protection._password = None  # openpyxl keeps the hash there; its setter would hash None
        protection.algorithmName = protection.hashValue = protection.saltValue = protection.spinCount = None

    def Protect(
        self,
        Password: str | None = None,
        Contents: bool = True,
        UserInterfaceOnly: bool = False,
        **options: bool,
    ) -> None:
        """Protect a sheet; on a sheet already protected, Excel applies the new options when the sheet has no password
        or the password given is its password, and refuses otherwise (Microsoft: the Protect method can be used on a
        protected worksheet if the password is supplied)."""
        self._sheet._book._app.tick("Worksheet.Protect")
        protection = self._sheet._ws.protection
        for argument in options:
            if argument not in _PROTECT:
                raise com_error(-2147352570, "Unknown name.", None, None)  # DISP_E_UNKNOWNNAME
        keep_password = False
        if self._sheet._protected():
            matches = self._password_matches(Password)
            if matches is False:
                raise excel_error(WRONG_PASSWORD)
            keep_password = matches is True
        for argument, (attribute, allows) in _PROTECT.items():
            default = argument in ("DrawingObjects", "Scenarios")
            value = bool(options.get(argument, default))
            setattr(protection, attribute, (not value) if allows else value)
        protection.sheet = bool(Contents)
        if Password and not keep_password:  # as Excel 2013 and later keep it: a salted SHA-512 hash
            protection._password = None
            salt = base64.b64encode(os.urandom(16)).decode("ascii")
            protection.algorithmName, protection.saltValue, protection.spinCount = "SHA-512", salt, SPIN_COUNT
            protection.hashValue = _sha512_hash(Password, salt, SPIN_COUNT)


class Range:
    def __init__(self, sheet: Sheet, cells: list[tuple[int, int]]) -> None:
        self._sheet = sheet
        self._cells = cells  # 1-based (row, col), in order

    def _tick(self, what: str) -> None:
        self._sheet._book._app.tick(what)

    @property
    def row(self) -> int:
        self._tick("Range.row")
        return self._cells[0][0]

    @property
    def column(self) -> int:
        self._tick("Range.column")
        return self._cells[0][1]

    @property
    def value(self) -> object:
        self._tick("Range.value")
        book, name = self._sheet._book, self._sheet._name
        if len(self._cells) == 1:
            return _com_value(book.value_of(name, *self._cells[0]))
        rows = sorted({r for r, _ in self._cells})
        cols = sorted({c for _, c in self._cells})
        return [[_com_value(book.value_of(name, r, c)) for c in cols] for r in rows]

    @value.setter
    def value(self, data: object) -> None:
        self._tick("Range.value=")
        top, left = self._cells[0]
        grid = data if isinstance(data, list | tuple) else [[data]]
        if grid and not isinstance(grid[0], list | tuple):
            grid = [grid]
        targets = {(top + r, left + c): v for r, line in enumerate(grid) for c, v in enumerate(line)}
        ws = self._sheet._ws
        if self._sheet._protected() and any(ws.cell(r, c).protection.locked for r, c in targets):
            raise excel_error(PROTECTED_CELL)
        book = self._sheet._book
        names = book._names()
        for (r, c), v in targets.items():
            cell = ws.cell(r, c)
            book.cached.pop((self._sheet._name, r, c), None)
            if v is None or v == "":
                cell.value = None  # Excel keeps no empty text: the cell is blank
            elif isinstance(v, str) and v.startswith("'"):
                cell.value = v[1:]
            elif isinstance(v, str) and v.startswith("="):
                cell.value = v
                computed = _evaluate(book, v, names)
                book.cached[(self._sheet._name, r, c)] = None if computed is _UNKNOWN else computed
            elif isinstance(v, str) and _numeric(v):
                cell.value = float(v)  # Excel converts a text that reads as a number
            else:
                cell.value = v

    @property
    def formula(self) -> str:
        self._tick("Range.formula")
        raw = self._sheet._ws.cell(*self._cells[0]).value
        return "" if raw is None else str(raw)

    @property
    def has_formula(self) -> bool:
        self._tick("Range.has_formula")
        raw = self._sheet._ws.cell(*self._cells[0]).value
        return isinstance(raw, str) and raw.startswith("=")

    @property
    def color(self) -> tuple[int, int, int] | None:
        self._tick("Range.color")
        colors = {_fill_rgb(self._sheet._ws.cell(r, c)) for r, c in self._cells}
        return colors.pop() if len(colors) == 1 else None

    @color.setter
    def color(self, color: str | tuple[int, int, int] | None) -> None:
        self._tick("Range.color=")
        if not self._sheet._allows("formatCells"):
            raise excel_error("Unable to set the Color property of the Interior class")
        for r, c in self._cells:
            cell = self._sheet._ws.cell(r, c)
            if color is None:
                cell.fill = PatternFill()
            else:
                rgb = color.lstrip("#") if isinstance(color, str) else "{:02X}{:02X}{:02X}".format(*color)
                cell.fill = PatternFill("solid", fgColor="FF" + rgb.upper())

    def clear(self) -> None:
        self._tick("Range.clear")
        if self._sheet._protected():
            raise excel_error("Clear method of Range class failed")
        for r, c in self._cells:
            cell = self._sheet._ws.cell(r, c)
            cell.value = None
            cell.fill = PatternFill()

    def add_hyperlink(self, address: str, text_to_display: str | None = None, screen_tip: str | None = None) -> None:
        self._tick("Range.add_hyperlink")
        ws = self._sheet._ws
        if self._sheet._protected() and (
            not self._sheet._allows("insertHyperlinks") or any(ws.cell(r, c).protection.locked for r, c in self._cells)
        ):
            raise excel_error("Add method of Hyperlinks class failed")
        ws.cell(*self._cells[0]).hyperlink = address

    def autofit(self) -> None:
        self._tick("Range.autofit")
        if not self._sheet._allows("formatColumns"):
            raise excel_error("AutoFit method of Range class failed")

    def options(self, *_: object, **__: object) -> Range:
        self._tick("Range.options")
        return self

    @property
    def api(self) -> RangeApi:
        self._tick("Range.api")
        return RangeApi(self)


class RangeApi:
    def __init__(self, rng: Range) -> None:
        self._range = rng

    @property
    def Interior(self) -> Interior:
        self._range._tick("Range.Interior")
        return Interior(self._range)

    @property
    def EntireColumn(self) -> ColumnsApi:
        self._range._tick("Range.EntireColumn")
        return ColumnsApi(self._range)


# Excel's XlPattern -> OOXML patternType
_PATTERN_TYPES = {
    1: "solid",
    -4125: "mediumGray",
    -4126: "darkGray",
    -4124: "lightGray",
    -4128: "darkHorizontal",
    -4166: "darkVertical",
    -4121: "darkDown",
    -4162: "darkUp",
    9: "darkGrid",
    10: "darkTrellis",
    11: "lightHorizontal",
    12: "lightVertical",
    13: "lightDown",
    14: "lightUp",
    15: "lightGrid",
    16: "lightTrellis",
    17: "gray125",
    18: "gray0625",
}
XL_NONE = -4142
XL_AUTOMATIC = -4105


class Interior:
    """Range.Interior, as Excel applies it: on a protected sheet every property set is refused unless formatting
    cells is allowed. Color/ThemeColor/ColorIndex set the cell colour (OOXML fgColor of a solid fill, bgColor of a
    pattern; a cell without a fill becomes solid), the Pattern* ones the pattern's colour (fgColor); Pattern sets the
    pattern and keeps the colours (xlNone removes the fill). TintAndShade applies to the theme colour last set."""

    def __init__(self, rng: Range) -> None:
        object.__setattr__(self, "_range", rng)

    def __setattr__(self, name: str, value: object) -> None:
        rng = self._range
        rng._tick(f"Interior.{name}=")
        if name not in (
            "Pattern",
            "Color",
            "ThemeColor",
            "TintAndShade",
            "ColorIndex",
            "PatternColor",
            "PatternThemeColor",
            "PatternTintAndShade",
            "PatternColorIndex",
        ):
            raise com_error(-2147352570, "Unknown name.", None, None)  # DISP_E_UNKNOWNNAME
        if not rng._sheet._allows("formatCells"):
            raise excel_error(f"Unable to set the {name} property of the Interior class")
        from openpyxl.styles.colors import Color

        for r, c in rng._cells:
            cell = rng._sheet._ws.cell(r, c)
            old = cell.fill
            kind = old.patternType if old is not None and old.patternType else None
            fg, bg = copy.copy(old.fgColor), copy.copy(old.bgColor)
            pattern_side = name.startswith("Pattern") and name != "Pattern"
            if name == "Pattern":
                if value == XL_NONE:
                    cell.fill = PatternFill()
                    continue
                kind = _PATTERN_TYPES[int(value)]  # type: ignore[call-overload]
            else:
                if kind is None:
                    kind = "solid"
                on_fg = pattern_side or kind == "solid"
                target = fg if on_fg else bg
                prop = name.removeprefix("Pattern") if pattern_side else name
                if prop == "Color":
                    number = int(value)  # type: ignore[call-overload]
                    rgb = f"FF{number & 255:02X}{(number >> 8) & 255:02X}{(number >> 16) & 255:02X}"
                    target = Color(rgb=rgb)
                elif prop == "ThemeColor":
                    target = Color(theme=int(value) - 1)  # type: ignore[call-overload]
                elif prop == "TintAndShade":
                    target = Color(theme=target.theme, tint=float(value)) if target.type == "theme" else target
                elif prop == "ColorIndex":
                    number = int(value)  # type: ignore[call-overload]
                    target = Color(auto=True) if number == XL_AUTOMATIC else Color(indexed=number + 7)
                if on_fg:
                    fg = target
                else:
                    bg = target
            cell.fill = PatternFill(kind, fgColor=fg, bgColor=bg)


class ColumnsApi:
    def __init__(self, rng: Range) -> None:
        self._range = rng

    @property
    def Hidden(self) -> bool:
        self._range._tick("Range.Hidden")
        ws = self._range._sheet._ws
        return all(ws.column_dimensions[get_column_letter(c)].hidden for _, c in self._range._cells)

    @Hidden.setter
    def Hidden(self, hidden: bool) -> None:
        self._range._tick("Range.Hidden=")
        if not self._range._sheet._allows("formatColumns"):
            raise excel_error("Unable to set the Hidden property of the Range class")
        ws = self._range._sheet._ws
        for col in sorted({c for _, c in self._range._cells}):
            ws.column_dimensions[get_column_letter(col)].hidden = hidden


class Names:
    def __init__(self, book: Book) -> None:
        self._book = book

    def __iter__(self) -> Iterator[Name]:
        self._book._app.tick("Names.__iter__")
        return iter([Name(self._book, n) for n in self._book._names()])

    def __len__(self) -> int:
        self._book._app.tick("Names.count")
        return len(self._book._names())

    def __getitem__(self, name: str) -> Name:
        self._book._app.tick("Names.__getitem__")
        if name not in self._book._names():
            raise bad_index()
        return Name(self._book, name)


class Name:
    def __init__(self, book: Book, name: str) -> None:
        self._book = book
        self._name = name

    @property
    def name(self) -> str:
        self._book._app.tick("Name.name")
        return self._name

    @property
    def refers_to(self) -> str:
        self._book._app.tick("Name.refers_to")
        return "=" + self._book._names()[self._name]

    @property
    def refers_to_range(self) -> Range:
        self._book._app.tick("Name.refers_to_range")
        sheet, cells = _resolve(self._book._names()[self._name])
        return Range(Sheet(self._book, sheet), cells)


# --- helpers ------------------------------------------------------------------------------------------------------


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text != ""


def _com_value(value: object) -> object:
    # Over COM, numbers arrive as floats and dates as datetimes.
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _fill_rgb(cell: Any) -> tuple[int, int, int] | None:
    fill = cell.fill
    rgb = fill.fgColor.rgb if fill is not None and fill.patternType == "solid" else None
    if not isinstance(rgb, str) or len(rgb) != 8:
        return None
    return int(rgb[2:4], 16), int(rgb[4:6], 16), int(rgb[6:8], 16)


def _cells_of(cell1: str | tuple[int, int]) -> list[tuple[int, int]]:
    if isinstance(cell1, tuple):
        return [cell1]
    cells: list[tuple[int, int]] = []
    for part in cell1.split(","):
        part = part.strip()
        columns = _COLUMNS.match(part)
        if columns:
            first, last = (column_index_from_string(x) for x in columns.groups())
            cells += [(1, c) for c in range(first, last + 1)]
            continue
        ends = part.split(":")
        corners = []
        for end in ends:
            match = _CELL.match(end)
            if not match:
                raise excel_error("Method 'Range' of object '_Worksheet' failed")
            corners.append((int(match.group(2)), column_index_from_string(match.group(1))))
        (r1, c1), (r2, c2) = corners[0], corners[-1]
        cells += [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return cells


def _resolve(reference: str) -> tuple[str, list[tuple[int, int]]]:
    sheet, _, cells = reference.lstrip("=").rpartition("!")
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, _cells_of(cells.replace("$", ""))


_UNKNOWN = object()
_CALL = re.compile(r"^=(XP_[A-Z_]+)\((.*)\)$", re.DOTALL)
_HYPERLINK = re.compile(r'^=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$')


def _split_arguments(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current or parts:
        parts.append(current)
    return parts


def _evaluate(book: Book, formula: str, names: dict[str, str]) -> object:
    """What Excel (with xlwings reachable) computes for a HYPERLINK or a single xl-perf UDF call; else unknown."""
    link = _HYPERLINK.match(formula)
    if link:
        return link.group(2).replace('""', '"')
    call = _CALL.match(formula)
    if not call:
        return _UNKNOWN
    from xl_perf.excel.udfs import REGISTRY

    spec = REGISTRY.get(call.group(1))
    if spec is None or spec.function is None:
        return "#NAME?"
    arguments: list[object] = []
    for part in _split_arguments(call.group(2)):
        part = part.strip()
        if part.startswith('"') and part.endswith('"'):
            arguments.append(part[1:-1].replace('""', '"'))
        elif part in names:
            sheet, cells = _resolve(names[part])
            value = _com_value(book.value_of(sheet, *cells[0]))
            arguments.append(None if value == "" else value)
        else:
            return _UNKNOWN
    result = spec.function(*arguments)
    return float(result) if isinstance(result, int) and not isinstance(result, bool) else result


def _store_cached_values(path: Path, wb: Any, cached: dict[tuple[str, int, int], object]) -> None:
    """openpyxl writes formulas without results; Excel's SaveCopyAs writes each formula's cached value too."""
    parts = {f"xl/worksheets/sheet{i}.xml": ws.title for i, ws in enumerate(wb.worksheets, 1)}
    pattern = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*)><f([^>]*)>(.*?)</f><v\s*(?:/>|></v>)</c>', re.DOTALL)
    scratch = Path(tempfile.mkdtemp())
    try:
        rebuilt = scratch / "copy.zip"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                sheet = parts.get(info.filename)
                if sheet is not None:

                    def fill(match: re.Match[bytes], sheet: str = sheet) -> bytes:
                        col, row, attrs, fattrs, text = match.groups()
                        value = cached.get((sheet, int(row), column_index_from_string(col.decode())))
                        attrs = re.sub(rb'\st="[^"]*"', b"", attrs)
                        head = b'<c r="' + col + row + b'"' + attrs
                        formula = b"<f" + fattrs + b">" + text + b"</f>"
                        if value is None:
                            return head + b">" + formula + b"</c>"
                        if isinstance(value, bool):
                            return head + b' t="b">' + formula + b"<v>" + (b"1" if value else b"0") + b"</v></c>"
                        if isinstance(value, int | float):
                            return head + b">" + formula + b"<v>" + repr(float(value)).encode() + b"</v></c>"
                        encoded = escape(str(value)).encode("utf-8")
                        return head + b' t="str">' + formula + b"<v>" + encoded + b"</v></c>"

                    data = pattern.sub(fill, data)
                target.writestr(info, data)
        shutil.move(str(rebuilt), str(path))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- running the workbook's own macros ------------------------------------------------------------------------------


def vba_modules(path: Path) -> dict[str, str]:
    """The VBA modules of a workbook file as oletools reads them back: module name -> source."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {Path(stream).name: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


_PROCEDURE = re.compile(r"^(?:Public |Private )?Sub (\w+)\(([^)]*)\)\s*$(.*?)^End Sub", re.MULTILINE | re.DOTALL)
_RUN_PYTHON = re.compile(r'^RunPython\s+"((?:[^"]|"")*)"\s*$')
_MACRO_OPTIONS = re.compile(r'^Application\.MacroOptions Macro:=.*?!(\w+)", Description:="((?:[^"]|"")*)"')


class AddIn(_Opened):
    """An open add-in (.xlam) as RunPython's caller sees it: its ribbon callbacks run with ThisWorkbook = the add-in."""

    def __init__(self, app: App, name: str = "xl-perf.xlam") -> None:
        super().__init__(app, name)


@contextlib.contextmanager
def acting_as_excel(caller: Book | AddIn) -> Iterator[None]:
    """While Python code runs "inside" this Excel, as RunPython runs it: xlwings.Book.caller() is the workbook whose
    VBA called RunPython (xlwings sets it to ThisWorkbook: for a ribbon callback, the add-in), and
    pywintypes.com_error is this module's com_error (as pywin32 provides it). xlwings' own `xlwings.books` is left
    alone: on this machine it reaches no Excel, so code that went around the caller would fail here."""
    import xlwings

    fake_pywintypes = types.ModuleType("pywintypes")
    fake_pywintypes.com_error = com_error  # type: ignore[attr-defined]
    saved_caller = xlwings.Book.__dict__["caller"]
    saved_module = sys.modules.get("pywintypes")
    xlwings.Book.caller = classmethod(lambda cls: caller)  # type: ignore[assignment,method-assign]
    sys.modules["pywintypes"] = fake_pywintypes
    try:
        yield
    finally:
        xlwings.Book.caller = saved_caller  # type: ignore[method-assign]
        if saved_module is None:
            sys.modules.pop("pywintypes", None)
        else:
            sys.modules["pywintypes"] = saved_module


class VbaRunner:
    """Carries out the statements of the project's macros that xl-perf's button and ribbon modules use."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.procedures: dict[str, tuple[str, str]] = {}
        for source in vba_modules(book._path).values():
            for name, params, body in _PROCEDURE.findall(source):
                self.procedures[name.lower()] = (params, body)

    def run(self, macro: str, depth: int = 0) -> None:
        found = self.procedures.get(macro.lower())
        if found is None or depth > 5:
            raise excel_error(
                f"Cannot run the macro '{macro}'. The macro may not be available in this workbook or "
                "all macros may be disabled."
            )
        _, body = found
        for raw in body.splitlines():
            line = raw.split(" '", 1)[0].strip() if not raw.strip().startswith("'") else ""
            if not line or line.startswith("On Error") or line.startswith("Dim "):
                continue
            python = _RUN_PYTHON.match(line)
            options = _MACRO_OPTIONS.match(line)
            if python:
                with acting_as_excel(caller=self.book):
                    exec(python.group(1).replace('""', '"'), {"__name__": "__xlwings_runpython__"})
            elif options:
                self.book._app.registered[options.group(1)] = options.group(2).replace('""', '"')
            elif re.fullmatch(r"\w+", line) and line.lower() in self.procedures:
                self.run(line, depth + 1)
            else:
                raise NotImplementedError(f"the stand-in does not interpret the VBA statement: {line}")

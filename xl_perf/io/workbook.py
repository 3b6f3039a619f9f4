"""One interface to a workbook's cells, with interchangeable engines.

- `FileWorkbook`: a file on disk, read-only. Values come from python-calamine (fast, cached results as saved);
  defined names and "is this cell a formula" from openpyxl in read-only mode (calamine exposes neither).
  `read_snapshot` takes those two from the scan `guard.inspect` makes anyway, when it can, skipping openpyxl.
- `SnapshotWorkbook`: a JSON snapshot, so logic above this layer is tested without any spreadsheet file.
- The live Excel engine (xlwings) implements the same protocol in the Excel integration.

Every engine reads a named region (`region`) and is closed (`close`, or use it as a context manager) the same way;
each reads a region from what it holds (a grid, a dictionary, a copy), so no caller switches on its type.

Positions are 0-based (row, col). A cell's value is str, float, int, bool, datetime/date or None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from xl_perf.errors import BadInputError, Location, describe_os_error
from xl_perf.io.cells import address, col_index, parse_address, quote_sheet, range_address

if TYPE_CHECKING:
    from xl_perf.io.guard import PackageFacts

CellValue = str | float | int | bool | dt.date | dt.datetime | None
_Book = TypeVar("_Book", bound="Closing")
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class NameTarget:
    sheet: str
    first: tuple[int, int]
    last: tuple[int, int]


def parse_reference(text: str) -> NameTarget | None:
    return _parse_reference(text)


# Every workbook of a template defines the same names at the same places: the same few hundred reference texts are
# parsed for every file of a batch. The result is immutable (a frozen NameTarget), so one may be shared.
@functools.lru_cache(maxsize=4096)
def _parse_reference(text: str) -> NameTarget | None:
    match = _REF.match(text.strip().lstrip("="))
    if not match:
        return None
    quoted, plain, c1, r1, c2, r2 = match.groups()
    sheet = quoted.replace("''", "'") if quoted is not None else plain
    first = (int(r1) - 1, col_index(c1))
    last = (int(r2) - 1, col_index(c2)) if c2 else first
    return NameTarget(sheet, first, last)


class WorkbookData(Protocol):
    source: str

    def sheet_names(self) -> list[str]: ...
    def value(self, sheet: str, row: int, col: int) -> CellValue: ...
    def names(self) -> dict[str, NameTarget]: ...
    def is_formula(self, sheet: str, row: int, col: int) -> bool: ...

    def region(self, target: NameTarget, width: int | None = None) -> Iterator[tuple[int, list[CellValue]]]:
        """Rows of a named region: (row index, values of its columns), each list as wide as the region or, when
        given, `width` columns (the ones the caller reads).

        A declared range is clipped to the sheet's real extent where the engine knows it: rows after the last
        filled row of the sheet are blank and not yielded, so a name covering A7:AE99999999 costs what the sheet
        holds, not what the name claims. A region wider than `MAX_REGION_COLS` (after `width`) is refused."""
        ...

    def close(self) -> None: ...
    def __enter__(self) -> WorkbookData: ...
    def __exit__(self, *exc: object) -> None: ...


MAX_REGION_COLS = 1_000  # as guard.Limits.max_cols: no template region is nearly this wide


def region_bounds(source: str, target: NameTarget, width: int | None, rows: int | None) -> tuple[int, int, int, int]:
    """(r1, c1, r2, c2) of the cells `region` reads: `width` columns at most, rows clipped to the sheet's `rows`
    (None: unknown, Excel's row limit); a region too wide is refused (see `WorkbookData.region`)."""
    (r1, c1), (r2, c2) = target.first, target.last
    if width is not None:
        c2 = min(c2, c1 + width - 1)
    if c2 - c1 + 1 > MAX_REGION_COLS:
        raise BadInputError(
            f"定义名称的区域过宽（{c2 - c1 + 1} 列，上限 {MAX_REGION_COLS} 列），工作簿可能被改动过",
            Location(file=source, sheet=target.sheet),
        )
    r2 = min(r2, rows - 1) if rows is not None else min(r2, r1 + 1_048_575)  # else Excel's row limit
    return r1, c1, r2, c2


def region_by_value(
    book: WorkbookData, target: NameTarget, width: int | None = None, rows: int | None = None
) -> Iterator[tuple[int, list[CellValue]]]:
    """`region` read cell by cell through `value` (for an engine that has nothing faster), clipped to `rows`."""
    r1, c1, r2, c2 = region_bounds(book.source, target, width, rows)
    for row in range(r1, r2 + 1):
        yield row, [book.value(target.sheet, row, col) for col in range(c1, c2 + 1)]


class Closing:
    """`with book:` closes it. For the engines that hold nothing to release, closing is a no-op."""

    def close(self) -> None:
        return None

    def __enter__(self: _Book) -> _Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WritableWorkbook(WorkbookData, Protocol):
    """A workbook the in-Excel actions may write to, only in the cells and sheets the tool owns.

    `set_fills` takes every colour change of one action at once (cell -> colour, None for no fill), so a live
    workbook can apply them in a few batched calls and lift and restore each sheet's protection once;
    `unpaintable` names the sheets it cannot colour (protected with a password). `fills_of` gives the fills of
    cells as text (None, "#RRGGBB" or the fuller form of `xl_perf.io.formatting`); `write_tool_cells` writes a block
    of values into a sheet the tool owns (its hidden _xlperf sheet)."""

    def replace_sheet(self, name: str, rows: list[list[CellValue]], links: dict[tuple[int, int], str]) -> None: ...
    def fills_of(self, cells: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], str | None]: ...
    def write_tool_cells(self, sheet: str, top: int, left: int, rows: list[list[CellValue]]) -> None: ...
    def unpaintable(self, sheets: list[str]) -> list[str]: ...
    def set_fills(self, fills: dict[tuple[str, int, int], str | None]) -> None: ...
    def save_copy(self, folder: Path) -> WorkbookData: ...
    def alert(self, message: str) -> None: ...

    @property
    def folder(self) -> Path: ...


@dataclass
class SnapshotWorkbook(Closing):
    """A workbook as plain data: {"sheets": {name: {"A1": value}}, "names": {name: "'Sheet'!$A$1"},
    "formulas": {name: ["B2", ...]}}."""

    sheets: dict[str, dict[tuple[int, int], CellValue]]
    defined: dict[str, NameTarget] = field(default_factory=dict)
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    source: str = "snapshot"

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        cells = self.sheets.get(sheet)
        return None if cells is None else cells.get((row, col))

    def names(self) -> dict[str, NameTarget]:
        return dict(self.defined)

    def is_formula(self, sheet: str, row: int, col: int) -> bool:
        return (row, col) in self.formulas.get(sheet, set())

    def row_count(self, sheet: str) -> int:
        """How many rows of `sheet` hold anything (the index of its last filled row + 1), kept while unchanged."""
        cells = self.sheets.get(sheet, {})
        key = (sheet, id(cells), len(cells))
        cache = self.__dict__.setdefault("_row_counts", {})
        if key not in cache:
            cache[key] = 1 + max((r for r, _ in cells), default=-1)
        return cache[key]

    def region(self, target: NameTarget, width: int | None = None) -> Iterator[tuple[int, list[CellValue]]]:
        r1, c1, r2, c2 = region_bounds(self.source, target, width, self.row_count(target.sheet))
        get = self.sheets.get(target.sheet, {}).get  # the cells directly, not through value()
        columns = range(c1, c2 + 1)
        for row in range(r1, r2 + 1):
            yield row, [get((row, col)) for col in columns]

    # --- the writable side, for testing the in-Excel actions ---------------------------------------------------

    fills: dict[tuple[str, int, int], str | None] = field(default_factory=dict)
    links: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    location: Path = Path(".")

    def replace_sheet(self, name: str, rows: list[list[CellValue]], links: dict[tuple[int, int], str]) -> None:
        self.sheets[name] = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v not in (None, "")}
        self.formulas.pop(name, None)
        self.links[name] = dict(links)

    def fills_of(self, cells: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], str | None]:
        return {cell: self.fills.get(cell) for cell in cells}

    def write_tool_cells(self, sheet: str, top: int, left: int, rows: list[list[CellValue]]) -> None:
        cells = self.sheets.setdefault(sheet, {})
        for r, line in enumerate(rows):
            for c, value in enumerate(line):
                if value in (None, ""):
                    cells.pop((top + r, left + c), None)
                else:
                    cells[(top + r, left + c)] = value

    def unpaintable(self, sheets: list[str]) -> list[str]:
        """The sheets whose cells cannot be coloured (a snapshot knows no protection: none)."""
        return []

    def set_fills(self, fills: dict[tuple[str, int, int], str | None]) -> None:
        self.fills.update(fills)

    def save_copy(self, folder: Path) -> WorkbookData:
        copy = SnapshotWorkbook.from_json(self.to_json(), source=str(folder / "copy.json"))
        return copy

    def alert(self, message: str) -> None:
        self.alerts.append(message)

    @property
    def folder(self) -> Path:
        return self.location

    @classmethod
    def from_json(cls, text: str, source: str = "snapshot") -> SnapshotWorkbook:
        data = json.loads(text)
        sheets = {
            name: {_cell(ref): _json_cell(value) for ref, value in cells.items()}
            for name, cells in data["sheets"].items()
        }
        names = {k: t for k, v in data.get("names", {}).items() if (t := parse_reference(v)) is not None}
        formulas = {name: {_cell(ref) for ref in refs} for name, refs in data.get("formulas", {}).items()}
        return cls(sheets, names, formulas, source)

    def to_json(self) -> str:
        def ref(row: int, col: int) -> str:
            return address(row, col)

        def name_ref(target: NameTarget) -> str:
            return f"{quote_sheet(target.sheet)}!{range_address(*target.first, *target.last)}"

        data = {
            "sheets": {
                n: {ref(r, c): _to_json_cell(v) for (r, c), v in sorted(cells.items())}
                for n, cells in self.sheets.items()
            },
            "names": {k: name_ref(v) for k, v in sorted(self.defined.items())},
            "formulas": {n: sorted(ref(r, c) for r, c in cells) for n, cells in self.formulas.items()},
        }
        return json.dumps(data, ensure_ascii=False, indent=1)


def _filled(value: CellValue) -> bool:
    return value != "" and value is not None  # `value not in ("", None)`, without comparing a number to both


def _cells_of(grid: list[list[CellValue]]) -> dict[tuple[int, int], CellValue]:
    """The filled cells of a python-calamine grid, as a snapshot keeps them."""
    return {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if v != "" and v is not None}


class _GridWorkbook(SnapshotWorkbook):
    """A snapshot whose cells are still the grids python-calamine read (blank cells as ""), which is what
    `read_snapshot` returns: checking a workbook looks up a few hundred of its cells, fewer than the dictionary of all
    of them would take to build. The dictionary (`sheets`) is built on first use, and from then on this is a plain
    snapshot. Copied, pickled, compared and shown as the plain `SnapshotWorkbook` it stands for."""

    def __init__(
        self,
        grids: dict[str, list[list[CellValue]]],
        defined: dict[str, NameTarget],
        formulas: dict[str, set[tuple[int, int]]],
        source: str,
    ) -> None:
        # Every field but `sheets`, which __getattr__ builds from the grids when it is first asked for.
        self.grids = grids
        self.defined = defined
        self.formulas = formulas
        self.source = source
        self.fills = {}
        self.links = {}
        self.alerts = []
        self.location = Path(".")

    def __getattr__(self, name: str) -> object:
        if name != "sheets" or "grids" not in self.__dict__:
            raise AttributeError(name)
        sheets = {sheet: _cells_of(grid) for sheet, grid in self.grids.items()}
        self.sheets = sheets
        return sheets

    @property
    def unbuilt(self) -> bool:
        """The cells are only in the grids (`sheets` not yet built, so not changed either)."""
        return "sheets" not in self.__dict__

    def sheet_names(self) -> list[str]:
        return list(self.grids) if self.unbuilt else SnapshotWorkbook.sheet_names(self)

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        if not self.unbuilt:
            return SnapshotWorkbook.value(self, sheet, row, col)
        grid = self.grids.get(sheet)
        if grid is None or not 0 <= row < len(grid):
            return None
        line = grid[row]
        if not 0 <= col < len(line):
            return None
        value = line[col]
        return None if value == "" else value

    def region(self, target: NameTarget, width: int | None = None) -> Iterator[tuple[int, list[CellValue]]]:
        if not self.unbuilt:
            yield from SnapshotWorkbook.region(self, target, width)
            return
        yield from grid_region(self.grids.get(target.sheet), self, target, width)

    def plain(self) -> SnapshotWorkbook:
        return SnapshotWorkbook(
            self.sheets, self.defined, self.formulas, self.source, self.fills, self.links, self.alerts, self.location
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _GridWorkbook):
            return self.plain() == other.plain()
        if isinstance(other, SnapshotWorkbook):
            return self.plain() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.plain())

    def __reduce__(self) -> tuple[type[SnapshotWorkbook], tuple[object, ...]]:
        plain = self.plain()
        return SnapshotWorkbook, tuple(getattr(plain, f.name) for f in dataclasses.fields(SnapshotWorkbook))


def _cell(ref: str) -> tuple[int, int]:
    return parse_address(ref)


def _json_cell(value: object) -> CellValue:
    if isinstance(value, dict) and "date" in value:
        return dt.date.fromisoformat(value["date"])
    return value  # type: ignore[return-value]


def _to_json_cell(value: CellValue) -> object:
    if isinstance(value, dt.datetime):
        return {"date": value.date().isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


@dataclass(frozen=True)
class SheetProtection:
    """A protected sheet's options, as the arguments of Excel's Worksheet.Protect that put them back exactly.
    (In the file a set attribute such as formatCells="1" means "locked"; Excel's Allow* arguments say the opposite.)"""

    arguments: tuple[tuple[str, bool], ...]
    has_password: bool

    def protect_arguments(self) -> dict[str, bool]:
        return {"Contents": True, **dict(self.arguments)}

    def allows(self, argument: str) -> bool:
        return dict(self.arguments).get(argument, False)


@dataclass(frozen=True)
class SheetFormat:
    """What the in-Excel actions need to know of a sheet's formatting: its protection and the fills (as text, see
    `xl_perf.io.formatting`) of the cells they asked about."""

    protection: SheetProtection | None
    fills: dict[tuple[int, int], str]


class FileWorkbook(Closing):
    """A workbook file, opened read-only. The file is never written."""

    def __init__(self, path: str | Path) -> None:
        from python_calamine import CalamineWorkbook

        self.path = Path(path)
        self.source = str(path)
        try:
            self._book = CalamineWorkbook.from_path(str(self.path))
        except OSError as exc:
            raise BadInputError(f"无法读取文件：{describe_os_error(exc)}", Location(file=self.source)) from None
        except Exception as exc:  # calamine raises its own error types for damaged or encrypted files
            raise BadInputError(f"无法作为 .xlsx 工作簿读取：{exc}", Location(file=self.source)) from None
        self._values: dict[str, list[list[CellValue]]] = {}
        self._names: dict[str, NameTarget] | None = None
        self._formulas: dict[str, set[tuple[int, int]]] = {}
        self._closed = False

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def grid(self, sheet: str) -> list[list[CellValue]]:
        """Every row of the sheet from A1 as python-calamine reads it (blank cells as ""), kept for later calls."""
        if sheet not in self._values:
            try:
                data = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:
                raise BadInputError(f"无法读取工作表：{exc}", Location(file=self.source, sheet=sheet)) from None
            # Typed as CellValue, which leaves out the time and timedelta calamine gives for time-formatted cells.
            self._values[sheet] = data  # type: ignore[assignment]
        return self._values[sheet]

    def value(self, sheet: str, row: int, col: int) -> CellValue:
        grid = self.grid(sheet)
        if not (0 <= row < len(grid) and 0 <= col < len(grid[row])):
            return None
        value = grid[row][col]
        return None if value == "" else value

    def _load_openpyxl(self) -> None:
        if self._names is not None:
            return
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, keep_links=False, data_only=False)
        except Exception as exc:
            raise BadInputError(f"无法读取工作簿的名称与公式：{exc}", Location(file=self.source)) from None
        try:
            names: dict[str, NameTarget] = {}
            for name, definition in book.defined_names.items():
                target = parse_reference(definition.attr_text or "")
                if target is not None:
                    names[name] = target
            self._names = names
            self._book_openpyxl = book
        except Exception:
            book.close()
            raise

    def names(self) -> dict[str, NameTarget]:
        self._load_openpyxl()
        assert self._names is not None
        return dict(self._names)

    def is_formula(self, sheet: str, row: int, col: int) -> bool:
        if sheet not in self._formulas:
            self._load_openpyxl()
            cells: set[tuple[int, int]] = set()
            try:
                worksheet = self._book_openpyxl[sheet]
                for values in worksheet.iter_rows():
                    for cell in values:
                        if getattr(cell, "data_type", None) == "f" and cell.row and cell.column:
                            cells.add((cell.row - 1, cell.column - 1))
            except Exception as exc:  # openpyxl parses the sheet only now: damaged XML surfaces here
                raise BadInputError(
                    f"无法读取工作表的公式（工作簿内部 XML 损坏：{type(exc).__name__}），"
                    "请在 Excel/WPS 中打开后另存再试",
                    Location(file=self.source, sheet=sheet),
                ) from None
            self._formulas[sheet] = cells
        return (row, col) in self._formulas[sheet]

    def region(self, target: NameTarget, width: int | None = None) -> Iterator[tuple[int, list[CellValue]]]:
        try:
            grid = self.grid(target.sheet)
        except BadInputError:
            grid = []  # a sheet that cannot be read has nothing in the region (as `value` would fail on its cells)
        yield from grid_region(grid, self, target, width)

    def close(self) -> None:
        """Release the file (a second close does nothing)."""
        book = self.__dict__.pop("_book_openpyxl", None)
        if book is not None:
            book.close()
        if not self._closed:
            self._closed = True
            self._book.close()


def grid_region(
    grid: list[list[CellValue]] | None, book: WorkbookData, target: NameTarget, width: int | None
) -> Iterator[tuple[int, list[CellValue]]]:
    """`region` of a sheet held as python-calamine's grid (blank cells as ""; None: no such sheet)."""
    r1, c1, r2, c2 = region_bounds(book.source, target, width, 0 if grid is None else len(grid))
    for row in range(r1, r2 + 1):
        line = grid[row] if grid is not None and 0 <= row < len(grid) else []
        if c1 >= 0 and c2 < len(line):
            yield row, [None if v == "" else v for v in line[c1 : c2 + 1]]
        elif c1 >= 0:  # partly or wholly right of the grid: the cells beyond its width are blank
            part = [None if v == "" else v for v in line[c1 : c2 + 1]]
            yield row, part + [None] * (c2 - c1 + 1 - len(part))
        else:  # left of the grid too (no name points there): as `value` reads those cells
            cells = (line[col] if 0 <= col < len(line) else "" for col in range(c1, c2 + 1))
            yield row, [None if v == "" else v for v in cells]


def read_snapshot(path: Path, facts: PackageFacts | None = None) -> SnapshotWorkbook:
    """Everything the readers need from a workbook file: values of every sheet (python-calamine), defined names and
    which cells hold formulas. Names and formulas come from the scan of `guard.inspect` when it could follow the
    file's XML (`facts`), else from openpyxl in read-only mode."""
    with FileWorkbook(path) as book:
        formulas: dict[str, set[tuple[int, int]]] = {}
        known = facts.formulas if facts is not None else None
        if known is not None and not set(book.sheet_names()) <= set(known):
            known = None
        grids = {sheet: book.grid(sheet) for sheet in book.sheet_names()}
        if known is not None and facts is not None:
            for sheet, grid in grids.items():
                # The formula cells that hold a value, as in the cells a plain snapshot keeps.
                formulas[sheet] = {
                    (r, c)
                    for r, c in known[sheet]
                    if 0 <= r < len(grid) and 0 <= c < len(grid[r]) and _filled(grid[r][c])
                }
            names = {k: t for k, v in facts.names.items() if (t := parse_reference(v)) is not None}
            return _GridWorkbook(grids, names, formulas, str(path))
        sheets = {sheet: _cells_of(grid) for sheet, grid in grids.items()}
        for sheet, cells in sheets.items():
            formulas[sheet] = {cell for cell in cells if book.is_formula(sheet, *cell)}
        return SnapshotWorkbook(sheets, book.names(), formulas, str(path))


def snapshot_json(path: Path) -> str:
    """`read_snapshot` as JSON text (the fixture format of the tests)."""
    return read_snapshot(path).to_json()


def open_untrusted(path: Path) -> SnapshotWorkbook:
    """A user's workbook, checked for hostile content (size, zip bomb, XML entities, encryption, .xls/.et, sheet
    extent) and parsed in a memory-capped child process, so a reader crash cannot take the caller down."""
    from xl_perf.io import guard

    path = Path(path)
    facts = guard.inspect(path)
    return guard.run_in_child(path, functools.partial(read_snapshot, facts=facts))


def read_checked(path: Path) -> SnapshotWorkbook:
    """`open_untrusted` without the child process, for callers that are themselves a disposable, memory-capped
    worker process (the batch check): the same inspection, then the same reading in this process."""
    from xl_perf.io import guard

    path = Path(path)
    return read_snapshot(path, guard.inspect(path))

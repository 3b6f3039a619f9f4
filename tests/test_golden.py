"""Golden workbooks, compared XML part by XML part (tests/xml_parts.py), so a difference names the part and element:

- the workbooks committed under workbooks/ against a fresh generation (XlsxWriter's output, which must not drift
  from what is shipped; regenerate with `python -m xl_perf.template.regenerate`);
- reference workbooks under tests/golden/ (templates of every framework and a filled sample, made by xl-perf and
  re-saved by LibreOffice, which recalculates them on load) against today's, re-saved the same way: what the user's
  spreadsheet program makes of our files, formulas' results included. After an intended change, update them with
  `python -m tests.test_golden` and review the diff of the parts (`unzip -p tests/golden/X.xlsx xl/...`).
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, require_tool
from tests.xml_parts import assert_same_parts, local
from xl_perf.io import libreoffice
from xl_perf.model import document
from xl_perf.rules import loader
from xl_perf.template import generate, regenerate

GOLDEN = ROOT / "tests" / "golden"
# Pinned, so that moving regenerate.TEMPLATE_YEAR does not by itself change the references.
GOLDEN_YEAR = 2026
GOLDEN_SAMPLE = "gangmen-2022-zhengti"
REGENERATE = "run: python -m xl_perf.template.regenerate"
UPDATE = "if the change is intended, update the references: python -m tests.test_golden"

COMMITTED = regenerate.expected_files()


def golden_inputs() -> dict[str, document.Document]:
    """The reference workbooks' sources, by file stem: each framework's blank county template and one filled sample."""
    inputs = {
        f"{framework}-{GOLDEN_YEAR}": document.empty(framework, GOLDEN_YEAR, "县", "")
        for framework in loader.available()
    }
    inputs[GOLDEN_SAMPLE] = document.load_path(SAMPLES / f"{GOLDEN_SAMPLE}.json")
    return inputs


def resave(folder: Path) -> dict[str, Path]:
    """Today's reference workbooks: generated into `folder`, then re-saved by LibreOffice (one session for all)."""
    made = folder / "xl-perf"
    made.mkdir()
    sources = []
    for stem, doc in golden_inputs().items():
        path = made / f"{stem}.xlsx"
        generate.write_workbook(doc, path)
        sources.append(path)
    outputs = libreoffice.converter(folder).convert(sources, "xlsx", folder / "libreoffice")
    return {path.stem: path for path in outputs}


def saved_by(path: Path) -> str:
    """The program that saved the workbook, as its docProps/app.xml names it."""
    from defusedxml import ElementTree as SafeTree

    with zipfile.ZipFile(path) as package:
        root = SafeTree.fromstring(package.read("docProps/app.xml"))
    return next((e.text or "" for e in root if local(e.tag) == "Application"), "?")


@pytest.mark.parametrize("target", sorted(COMMITTED), ids=lambda p: p.relative_to(regenerate.ROOT).as_posix())
def test_committed_workbook_is_current(target: Path, tmp_path: Path) -> None:
    assert target.is_file(), f"{target} is missing; {REGENERATE}"
    fresh = tmp_path / target.name
    generate.write_workbook(COMMITTED[target], fresh)
    assert_same_parts(target, fresh, remedy=REGENERATE)


def test_every_committed_workbook_is_generated() -> None:
    """No workbook under workbooks/ that the regeneration would not remake (it would go stale unnoticed)."""
    assert sorted(regenerate.ROOT.rglob("*.xlsx")) == sorted(COMMITTED)


@pytest.fixture(scope="module")
def resaved_now(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_tool("soffice")
    return resave(tmp_path_factory.mktemp("golden"))


def test_every_reference_has_a_source() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.xlsx")) == sorted(golden_inputs()), UPDATE


@pytest.mark.parametrize("stem", sorted(golden_inputs()))
def test_libreoffice_resave_matches_the_reference(stem: str, resaved_now: dict[str, Path]) -> None:
    reference = GOLDEN / f"{stem}.xlsx"
    assert reference.is_file(), f"{reference} is missing; {UPDATE}"
    now = resaved_now[stem]
    remedy = UPDATE
    if saved_by(reference) != saved_by(now):
        remedy += f"\n(the reference was saved by {saved_by(reference)}, this run by {saved_by(now)})"
    assert_same_parts(reference, now, remedy=remedy)


def update() -> None:
    """Rewrite tests/golden/ from today's templates (run from the repository root)."""
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        made = resave(Path(scratch))
        for old in GOLDEN.glob("*.xlsx"):
            if old.stem not in made:
                old.unlink()
        for stem, path in made.items():
            (GOLDEN / f"{stem}.xlsx").write_bytes(path.read_bytes())
            print(f"updated: {(GOLDEN / f'{stem}.xlsx').relative_to(ROOT)} ({saved_by(path)})")


if __name__ == "__main__":
    update()
    sys.exit(0)

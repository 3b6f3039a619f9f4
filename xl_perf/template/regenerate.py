"""Regenerate the workbooks committed under workbooks/: the blank templates of the coming evaluation year for every
framework, and the seed samples as filled .xlsx. Run after changing a rule pack or the template code:

    python -m xl_perf.template.regenerate            # writes workbooks/blank/*.xlsx and workbooks/samples/*.xlsx
    python -m xl_perf.template.regenerate --check    # exit 1 when a committed workbook is stale
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from xl_perf.model import document
from xl_perf.rules import loader
from xl_perf.template import generate

# The evaluation year whose forms accountants fill next spring (FY2026 self-evaluations are filed in 2027).
TEMPLATE_YEAR = 2026
ROOT = Path(__file__).resolve().parents[2] / "workbooks"


def expected_files(root: Path = ROOT) -> dict[Path, document.Document]:
    files: dict[Path, document.Document] = {}
    for framework in loader.available():
        files[root / "blank" / f"{framework}-{TEMPLATE_YEAR}.xlsx"] = document.empty(framework, TEMPLATE_YEAR, "县", "")
    for sample in sorted((root / "samples").glob("*.json")) + sorted((root / "samples" / "corrected").glob("*.json")):
        if sample.name.startswith("."):
            continue  # the ownership record safe_write keeps beside the workbooks it made, not a sample
        files[sample.with_suffix(".xlsx")] = document.load_path(sample)
    return files


def regenerate(root: Path = ROOT) -> list[Path]:
    (root / "blank").mkdir(exist_ok=True)
    written = []
    for target, doc in expected_files(root).items():
        generate.write_workbook(doc, target, overwrite=True)  # the committed files, made by this very script
        written.append(target)
    return written


def stale(root: Path = ROOT) -> list[Path]:
    """Committed workbooks whose bytes differ from a fresh generation (or that are missing)."""
    result = []
    with tempfile.TemporaryDirectory() as scratch:
        for target, doc in expected_files(root).items():
            fresh = Path(scratch) / target.name
            generate.write_workbook(doc, fresh)
            if not target.exists() or target.read_bytes() != fresh.read_bytes():
                result.append(target)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="重新生成 workbooks/ 下的空白模板和样例工作簿")
    parser.add_argument("--check", action="store_true", help="只检查是否过期，不写文件")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale()
        for path in outdated:
            print(f"已过期：{path}")
        return 1 if outdated else 0
    for path in regenerate():
        print(f"已生成：{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

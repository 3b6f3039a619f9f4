"""Documents of each of the four frameworks for the tests of the printed submission (tests/test_export_print.py).

- gd-county-zhengti: the corrected 港门镇 2022 filing with one 表彰 (+1 加减分) and no stated total, and the same
  filing without managed transfers and without subordinate budgets (资金下达合法性 not applicable: its 3 points move
  to 支出完成率);
- gd-county-xiangmu: the corrected 港门镇 project filing;
- mof-zhengti: 资源镇 2023;
- mof-xiangmu: a project filing from the batch corpus;
and a blank document of every framework (what `xl-perf new` writes), exported with --force.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import batch_corpus
from tests.conftest import sample_data
from xl_perf.model import document
from xl_perf.template import generate, sources

FRAMEWORKS = ("gd-county-zhengti", "gd-county-xiangmu", "mof-zhengti", "mof-xiangmu")


@dataclass(frozen=True)
class PrintCase:
    id: str
    framework: str
    data: dict[str, Any]
    blank: bool = False

    def document(self) -> document.Document:
        return document.from_dict(copy.deepcopy(self.data))

    def workbook(self, folder: Path) -> Path:
        """The workbook a unit would submit for export: the template filled with this document."""
        doc = self.document()
        return generate.write_workbook(doc, folder / sources.file_name(doc))


def gangmen_with_commendation() -> dict[str, Any]:
    """港门镇 2022 with one 表彰: the rules give +1, so the total is 89.09 + 1; no 合计 typed in."""
    data = sample_data("corrected/gangmen-2022-zhengti.json")
    data["fields"]["加减分"] = {"受表彰次数": 1}
    data["scores"]["工作表现加减分指标"] = 1
    del data["stated_total"]
    return data


def gangmen_not_applicable() -> dict[str, Any]:
    """港门镇 2022 without managed transfers and without subordinate budgets: 资金下达合法性 (3) is not applicable and
    its points move to 支出完成率 (4 + 3 = 7), scored 100% of it."""
    data = sample_data("corrected/gangmen-2022-zhengti.json")
    data["fields"]["资金下达"] = {"是否有主管的转移支付资金": "否", "批复下属单位预算情况": "无需批复"}
    data["scores"].pop("资金下达合法性", None)
    data["scores"]["支出完成率"] = 7
    del data["stated_total"]
    return data


def blank(framework: str) -> dict[str, Any]:
    (doc, *_) = generate.new_documents(framework, 2026, "某县某单位", "县", ["某项目"])
    return document.to_dict(doc)


FILLED = (
    PrintCase("gd-county-zhengti-bonus", "gd-county-zhengti", gangmen_with_commendation()),
    PrintCase("gd-county-zhengti-not-applicable", "gd-county-zhengti", gangmen_not_applicable()),
    PrintCase("gd-county-xiangmu", "gd-county-xiangmu", sample_data("corrected/gangmen-2022-xiangmu.json")),
    PrintCase("mof-zhengti", "mof-zhengti", sample_data("ziyuan-2023-zhengti.json")),
    PrintCase("mof-xiangmu", "mof-xiangmu", batch_corpus.project_data("资源县资源镇人民政府", 1, "良")),
)
BLANK = tuple(PrintCase(f"{f}-blank", f, blank(f), blank=True) for f in FRAMEWORKS)
ALL = FILLED + BLANK

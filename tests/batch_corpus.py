"""Filled project workbooks with a known grade, for the batch tests and the batch benchmark.

Each document is a 项目支出绩效自评表 (mof-xiangmu) whose score is fixed by construction: budget execution 100%
(10 points), every indicator met except, for a 良 project, one quantity indicator reached at 50% (25 × 50% = 12.5
points lost: 87.5). The stated scores are the ones the rules give, so the workbook is consistent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from xl_perf.model import document
from xl_perf.template import generate, sources

GRADE_TOTALS = {"优": Decimal("100"), "良": Decimal("87.5")}


def project_data(unit: str, index: int, grade: str, *, year: int = 2023, scored: bool = True) -> dict[str, Any]:
    quantity_actual = "50个" if grade == "良" else "100个"
    quantity_score = 12.5 if grade == "良" else 25
    rows = [
        (("产出指标", "数量指标", f"完成项目{index}建设任务"), "≥100个", quantity_actual, 25, quantity_score),
        (("产出指标", "质量指标", "验收合格率"), "100%", "100%", 25, 25),
        (("效益指标", "社会效益指标", "群众生产生活条件改善"), "有效改善", "有效改善", 30, 30),
        (("满意度指标", "服务对象满意度指标", "群众满意度"), "≥90%", "95%", 10, 10),
    ]
    indicator_rows = []
    for levels, target, actual, weight, score in rows:
        row: dict[str, object] = dict(zip(("一级指标", "二级指标", "三级指标"), levels, strict=True))
        row.update({"年度指标值": target, "实际完成值": actual, "分值": weight})
        if actual != target and score != weight:
            row["偏差原因分析及改进措施"] = "受汛期影响工期推迟，次年一季度完成"
        if scored:
            row["得分"] = score
        indicator_rows.append(row)
    data: dict[str, Any] = {
        "schema": document.SCHEMA,
        "framework": "mof-xiangmu",
        "unit": unit,
        "year": year,
        "level": "镇",
        "fields": {
            "项目基本情况": {"项目名称": f"{unit}项目{index:04d}", "主管部门": unit, "实施单位": unit},
            "年度总体目标": {"预期目标": "完成年度建设任务", "实际完成情况": "已完成"},
        },
        "tables": {"项目资金": [{"资金来源": "年度资金总额", "年初预算数": 100, "全年预算数": 100, "全年执行数": 100}]},
        "indicator_rows": indicator_rows,
    }
    if scored:
        data["scores"] = {"预算执行率": 10}
        data["stated_total"] = float(GRADE_TOTALS[grade])
    return data


def overall_data(unit: str, projects: int, *, year: int = 2023) -> dict[str, Any]:
    """The unit's 部门整体支出绩效自评表 declaring how many projects it must self-evaluate."""
    return {
        "schema": document.SCHEMA,
        "framework": "mof-zhengti",
        "unit": unit,
        "year": year,
        "level": "镇",
        "fields": {
            "部门基本情况": {"部门（单位）名称": unit},
            "项目自评情况": {"项目支出数量": projects, "自评数量": projects},
        },
    }


def write(data: dict[str, Any], folder: Path) -> Path:
    doc = document.from_dict(data)
    target = folder / sources.file_name(doc)
    return generate.write_workbook(doc, target)


def write_projects(folder: Path, unit: str, grades: list[str], *, year: int = 2023) -> list[Path]:
    return [write(project_data(unit, i, grade, year=year), folder) for i, grade in enumerate(grades, 1)]

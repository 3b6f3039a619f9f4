"""The chapters of a 自评报告 draft, every number taken from the engine's evaluation of the workbooks.

部门整体: 一、单位基本情况 二、绩效目标及完成情况 三、自评工作开展情况 四、自评情况 (结论, 主要指标, 评分表)
五、存在的问题 六、改进措施 七、自评结果应用及公开情况. 项目支出: 一、基本情况 二、绩效自评工作开展情况 三、绩效自评
结果 (结论, 绩效指标完成情况, 评分表) 四、存在的问题和改进措施 五、绩效自评结果拟应用和公开情况.
What only people can write (机构职能, 自评过程, 问题与措施) is a placeholder in 【】.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

from xl_perf.io.docx_writer import Block, Heading, Paragraph, Table
from xl_perf.model.document import Document
from xl_perf.model.evaluation import Evaluation, IndicatorResult
from xl_perf.numbers import format_number, format_percent

_CHAPTERS = "一二三四五六七八九十"
# What the draft puts where only people can write the reason of a deviation (the workbook has none)
REASON_PLACEHOLDER = "【待填写：偏差原因及改进措施；无偏差的写“无”】"


def _text(doc: Document, field_id: str, default: str = "") -> str:
    value = doc.fields.get(field_id)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    iso = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(value).strip())
    if iso:  # dates as the document keeps them: "2023-04-27", "2022-10"
        year, month, day = iso.groups()
        return f"{year}年{int(month)}月" + (f"{int(day)}日" if day else "")
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value).strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def score(value: Decimal) -> str:
    return format_number(value.quantize(Decimal("0.01")))


def _total_sentence(evaluation: Evaluation, subject: str) -> Iterator[Block]:
    yield Paragraph(
        f"经对照评分标准逐项自评，{subject}自评得分 {score(evaluation.total)} 分，等级为{evaluation.grade}。"
    )
    stated = evaluation.stated_total
    if stated is not None and stated != evaluation.total:
        yield Paragraph(
            f"【请核对：工作簿中填报的合计为 {score(stated)} 分，与按评分规则计算的 {score(evaluation.total)} 分不同，"
            "请先改正评分表（可用 xl-perf check 查看逐项差异）】"
        )


def _rates(evaluation: Evaluation) -> Iterator[Block]:
    for rate in evaluation.rates.values():
        if rate.status == "ok" and rate.exact is not None:
            yield Paragraph(f"{rate.name}为 {format_percent(rate.exact)}。计算：{rate.explanation}。")
        else:
            yield Paragraph(f"{rate.name}：【待补全工作簿：{rate.explanation}】")


def _path(result: IndicatorResult) -> str:
    return " / ".join(p for p in result.path if p)


def _brief(rule: str, limit: int = 80) -> str:
    """The rule's explanation, cut after `limit` characters (the workbook's 评分表 has it in full)."""
    rule = " ".join(rule.split())
    return rule if len(rule) <= limit else rule[: limit - 1] + "…"


def scoring_table(evaluation: Evaluation) -> Table:
    rows = [
        (_path(i), format_number(i.weight), score(i.score), _brief(i.rule))
        for i in evaluation.indicators
        if i.weight or i.score
    ]
    if evaluation.bonus:
        rows.append(("加减分项", "", score(evaluation.bonus), "工作表现加减分"))
    rows.append(("合计", "100", score(evaluation.total), f"等级：{evaluation.grade}"))
    return Table(("指标", "分值", "得分", "评分依据"), tuple(rows), (4.6, 1.5, 2.0, 7.5))


def _row_table(doc: Document, evaluation: Evaluation) -> Table | None:
    """The indicator rows as real reports tabulate them, with the form's column of deviation reasons: the unit's
    own words where the workbook has them, a placeholder where only people can write them."""
    if not evaluation.rows:
        return None
    by_index = {row.index: row for row in doc.rows}
    reason_title = (doc.pack.rows.reason if doc.pack.rows is not None else "") or "偏差原因分析及改进措施"
    rows = []
    for result in evaluation.rows:
        row = by_index.get(result.row_index) if result.row_index is not None else None
        reason = " ".join(row.reason.split()) if row else ""
        rows.append(
            (
                _path(result),
                row.target if row else "",
                row.actual if row else "",
                format_number(result.weight),
                score(result.score),
                reason or REASON_PLACEHOLDER,
            )
        )
    columns = ("绩效指标", "目标值", "实际完成值", "分值", "得分", reason_title)
    return Table(columns, tuple(rows), (3.8, 2.4, 2.4, 1.4, 1.4, 4.2))


def _chapter(number: int, title: str) -> Heading:
    return Heading(f"{_CHAPTERS[number - 1]}、{title}", 1)


def _section(number: int, title: str) -> Heading:
    return Heading(f"（{_CHAPTERS[number - 1]}）{title}", 2)


def _signature(doc: Document) -> Iterator[Block]:
    yield Paragraph("")
    yield Paragraph(doc.unit or "【待填写：单位名称】", align="right")
    yield Paragraph(_text(doc, "fill_date", "【待填写：日期】"), align="right")


def overall(doc: Document, evaluation: Evaluation) -> list[Block]:
    """The 部门整体 report."""
    unit, year = doc.unit or "【待填写：单位名称】", doc.year
    blocks: list[Block] = [
        Heading(f"{year}年度整体绩效自评报告", 0),
        Paragraph(f"评价单位：{unit}", align="centre"),
        Paragraph(f"填报日期：{_text(doc, 'fill_date', '【待填写】')}", align="centre"),
        Paragraph(
            f"根据【待填写：自评工作通知的名称及文号】要求，{unit}对{year}年度整体支出开展了绩效自评，"
            "现将自评情况报告如下。"
        ),
        _chapter(1, "单位基本情况"),
        _section(1, "单位概况"),
        Paragraph(
            f"本单位属性为{_text(doc, 'unit_nature', '【待填写】')}，"
            f"下属预算单位：{_text(doc, 'subordinate_units', '无')}。"
        ),
        Paragraph("【待填写：机构设置、主要职能和人员情况（依据“三定”方案和编制数据）】"),
        _section(2, "年度工作任务"),
        Paragraph("【待填写：年度总体工作和重点工作任务】"),
        _chapter(2, "绩效目标及完成情况"),
        _section(1, "整体绩效目标"),
        *[Paragraph(line) for line in _lines(_text(doc, "overall_goal", "【待填写：整体绩效（总）目标】"))],
        _section(2, "目标完成情况"),
        *[Paragraph(line) for line in _lines(_text(doc, "overall_goal_result", "【待填写：目标完成情况】"))],
        Paragraph(f"未完成原因分析：{_text(doc, 'unfinished_reason', '【待填写】')}"),
        _chapter(3, "自评工作开展情况"),
        Paragraph("【待填写：自评工作小组的组成（组长、副组长、成员）、自评过程、材料报送时间及质量】"),
        _chapter(4, "自评情况"),
        _section(1, "自评结论"),
        *_total_sentence(evaluation, f"{unit}{year}年度整体绩效"),
        _section(2, "主要指标情况"),
        *_rates(evaluation),
        _section(3, "评分情况"),
        scoring_table(evaluation),
        _chapter(5, "存在的问题"),
        Paragraph("【待填写：自评发现的问题（预算编制、执行、监督、效益各方面），如实说明原因】"),
        _chapter(6, "改进措施"),
        Paragraph("【待填写：针对上述问题的改进措施】"),
        _chapter(7, "自评结果应用及公开情况"),
        Paragraph(f"自评材料是否公开：{_text(doc, 'selfeval_published', '【待填写】')}。"),
        Paragraph("【待填写：自评结果在预算安排、改进管理等方面的应用】"),
        *_signature(doc),
    ]
    return blocks


def project(doc: Document, evaluation: Evaluation) -> list[Block]:
    """The 项目支出 report of one project."""
    name = _text(doc, "project_name", "【待填写：项目名称】")
    unit = doc.unit or "【待填写：单位名称】"
    rows = _row_table(doc, evaluation)
    return [
        Heading("项目支出绩效自评报告", 0),
        Paragraph(f"项目名称：{name}", align="centre"),
        Paragraph(f"评价年度：{doc.year}年", align="centre"),
        Paragraph(f"预算部门单位：{unit}", align="centre"),
        _chapter(1, "基本情况"),
        _section(1, "项目概况"),
        Paragraph(
            f"主管部门：{_text(doc, 'department', '【待填写】')}；"
            f"项目实施单位：{_text(doc, 'implementer', '【待填写】')}；"
            f"项目类型：{_text(doc, 'project_type', '【待填写】')}。"
        ),
        Paragraph(f"立项情况：{_text(doc, 'approval', '【待填写：立项依据及批复文件】')}"),
        Paragraph("【待填写：项目背景、实施依据和主要建设内容】"),
        _section(2, "资金情况"),
        *_rates(evaluation),
        _section(3, "绩效目标"),
        Paragraph(_text(doc, "goal_summary", "【待填写：评价年度总体目标】")),
        _chapter(2, "绩效自评工作开展情况"),
        Paragraph("【待填写：自评对象、范围（评价基准日）、评价方法和自评工作组织】"),
        _chapter(3, "绩效自评结果"),
        _section(1, "自评结论"),
        *_total_sentence(evaluation, "本项目"),
        Paragraph(f"实际完成情况：{_text(doc, 'goal_result', '【待填写】')}"),
        Paragraph(f"是否如期实现预期目标：{_text(doc, 'goal_achieved', '【待填写】')}。"),
        _section(2, "绩效指标完成情况"),
        *([rows] if rows else [Paragraph("【待补全工作簿：绩效指标行】")]),
        _section(3, "评分情况"),
        scoring_table(evaluation),
        _chapter(4, "存在的问题和改进措施"),
        Paragraph(_text(doc, "management_problems", "【待填写：存在的问题和改进措施】")),
        Paragraph("【待填写：偏离绩效目标的原因分析及下一步改进措施】"),
        _chapter(5, "绩效自评结果拟应用和公开情况"),
        Paragraph("【待填写：结果应用和公开安排】"),
        *_signature(doc),
    ]

"""What `xl-perf import` prints: where each value was found, what was not found, what could not be carried."""

from __future__ import annotations

from xl_perf.foreign.importer import Imported


def lines(imported: Imported, target: str | None) -> list[str]:
    """The account of one imported form, in Chinese, one line per item."""
    reading = imported.reading
    data = reading.data
    title = "项目支出绩效自评表" if data["framework"] == "mof-xiangmu" else "部门整体支出绩效自评表"
    head = f"{imported.path} 工作表“{reading.sheet}”：{title}（{data['framework']}），{data['year']}年度"
    out = [f"{head}，单位“{data['unit']}”"]
    for item in reading.found:
        shown = f" = {item.value}" if item.value else ""
        out.append(f"  已读取：{item.what}（{item.where}）{shown}")
    for what in dict.fromkeys(reading.missing):
        out.append(f"  未找到：{what}")
    for item in reading.not_carried:
        value = f" = {item.value}" if item.value else ""
        out.append(f"  未写入：{item.what}（{item.where}）{value}：数据文档暂无此项")
    for note in reading.notes:
        out.append(f"  提示：{note}")
    for problem in imported.doc.value_problems:
        out.append(f"  无法使用：{problem.key}：{problem.message}")
    if target is not None:
        out.append(f"已生成：{target}")
    return out

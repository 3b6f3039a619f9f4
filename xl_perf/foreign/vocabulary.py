"""What forms others made call each thing the MoF rule packs know, as data (one place to add a province's words).

Each list is in order of preference: where a form prints two of them (年初指标值 and 调整指标值), the first one
filled wins. Names are compared in `labels.key` form, so "调整预算数（A）" matches "调整预算数".
"""

from __future__ import annotations

# Fields, by the MoF packs' field ids.
FIELDS: dict[str, tuple[str, ...]] = {
    "project_name": ("项目名称",),
    "department": ("主管部门", "部门（单位）名称", "部门名称", "单位名称", "预算单位名称"),
    "implementer": ("实施单位", "实施单位（盖章）", "项目实施单位"),
    "units_count": ("纳入部门预算的单位数",),
    "projects_total": ("项目支出数量",),
    "projects_evaluated": ("自评数量",),
    "goal_plan": ("全年（调整）绩效目标", "预期目标", "项目年度目标", "年初设定目标", "年初绩效目标", "年度绩效目标"),
    "goal_result": ("实际完成情况", "年度目标完成情况", "年度总体目标完成情况", "全年目标实际完成情况"),
    "fill_date": ("填报日期",),
}
# On a 部门整体 form 主管部门 names the supervising body, not the department evaluated.
ZHENGTI_DEPARTMENT = ("部门（单位）名称", "部门名称", "单位名称", "预算单位名称")

STATED_TOTAL = ("总分", "合计", "自评得分", "自评总分", "整体支出自评得分", "自评总分（分）")

# The funds block: its columns, and its rows per form kind (by the packs' row ids).
FUND_COLUMNS: dict[str, tuple[str, ...]] = {
    "initial": ("年初预算数", "年初预算"),
    "annual": ("全年预算数", "调整后预算数", "全年（调整）预算数", "调整预算数", "全年调整预算数"),
    "spent": ("全年执行数", "预算执行数", "执行数"),
    "rate": ("执行率", "预算执行率"),
    "weight": ("分值", "权重", "执行率权重"),
    "score": ("得分", "执行率得分"),
}
FUND_ROWS: dict[str, dict[str, tuple[str, ...]]] = {
    "xiangmu": {
        "total": ("年度资金总额", "总额", "资金总额", "合计"),
        "fiscal": (
            "其中：当年财政拨款",
            "当年财政拨款",
            "其中：本年财政拨款",
            "本年财政拨款",
            "其中：财政资金",
            "财政资金",
            "财政拨款",
        ),
        "carryover": ("上年结转资金", "上年结转"),
        "other": ("其他资金",),
    },
    "zhengti": {
        "total": ("年度资金总额", "总额", "资金总额", "合计"),
        "general_own": ("一般公共预算（本级）", "一般公共预算-本级", "一般公共预算本级"),
        "general_upper": ("一般公共预算（上级）", "一般公共预算-上级", "一般公共预算上级"),
        "fund": ("政府性基金预算", "政府性基金"),
        "other": ("其他资金",),
        "basic": ("按支出性质分：基本支出", "基本支出"),
        "project": ("项目支出",),
    },
}

# The indicator table's columns.
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "level3": ("三级指标", "指标名称", "三级指标名称", "绩效指标名称"),
    "nature": ("指标性质", "指标方向", "指标类型"),
    "target": ("调整指标值", "年度指标值", "指标值", "年度目标值", "预期目标值", "目标值", "年初指标值"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "完成值", "全年实际值", "全年完成值", "实际值"),
    "weight": ("分值", "权重", "指标权重", "参考分值"),
    "score": ("得分", "指标得分", "自评得分"),
    "reason": ("偏差原因分析及改进措施", "未完成原因分析及改进措施", "未完成原因分析", "偏差原因分析"),
    "degree": ("完成程度",),
    "core": ("是否核心指标",),
    "coefficient": ("得分系数",),
}
# Columns the data document has no place for yet (shown as read but not carried).
UNCARRIED_COLUMNS = {"core": "是否核心指标", "coefficient": "得分系数"}

# 指标性质 as printed -> the data document's 指标性质 (which the engine lets decide the direction).
NATURES: dict[str, str] = {
    "正向": "正向",
    "正向指标": "正向",
    "≥": "正向",
    ">=": "正向",
    ">": "正向",
    "反向": "反向",
    "反向指标": "反向",
    "≤": "反向",
    "<=": "反向",
    "<": "反向",
    "等于": "等于",
    "=": "等于",
    "＝": "等于",
    "定性": "定性",
    "定性指标": "定性",
}
DEGREES = ("达成", "部分达成", "未达成")
COMPARATORS = ("≥", "≤", ">", "<", "=", "＝", "＞", "＜", "≧", "≦")

# Labels that start something else: a value is never taken from a cell holding one of these.
SECTION_LABELS = (
    "项目资金",
    "项目资金（万元）",
    "部门资金",
    "年度总体目标",
    "当年绩效目标",
    "绩效指标",
    "项目基本情况",
    "部门基本情况",
    "项目自评情况",
    "部门预算执行情况",
    "部门预算执行情况（万元）",
    "预算执行情况",
    "年度预算数",
    "评价结论",
    "存在问题",
    "改进措施",
    "部门联系人",
    "联系电话",
)

# Words in a title that tell the two MoF forms apart.
ZHENGTI_TITLE = ("部门整体",)
XIANGMU_TITLE = ("项目支出", "项目绩效")

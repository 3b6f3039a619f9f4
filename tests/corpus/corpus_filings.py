"""The published filings of the corpus: each as the grid its table prints, with what a correct reading gives.

Sources are the stored copies of public pages found with the project's search tool ("pages" corpus); several are
OCR'd or truncated there, and each expectation says what was read how. Where the corpus departs from the
publication (a variant layout, a value filled in), `source.variant` says so.
"""

from __future__ import annotations

from typing import Any

from build import Filing

N = None


def row(
    l1: str, l2: str, l3: str, target: str, actual: str, weight: float | None, score: float | None, reason: str = ""
) -> dict[str, Any]:
    """An indicator row of an expected data document (blank values left out, as the data document does)."""
    out: dict[str, Any] = {"一级指标": l1, "二级指标": l2, "三级指标": l3}
    for key, value in (("年度指标值", target), ("实际完成值", actual), ("偏差原因分析及改进措施", reason)):
        if value:
            out[key] = value
    if weight is not None:
        out["分值"] = weight
    if score is not None:
        out["得分"] = score
    return {k: v for k, v in out.items() if v != ""}


def doc(
    framework: str,
    unit: str,
    year: int,
    fields: dict[str, Any],
    funds: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    scores: dict[str, float] | None = None,
    total: float | None = None,
    rate: str | None = None,
) -> dict[str, Any]:
    table = "项目资金" if framework == "mof-xiangmu" else "部门资金"
    out: dict[str, Any] = {
        "schema": "xl-perf/1",
        "framework": framework,
        "unit": unit,
        "year": year,
        "level": "县",
        "fields": fields,
        "weight_system": "auto",  # what import writes: the rows' 一级指标 and 分值 choose the weights
    }
    if funds:
        out["tables"] = {table: funds}
    out["indicator_rows"] = rows
    if scores:
        out["scores"] = scores
    if total is not None:
        out["stated_total"] = total
    if rate is not None:  # the 执行率 cell as printed
        out["stated_rates"] = {"预算执行率": rate}
    return out


# --- 1. 廊坊市食品工程学校 2019: the national form as printed, merged 一级/二级 cells, placeholder rows

_LF_ROWS: list[list[Any]] = [
    [
        "产出指标",
        "数量指标",
        "指标1工程资金金额",
        43.2,
        37.24,
        10,
        9,
        "已完工,剩余3%尾款未付,且最高限价低于预算金额。提高预算准确度。",
    ],
    [N, N, "指标2", N, N, N, N, N],
    [N, N, "……", N, N, N, N, N],
    [N, "质量指标", "指标1工程完工率", 100, 100, 10, 10, N],
    [N, N, "指标2工程验收合格率", 100, 100, 10, 10, N],
    [N, N, "……", N, N, N, N, N],
    [N, "时效指标", "指标1项目完成及时率", 100, 100, 10, 10, N],
    [N, N, "指标2", N, N, N, N, N],
    [N, "成本指标", "指标1成本控制率", 100, 100, 10, 10, N],
    [N, N, "指标2", N, N, N, N, N],
    ["效益指标", "经济效益\n指标", "指标1安全率", 100, 100, 10, 10, 0],
    [N, N, "指标2", N, N, N, N, N],
    [N, "社会效益\n指标", "指标1学校发展能力", 100, 100, 10, 10, 0],
    [N, N, "指标2", N, N, N, N, N],
    [N, "生态效益\n指标", "指标1", N, N, N, N, N],
    [N, N, "指标2", N, N, N, N, N],
    ["效益指标", "可持续影响\n指标", "指标1长期使用性", 100, 100, 10, 10, N],
    [N, N, "指标2", N, N, N, N, N],
    ["满意度\n指标", "服务对象满意度指标", "指标1学生满意度", 100, 100, 10, 10, 0],
    [N, N, "指标2", N, N, N, N, N],
]


def _langfang_grid(typo: bool) -> tuple[list[list[Any]], list[str]]:
    grid: list[list[Any]] = [
        ["附件1"],
        ["项目支出绩效自评表"],
        ["（2019年度）"],
        ["项目名称", "办公宿舍楼、食堂及餐厅暖通改造经费"],
        ["主管部门", "廊坊市发改委", N, N, "实施单位", "廊坊市食品工程学校"],
        ["项目资金\n（万元）", N, "年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分"],
        [N, "年度资金总额", 43.2, 43.2, 37.24, 10, "86%", 9],
        [N, "其中：当年财政拨款", 43.2, 43.2, 37.24],
        [N, "      上年结转资金"],
        [N, "  其他资金"],
        ["年度总体目标", "预期目标", N, N, "实际完成情况"],
        [N, "43.2", N, N, "37.24"],
        [
            "绩效指标",
            "一级指标",
            "二级指标",
            "三级指标",
            "年度\n指标值",
            "实际\n完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ],
    ]
    merges = [
        "A2:I2",
        "A3:I3",
        "B4:I4",
        "B5:D5",
        "F5:I5",
        "A6:A10",
        "A11:A12",
        "B11:D11",
        "E11:I11",
        "B12:D12",
        "E12:I12",
    ]
    first = len(grid)
    for line in _LF_ROWS:
        grid.append([N, *line])
    last = len(grid) - 1
    merges.append(f"A13:A{last + 1}")
    # 一级 runs: rows 0-9 产出, 10-15 效益, 16-17 效益 (printed again), 18-19 满意度; 二级 runs likewise.
    for start, end in ((0, 9), (10, 15), (16, 17), (18, 19)):
        merges.append(f"B{first + start + 1}:B{first + end + 1}")
    for start, end in ((0, 2), (3, 5), (6, 7), (8, 9), (10, 11), (12, 13), (14, 15), (16, 17), (18, 19)):
        merges.append(f"C{first + start + 1}:C{first + end + 1}")
    if typo:
        grid[0] = ["附件1", N, N, N, N, N, N, N, "单位：万元"]
        grid[first + 10][1] = "效益指表"  # the variant: one mistyped 一级指标 (its run of rows, 20 points)
    return grid, merges


def _langfang_rows(typo: bool) -> list[dict[str, Any]]:
    benefit = "效益指表" if typo else "效益指标"
    return [
        row(
            "产出指标",
            "数量指标",
            "工程资金金额",
            "43.2",
            "37.24",
            10,
            9,
            "已完工,剩余3%尾款未付,且最高限价低于预算金额。提高预算准确度。",
        ),
        row("产出指标", "质量指标", "工程完工率", "100", "100", 10, 10),
        row("产出指标", "质量指标", "工程验收合格率", "100", "100", 10, 10),
        row("产出指标", "时效指标", "项目完成及时率", "100", "100", 10, 10),
        row("产出指标", "成本指标", "成本控制率", "100", "100", 10, 10),
        row(benefit, "经济效益指标", "安全率", "100", "100", 10, 10, "0"),
        row(benefit, "社会效益指标", "学校发展能力", "100", "100", 10, 10, "0"),
        row("效益指标", "可持续影响指标", "长期使用性", "100", "100", 10, 10),
        row("满意度指标", "服务对象满意度指标", "学生满意度", "100", "100", 10, 10, "0"),
    ]


_LF_SOURCE = {
    "title": "办公宿舍楼、食堂及餐厅暖通改造经费 绩效自评表（廊坊市食品工程学校，2019年度）",
    "url": "http://www.lfsp.cn/newsinfo/1158053.html",
}
_LF_FIELDS = {
    "项目基本情况": {
        "项目名称": "办公宿舍楼、食堂及餐厅暖通改造经费",
        "主管部门": "廊坊市发改委",
        "实施单位": "廊坊市食品工程学校",
    },
    "年度总体目标": {"预期目标": "43.2", "实际完成情况": "37.24"},
}
_LF_FUNDS = [
    {"资金来源": "年度资金总额", "年初预算数": 43.2, "全年预算数": 43.2, "全年执行数": 37.24},
    {"资金来源": "其中：当年财政拨款", "年初预算数": 43.2, "全年预算数": 43.2, "全年执行数": 37.24},
]


def langfang(typo: bool = False) -> Filing:
    grid, merges = _langfang_grid(typo)
    rows = _langfang_rows(typo)
    # 执行率 37.24 / 43.2 = 86.20% -> 8.62 (printed 86%, 9); 工程资金金额 37.24 / 43.2 x 10 = 8.62 (printed 9).
    expect: dict[str, Any] = {
        "source": dict(_LF_SOURCE),
        "published": {"执行率": "86%", "执行率得分": 9, "工程资金金额得分": 9, "总分": "（存档截断，未见总分行）"},
        "document": doc(
            "mof-xiangmu", "廊坊市食品工程学校", 2019, _LF_FIELDS, _LF_FUNDS, rows, {"预算执行率": 9}, rate="86%"
        ),
        "found": {
            "项目名称": "附件1!B4",
            "实施单位": "附件1!F5",
            "年度资金总额/全年执行数": "附件1!E7",
            "预算执行率得分": "附件1!H7",
            "绩效指标表头": "附件1!B13",
        },
        "missing": ["总分"],
        "not_carried": [],
        "total": 97.24,
        "findings": [
            {"code": "SCORE_MISMATCH", "about": "预算执行率"},
            {"code": "SCORE_MISMATCH", "about": "工程资金金额"},
            {"code": "STATED_RATE_MISMATCH", "about": "执行率"},  # 86% printed where the rules give 86.20%
        ],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    if typo:
        expect["source"]["variant"] = (
            "corpus variant of the 廊坊 filing: .xlsm, 效益指标 mistyped as 效益指表 on its first run of rows (20 分)"
        )
        # a row whose 一级指标 fits nowhere is a finding at its row, never dropped
        expect["findings"] = [*expect["findings"], {"code": "ROW_UNPLACED", "about": "效益指表"}]
        expect["found"] = {"实施单位": "自评表!F5"}
        expect["total"] = 97.24  # the mistyped rows placed under 效益指标, the name they most resemble
    return Filing(
        stem="langfang-2019-typo" if typo else "langfang-2019-xiangmu",
        suffix=".xlsm" if typo else ".xlsx",
        sheet="自评表" if typo else "附件1",
        grid=grid,
        merges=merges,
        expect=expect,
        before=[("填表说明", [["填表说明"], ["1. 金额单位为万元。"], ["2. 各三级指标分值之和须等于上级分值。"]])]
        if typo
        else [],
        widths={3: 22, 8: 30},
    )


# --- 2. 青神县发展和改革局 2023 工资性支出: the Sichuan form (指标性质, 度量单位, 权重; 执行率 10 + 60 + 30)


def _qingshen_layout() -> tuple[list[list[Any]], list[str]]:
    """The sheet as the filing prints it: its cells and merged ranges."""
    grid: list[list[Any]] = [
        [N, N, N, N, N, N, N, N, N, "报表编号:510000_0013zp"],
        ["部门预算项目支出绩效自评表(2023年度)"],
        ["项目名称", N, "51000021R000000019951-工资性支出"],
        ["主管部门", N, "青神县发展和改革局本级", N, N, N, "实施单位\n(盖章)", N, "青神县发展和改革局"],
        ["项目基本情况", "1.项目年度目标完成情况"],
        [N, "项目年度目标", N, N, N, N, "年度目标完成情况"],
        [
            N,
            "严格执行相关政策,保障工资及时、足额发放或社保及时、足额缴纳,预算编制科学合理,减少结余资金。",
            N,
            N,
            N,
            N,
            "对照年度目标,说明相关任务目标的完成情况(100字以内)",
        ],
        [N, "2.项目实施内容及过程概述"],
        [
            "预算执行情况(10分)",
            "年度预算数(万元)",
            N,
            "年初预算",
            "调整后预算数",
            "预算执行数",
            "预算执行率",
            "权重",
            "得分",
            "原因",
        ],
        [
            N,
            "总额",
            N,
            238.93,
            251.89,
            251.89,
            "100.00%",
            10,
            10,
            "1.预算执行率=预算执行数/调整后预算数,预算执行率未达到90%的需说明原因(100字以内)",
        ],
        [N, "其中:财政资金", N, 238.93, 251.89, 251.89, "100.00%", "/", "/"],
        [N, "财政专户管理资金", N, 0, 0, 0, "0.00%", "/", "/"],
        [N, "单位资金", N, 0, 0, 0, "0.00%", "/", "/"],
        [N, "其他资金", N, N, N, N, N, "/", "/"],
        [
            "绩效指标(90分)",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标值",
            "度量单位",
            "完成值",
            "权重",
            "得分",
            "未完成原因分析",
        ],
        [N, "产出指标", "数量指标", "发放(缴纳)覆盖率", "=", 100, "%", 100, 60, 60],
        [N, "效益指标", "社会效益指标", "足额保障率(参保率)", "=", 100, "%", 100, 30, 30],
        ["合计", N, N, N, N, N, N, N, 100, 100],
        ["评价结论", "结合自评情况,说明项目自评总分,说明项目实施取得的成效或成果。(200字以内)"],
        ["存在问题", "结合自评情况,分析存在的问题及原因。(200字以内)"],
        ["项目负责人:", N, N, N, N, N, "财务负责人:"],
    ]
    merges = [
        "A2:K2",
        "A3:B3",
        "C3:K3",
        "A4:B4",
        "C4:F4",
        "G4:H4",
        "I4:K4",
        "A5:A8",
        "B5:K5",
        "B6:F6",
        "G6:K6",
        "B7:F7",
        "G7:K7",
        "B8:K8",
        "A9:A14",
        "B9:C9",
        "J10:K14",
        "A15:A17",
        "A18:H18",
        "B19:K19",
        "B20:K20",
    ]
    for r in range(11, 15):
        merges.append(f"B{r}:C{r}")
    merges.append("B10:C10")
    return grid, merges


def qingshen() -> Filing:
    grid, merges = _qingshen_layout()
    fields = {
        "项目基本情况": {
            "项目名称": "51000021R000000019951-工资性支出",
            "主管部门": "青神县发展和改革局本级",
            "实施单位": "青神县发展和改革局",
        },
        "年度总体目标": {
            "预期目标": "严格执行相关政策,保障工资及时、足额发放或社保及时、足额缴纳,预算编制科学合理,减少结余资金。"
        },
    }
    funds = [
        {"资金来源": "年度资金总额", "年初预算数": 238.93, "全年预算数": 251.89, "全年执行数": 251.89},
        {"资金来源": "其中：当年财政拨款", "年初预算数": 238.93, "全年预算数": 251.89, "全年执行数": 251.89},
    ]
    rows = [
        {
            "一级指标": "产出指标",
            "二级指标": "数量指标",
            "三级指标": "发放(缴纳)覆盖率",
            "年度指标值": "100%",
            "实际完成值": "100%",
            "指标性质": "等于",  # as printed in the 指标性质 column
            "分值": 60,
            "得分": 60,
        },
        {
            "一级指标": "效益指标",
            "二级指标": "社会效益指标",
            "三级指标": "足额保障率(参保率)",
            "年度指标值": "100%",
            "实际完成值": "100%",
            "指标性质": "等于",  # as printed in the 指标性质 column
            "分值": 30,
            "得分": 30,
        },
    ]
    expect = {
        "source": {
            "title": "部门预算项目支出绩效自评表(2023年度) 51000021R000000019951-工资性支出（青神县发展和改革局）",
            "url": "https://www.scqs.gov.cn/info/13206/211004.htm",
            "variant": "the published table leaves 完成值 and 得分 blank; the corpus fills 完成值 100 and full marks "
            "(10 / 60 / 30, 合计 100), as a unit would when it submits",
        },
        "published": {"权重": {"预算执行率": 10, "发放(缴纳)覆盖率": 60, "足额保障率(参保率)": 30}, "合计": 100},
        "document": doc(
            "mof-xiangmu", "青神县发展和改革局", 2023, fields, funds, rows, {"预算执行率": 10}, 100, "100.00%"
        ),
        "found": {
            "实施单位": "部门预算项目支出绩效自评表!I4",
            "年度资金总额/全年预算数": "部门预算项目支出绩效自评表!E10",
            "总分": "部门预算项目支出绩效自评表!J18",
        },
        "missing": ["实际完成情况"],
        "not_carried": ["财政专户管理资金", "单位资金"],
        "total": 100,
        # per-filing weights: the form's own 权重 column (10 / 60 / 30) instead of 10 / 50 / 30 / 10
        "findings": [],
        "no_findings": ["UNIT_NAME_MISMATCH", "WEIGHT_SUM"],
    }
    return Filing(
        "qingshen-2023-xiangmu", ".xlsx", "部门预算项目支出绩效自评表", grid, merges, expect, widths={1: 16, 3: 22}
    )


# --- 3. 重庆（西部（重庆）科学城融媒体中心）2021 部门整体绩效自评表: a flat list with 指标性质, no 一级/二级 columns

_CQ_ROWS: list[list[Any]] = [
    # 指标名称, 计量单位, 指标性质, 年初指标值, 调整指标值, 全年完成值, 得分系数, 权重, 得分, 是否核心指标
    ["财政供养人员控制率", "%", "定量指标", "100%", N, "92%", "100%", 2, 2, "否"],
    ["“三公”经费变动率", "%", "定量指标", N, N, N, "100%", 2, 2, "否"],
    ["基础信息完善", "%", "定量指标", "100%", N, "100%", "100%", 1, 1, "否"],
    ["预算完成率", "%", "定量指标", "70%", N, "76%", "100%", 2, 2, "是"],
    ["预算调整率", "%", "定量指标", "3%", N, "0", "100%", 2, 2, "否"],
    ["结转结余率", "%", "定量指标", "2%", N, "0", "100%", 2, 2, "是"],
    ["公用经费控制率", "%", "定量指标", "100%", N, "97%", "100%", 2, 2, "是"],
    ["“三公”经费控制率", "%", "定量指标", N, N, N, "100%", 2, 2, "否"],
    ["政府采购执行率", "%", "定量指标", "100%", N, "72.74%", "100%", 2, 2, "是"],
    ["管理制度健全性", N, "定性指标", "高", N, "高", "100%", 3, 3, "否"],
    ["资金使用合规性", N, "定性指标", "好", N, "好", "100%", 5, 5, "否"],
    ["预决算信息公开性", N, "定性指标", "高", N, "高", "100%", 1, 1, "否"],
    ["资产管理安全", N, "定性指标", "好", N, "好", "100%", 2, 2, "否"],
    ["固定资产利用率", "%", "定量指标", "90%", N, "100%", "100%", 2, 2, "否"],
    ["党性教育培训次数", "次", "定量指标", "≥6次", N, "12次", "100%", 5, 5, "是"],
    ["组织宣传活动次数", "次", "定量指标", "≥40次", N, "43次", "100%", 10, 10, "是"],
    ["制作宣传品数量", "份", "定量指标", "≥10份", N, "20份", "100%", 5, 5, "否"],
    ["播发稿件数量", "篇", "定量指标", "≥2200篇", N, "2859篇", "100%", 10, 10, "是"],
    ["业务保障能力提升", "%", "定量指标", "90%", N, "95%", "100%", 10, 10, "否"],
]


def _chongqing_layout() -> tuple[list[list[Any]], list[str]]:
    """The sheet as the filing prints it: its cells and merged ranges."""
    grid: list[list[Any]] = [
        ["部门整体绩效自评表"],
        ["主管部门", N, N, "财政处室", N, N, "自评总分(分)", N, 97.6],
        ["部门联系人", "曾雪莲", N, "联系电话"],
        [
            "部门预算执行情况（万元）",
            N,
            "年初预算数",
            "全年（调整）预算数",
            "全年执行数",
            "执行率(%)",
            "执行率权重",
            "执行率得分(分)",
        ],
        [N, "资金总额", N, N, N, "76%", 10, 7.6],
        ["当年绩效目标", "年初绩效目标", N, "全年（调整）绩效目标", N, N, "全年目标实际完成情况"],
        [
            N,
            "无",
            N,
            "通过整合各级各类媒体、户外广告载体、宣传宣讲活动等,为建设成渝地区双城经济圈和西部(重庆)重庆科学城营造良好氛围。"
            "保障融媒体中心正常人事基础/日常运转,有效承担西部(重庆)科学城新闻宣传管理,思想文化领域建设等工作。",
            N,
            N,
            "中心2021年较好地完成了履职任务,有效开展了西部(重庆)科学城新闻宣传管理/思想文化领域建设等工作,"
            "为建设成渝地区双城经济圈和西部(重庆)重庆科学城营造了良好氛围。",
        ],
        [
            "绩效指标",
            "指标名称",
            "计量单位",
            "指标性质",
            "年初指标值",
            "调整指标值",
            "全年完成值",
            "得分系数(%)",
            "指标权重(分)",
            "指标得分(分)",
            "是否核心指标",
        ],
    ]
    for line in _CQ_ROWS:
        grid.append([N, *line])
    merges = [
        "A1:K1",
        "A2:C2",
        "D2:F2",
        "G2:H2",
        "A4:B4",
        "A6:A7",
        "B6:C6",
        "D6:F6",
        "G6:K6",
        "B7:C7",
        "D7:F7",
        "G7:K7",
        f"A8:A{len(grid)}",
    ]
    return grid, merges


def chongqing() -> Filing:
    grid, merges = _chongqing_layout()
    rows = []
    for name, unit, _nature, initial, adjusted, actual, _, weight, score, _ in _CQ_ROWS:
        item: dict[str, Any] = {"三级指标": name}
        target = adjusted or initial
        if target:
            item["年度指标值"] = target
        if actual:
            item["实际完成值"] = actual + unit if unit and actual.replace(".", "").isdigit() else actual
        item["分值"] = weight
        item["得分"] = score
        if _nature == "定性指标":  # 定量指标 names no direction: read, not carried
            item["指标性质"] = "定性"
        rows.append(item)
    document = doc(
        "mof-zhengti",
        "",
        2021,
        {"年度总体目标": {"预期目标": grid[6][3], "实际完成情况": grid[6][6]}},
        [],
        rows,
        {"预算执行率": 7.6},
        97.6,
        "76%",
    )
    document["year"] = 2021
    expect = {
        "source": {
            "title": "部门整体绩效自评表（西部（重庆）科学城融媒体中心，2021年；重庆）",
            "url": "https://m.yzwku.com/doc/98587.html",
            "note": "the stored copy is an OCR of the .docx: the budget amounts are illegible "
            "(only 执行率 76%, 权重 10, 得分 7.6 read), the targets of 党性教育培训次数 / 组织宣传活动次数 / "
            "制作宣传品数量 are read as ≥6次 / ≥40次 / "
            "≥10份 (printed 得分系数 100% with actuals 12次 / 43次 / 20份), and the copy ends after 业务保障能力提升: "
            "the 公共服务 rows (20 分 of the 97.6) are not in the corpus. The year is 2021 from the 完成情况 text "
            "(the form has no year line).",
        },
        "published": {
            "自评总分": 97.6,
            "政府采购执行率": {"年初指标值": "100%", "全年完成值": "72.74%", "权重": 2, "得分": 2},
            "执行率": "76%",
            "执行率得分": 7.6,
        },
        "document": document,
        "found": {
            "总分": "Sheet1!I2",
            "绩效指标第9行（政府采购执行率）": "Sheet1!B17:K17",
            "预算执行率得分": "Sheet1!H5",
        },
        "missing": ["部门（单位）名称", "年度资金总额", "一级指标", "二级指标"],
        "not_carried": ["指标性质", "是否核心指标", "得分系数"],
        # 政府采购执行率 72.74% of 100% x 2 = 1.4548 -> 1.45, stated 2; the rows present otherwise score in full
        # (结转结余率 2% / 预算调整率 3% / the 控制率 rows are 反向). The rows have no 一级指标, so each is reported
        # (ROW_UNPLACED) and counted as 未归类: 7.6 + 69.45 = 77.05. The 公共服务 rows missing from the stored copy
        # (20 分 of the stated 97.6) are not there to count; with them in full it would be 97.05.
        "total": 77.05,
        "findings": [
            {"code": "SCORE_MISMATCH", "about": "政府采购执行率"},
            {"code": "ROW_UNPLACED", "about": "财政供养人员控制率"},
        ],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    return Filing("chongqing-2021-zhengti", ".xlsx", "Sheet1", grid, merges, expect, widths={1: 20})

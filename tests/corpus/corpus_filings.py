"""The published filings of the corpus: each as the grid its table prints, with what a correct reading gives.

Sources are the stored copies of public pages found with the project's search tool ("pages" corpus); several are
OCR'd or truncated there, and each expectation says what was read how. Where the corpus departs from the
publication (a variant layout, a value filled in), `source.variant` says so.
"""

from __future__ import annotations

from typing import Any

from build import Filing

N = None


def row(l1: str, l2: str, l3: str, target: str, actual: str, weight: float | None, score: float | None,
        reason: str = "") -> dict[str, Any]:
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


def doc(framework: str, unit: str, year: int, fields: dict[str, Any], funds: list[dict[str, Any]],
        rows: list[dict[str, Any]], scores: dict[str, float] | None = None, total: float | None = None) -> dict[str, Any]:
    table = "项目资金" if framework == "mof-xiangmu" else "部门资金"
    out: dict[str, Any] = {"schema": "xl-perf/1", "framework": framework, "unit": unit, "year": year, "level": "县",
                           "fields": fields}
    if funds:
        out["tables"] = {table: funds}
    out["indicator_rows"] = rows
    if scores:
        out["scores"] = scores
    if total is not None:
        out["stated_total"] = total
    return out


# --- 1. 廊坊市食品工程学校 2019: the national form as printed, merged 一级/二级 cells, placeholder rows ------------------

_LF_ROWS: list[list[Any]] = [
    ["产出指标", "数量指标", "指标1工程资金金额", 43.2, 37.24, 10, 9, "已完工,剩余3%尾款未付,且最高限价低于预算金额。提高预算准确度。"],
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
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度\n指标值", "实际\n完成值", "分值", "得分", "偏差原因分析及改进措施"],
    ]
    merges = ["A2:I2", "A3:I3", "B4:I4", "B5:D5", "F5:I5", "A6:A10", "A11:A12", "B11:D11", "E11:I11", "B12:D12",
              "E12:I12"]
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
        row("产出指标", "数量指标", "工程资金金额", "43.2", "37.24", 10, 9, "已完工,剩余3%尾款未付,且最高限价低于预算金额。提高预算准确度。"),
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
    "项目基本情况": {"项目名称": "办公宿舍楼、食堂及餐厅暖通改造经费", "主管部门": "廊坊市发改委", "实施单位": "廊坊市食品工程学校"},
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
        "document": doc("mof-xiangmu", "廊坊市食品工程学校", 2019, _LF_FIELDS, _LF_FUNDS, rows, {"预算执行率": 9}),
        "found": {"项目名称": "附件1!B4", "实施单位": "附件1!F5", "年度资金总额/全年执行数": "附件1!E7",
                  "预算执行率得分": "附件1!H7", "绩效指标表头": "附件1!B13"},
        "missing": ["总分"],
        "not_carried": ["执行率（填报）"],
        "total": 97.24,
        "total_needs_item1": None,
        "findings": [
            {"code": "SCORE_MISMATCH", "about": "预算执行率"},
            {"code": "SCORE_MISMATCH", "about": "工程资金金额"},
        ],
        "findings_need_item1": [{"code": "STATED_RATE_MISMATCH", "about": "执行率"}],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    if typo:
        expect["source"]["variant"] = (
            "corpus variant of the 廊坊 filing: .xlsm, 效益指标 mistyped as 效益指表 on its first run of rows (20 分)"
        )
        expect["total_needs_item1"] = "a row whose 一级指标 fits nowhere is a finding at its row, never dropped"
        expect["findings_need_item1"] = [{"code": "ROW_UNPLACED", "about": "效益指表"}]
        expect["found"] = {"实施单位": "自评表!F5"}
        expect["total"] = 97.24  # once the mistyped rows are placed under 效益指标 (or scored where they stand)
    return Filing(
        stem="langfang-2019-typo" if typo else "langfang-2019-xiangmu",
        suffix=".xlsm" if typo else ".xlsx",
        sheet="自评表" if typo else "附件1",
        grid=grid,
        merges=merges,
        expect=expect,
        before=[("填表说明", [["填表说明"], ["1. 金额单位为万元。"], ["2. 各三级指标分值之和须等于上级分值。"]])] if typo else [],
        widths={3: 22, 8: 30},
    )


# --- 2. 青神县发展和改革局 2023 工资性支出: the Sichuan form (指标性质, 度量单位, 权重; 执行率 10 + 60 + 30) -----------------


def qingshen() -> Filing:
    grid: list[list[Any]] = [
        [N, N, N, N, N, N, N, N, N, "报表编号:510000_0013zp"],
        ["部门预算项目支出绩效自评表(2023年度)"],
        ["项目名称", N, "51000021R000000019951-工资性支出"],
        ["主管部门", N, "青神县发展和改革局本级", N, N, N, "实施单位\n(盖章)", N, "青神县发展和改革局"],
        ["项目基本情况", "1.项目年度目标完成情况"],
        [N, "项目年度目标", N, N, N, N, "年度目标完成情况"],
        [N, "严格执行相关政策,保障工资及时、足额发放或社保及时、足额缴纳,预算编制科学合理,减少结余资金。", N, N, N, N,
         "对照年度目标,说明相关任务目标的完成情况(100字以内)"],
        [N, "2.项目实施内容及过程概述"],
        ["预算执行情况(10分)", "年度预算数(万元)", N, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分",
         "原因"],
        [N, "总额", N, 238.93, 251.89, 251.89, "100.00%", 10, 10,
         "1.预算执行率=预算执行数/调整后预算数,预算执行率未达到90%的需说明原因(100字以内)"],
        [N, "其中:财政资金", N, 238.93, 251.89, 251.89, "100.00%", "/", "/"],
        [N, "财政专户管理资金", N, 0, 0, 0, "0.00%", "/", "/"],
        [N, "单位资金", N, 0, 0, 0, "0.00%", "/", "/"],
        [N, "其他资金", N, N, N, N, N, "/", "/"],
        ["绩效指标(90分)", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
         "未完成原因分析"],
        [N, "产出指标", "数量指标", "发放(缴纳)覆盖率", "=", 100, "%", 100, 60, 60],
        [N, "效益指标", "社会效益指标", "足额保障率(参保率)", "=", 100, "%", 100, 30, 30],
        ["合计", N, N, N, N, N, N, N, 100, 100],
        ["评价结论", "结合自评情况,说明项目自评总分,说明项目实施取得的成效或成果。(200字以内)"],
        ["存在问题", "结合自评情况,分析存在的问题及原因。(200字以内)"],
        ["项目负责人:", N, N, N, N, N, "财务负责人:"],
    ]
    merges = ["A2:K2", "A3:B3", "C3:K3", "A4:B4", "C4:F4", "G4:H4", "I4:K4", "A5:A8", "B5:K5", "B6:F6", "G6:K6",
              "B7:F7", "G7:K7", "B8:K8", "A9:A14", "B9:C9", "J10:K14", "A15:A17", "A18:H18", "B19:K19", "B20:K20"]
    for r in range(11, 15):
        merges.append(f"B{r}:C{r}")
    merges.append("B10:C10")
    fields = {
        "项目基本情况": {"项目名称": "51000021R000000019951-工资性支出", "主管部门": "青神县发展和改革局本级",
                         "实施单位": "青神县发展和改革局"},
        "年度总体目标": {"预期目标": "严格执行相关政策,保障工资及时、足额发放或社保及时、足额缴纳,预算编制科学合理,减少结余资金。"},
    }
    funds = [
        {"资金来源": "年度资金总额", "年初预算数": 238.93, "全年预算数": 251.89, "全年执行数": 251.89},
        {"资金来源": "其中：当年财政拨款", "年初预算数": 238.93, "全年预算数": 251.89, "全年执行数": 251.89},
    ]
    rows = [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "发放(缴纳)覆盖率", "年度指标值": "=100%",
         "实际完成值": "100%", "分值": 60, "得分": 60},
        {"一级指标": "效益指标", "二级指标": "社会效益指标", "三级指标": "足额保障率(参保率)", "年度指标值": "=100%",
         "实际完成值": "100%", "分值": 30, "得分": 30},
    ]
    expect = {
        "source": {
            "title": "部门预算项目支出绩效自评表(2023年度) 51000021R000000019951-工资性支出（青神县发展和改革局）",
            "url": "https://www.scqs.gov.cn/info/13206/211004.htm",
            "variant": "the published table leaves 完成值 and 得分 blank; the corpus fills 完成值 100 and full marks "
            "(10 / 60 / 30, 合计 100), as a unit would when it submits",
        },
        "published": {"权重": {"预算执行率": 10, "发放(缴纳)覆盖率": 60, "足额保障率(参保率)": 30}, "合计": 100},
        "document": doc("mof-xiangmu", "青神县发展和改革局", 2023, fields, funds, rows, {"预算执行率": 10}, 100),
        "found": {"实施单位": "部门预算项目支出绩效自评表!I4", "年度资金总额/全年预算数": "部门预算项目支出绩效自评表!E10",
                  "总分": "部门预算项目支出绩效自评表!J18"},
        "missing": ["实际完成情况"],
        "not_carried": ["财政专户管理资金", "单位资金", "执行率（填报）"],
        "total": 100,
        "total_needs_item1": "per-filing weights: the form's own 权重 column (10 / 60 / 30) instead of 10 / 50 / 30 / 10",
        "findings": [],
        "findings_need_item1": [],
        "no_findings": ["UNIT_NAME_MISMATCH"],
        "no_findings_need_item1": ["WEIGHT_SUM"],
    }
    return Filing("qingshen-2023-xiangmu", ".xlsx", "部门预算项目支出绩效自评表", grid, merges, expect,
                  widths={1: 16, 3: 22})


# --- 3. 重庆（西部（重庆）科学城融媒体中心）2021 部门整体绩效自评表: a flat list with 指标性质, no 一级/二级 columns -----

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


def chongqing() -> Filing:
    grid: list[list[Any]] = [
        ["部门整体绩效自评表"],
        ["主管部门", N, N, "财政处室", N, N, "自评总分(分)", N, 97.6],
        ["部门联系人", "曾雪莲", N, "联系电话"],
        ["部门预算执行情况（万元）", N, "年初预算数", "全年（调整）预算数", "全年执行数", "执行率(%)", "执行率权重",
         "执行率得分(分)"],
        [N, "资金总额", N, N, N, "76%", 10, 7.6],
        ["当年绩效目标", "年初绩效目标", N, "全年（调整）绩效目标", N, N, "全年目标实际完成情况"],
        [N, "无", N,
         "通过整合各级各类媒体、户外广告载体、宣传宣讲活动等,为建设成渝地区双城经济圈和西部(重庆)重庆科学城营造良好氛围。"
         "保障融媒体中心正常人事基础/日常运转,有效承担西部(重庆)科学城新闻宣传管理,思想文化领域建设等工作。", N, N,
         "中心2021年较好地完成了履职任务,有效开展了西部(重庆)科学城新闻宣传管理/思想文化领域建设等工作,"
         "为建设成渝地区双城经济圈和西部(重庆)重庆科学城营造了良好氛围。"],
        ["绩效指标", "指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数(%)",
         "指标权重(分)", "指标得分(分)", "是否核心指标"],
    ]
    for line in _CQ_ROWS:
        grid.append([N, *line])
    merges = ["A1:K1", "A2:C2", "D2:F2", "G2:H2", "A4:B4", "A6:A7", "B6:C6", "D6:F6", "G6:K6", "B7:C7", "D7:F7",
              "G7:K7", f"A8:A{len(grid)}"]
    rows = []
    for name, unit, nature, initial, adjusted, actual, _, weight, score, _ in _CQ_ROWS:
        item: dict[str, Any] = {"三级指标": name}
        target = adjusted or initial
        if target:
            item["年度指标值"] = target
        if actual:
            item["实际完成值"] = actual
        item["分值"] = weight
        item["得分"] = score
        rows.append(item)
    document = doc("mof-zhengti", "", 2021, {"年度总体目标": {"预期目标": grid[6][3], "实际完成情况": grid[6][6]}}, [],
                   rows, {"预算执行率": 7.6}, 97.6)
    document["year"] = 2021
    expect = {
        "source": {
            "title": "部门整体绩效自评表（西部（重庆）科学城融媒体中心，2021年；重庆）",
            "url": "https://m.yzwku.com/doc/98587.html",
            "note": "the stored copy is an OCR of the .docx: the budget amounts are illegible (only 执行率 76%, 权重 10, "
            "得分 7.6 read), the targets of 党性教育培训次数 / 组织宣传活动次数 / 制作宣传品数量 are read as ≥6次 / ≥40次 / "
            "≥10份 (printed 得分系数 100% with actuals 12次 / 43次 / 20份), and the copy ends after 业务保障能力提升: "
            "the 公共服务 rows (20 分 of the 97.6) are not in the corpus. The year is 2021 from the 完成情况 text "
            "(the form has no year line).",
        },
        "published": {"自评总分": 97.6, "政府采购执行率": {"年初指标值": "100%", "全年完成值": "72.74%", "权重": 2, "得分": 2},
                      "执行率": "76%", "执行率得分": 7.6},
        "document": document,
        "found": {"自评总分": "Sheet1!I2", "政府采购执行率/实际完成值": "Sheet1!G17"},
        "missing": ["部门（单位）名称", "年度资金总额", "一级指标", "二级指标"],
        "not_carried": ["指标性质", "执行率（填报）", "是否核心指标", "得分系数"],
        # 政府采购执行率 72.74% of 100% x 2 = 1.4548 -> 1.45, stated 2; the rows present otherwise score in full.
        "total": 97.05,
        "total_needs_item1": "rows without 一级指标 (a flat list) must be placed or reported, not dropped; the "
        "公共服务 rows missing from the stored copy keep the stated 97.6 out of reach",
        "findings": [],
        "findings_need_item1": [{"code": "SCORE_MISMATCH", "about": "政府采购执行率"},
                                {"code": "ROW_UNPLACED", "about": "财政供养人员控制率"}],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    return Filing("chongqing-2021-zhengti", ".xlsx", "Sheet1", grid, merges, expect, widths={1: 20})


# --- 4. 银川市第六中学 2021 初中公用经费 (Ningxia): 决策 10 / 管理 25 / 产出 30 / 效益 35, 参考分值 before the target -------

_YC_ROWS: list[list[Any]] = [
    # 一级, 二级, 三级, 参考分值, 指标值, 全年实际值, 得分
    ["项目决策（10分）", "项目目标", "完整性", 4, "—", "目标明确、内容细化、目标量化", 4],
    [N, "项目立项", "相关性", 2, "—", "按照学校管理标准对学校进行管理", 2],
    [N, N, "可行性", 2, "—", "实际工作需求", 2],
    [N, N, "适当性", 2, "—", "有资金测算标准", 2],
    ["项目管理（25分）", "投入管理", "预算执行率", 10, "—", "100%", 9],
    [N, "财务管理", "财务管理制度有效性", 7, "—", "财务制度健全，严格执行制度，会计核算规范", 7],
    [N, "项目实施", "绩效监控有效性", 2, "—", "持续有效", 2],
    [N, N, "管理制度有效性", 6, "—", "严格执行相关管理制度", 6],
    ["项目产出（30分）", "数量指标（10分）", "保障人数", 10, "2370人", "2370人", 10],
    [N, "质量指标（5分）", "公用经费标准", 5, "符合相关文件要求", "符合相关文件要求", 5],
    [N, "时效指标（5分）", "公用经费完成时间", 5, "2021年12月完成", "2021年12月完成", 4],
    [N, "成本指标（10分）", "办公所需成本", 4, "15万元", "15万元", 4],
    [N, N, "维修（维护）所需成本", 3, "35万元", "35万元", 3],
    [N, N, "绿化、水电费等成本", 3, "14.8万元", "14.8万元", 3],
    ["项目效益（35分）", "社会效益指标", "效果显著", 15, "改善学校的办学条件", "改善学校的办学条件", 13],
    [N, "可持续影响指标", "使学生和老师有个更好的学习和工作环境", 10, "社会认可的办学环境", "社会认可的办学环境", 8],
    [N, "服务对象满意度指标（10分）", "学生和老师满意度", 10, N, N, N],
]


def yinchuan() -> Filing:
    grid: list[list[Any]] = [
        ["银川市本级部门项目支出绩效自评表（2021年）"],
        ["项目名称", "初中公用经费", N, N, "自评得分", 98],
        ["主管部门", "银川市教育局", N, N, "实施单位", "银川市第六中学"],
        ["项目资金（万元）", N, "年初预算数", "调整预算数（A）", "全年执行数（B）", "执行率（B/A）"],
        [N, "年度资金总额", 64.8, 64.8, 64.8, "100%"],
        ["年度总体目标", "年初设定目标", N, "保障学校正常工作运行"],
        ["一级指标", "二级指标", "三级指标", "参考分值", "指标值（A）", "全年实际值（B）", "得分", "未完成原因分析及改进措施"],
    ]
    first = len(grid)
    grid += [list(line) for line in _YC_ROWS]
    merges = ["A1:H1", "B2:D2", "B3:D3", "F3:H3", "A4:B4", "A5:A5", "B6:C6", "D6:H6", "F2:H2"]
    for start, end in ((0, 3), (4, 7), (8, 13), (14, 16)):
        merges.append(f"A{first + start + 1}:A{first + end + 1}")
    for start, end in ((1, 3), (6, 7), (11, 13)):
        merges.append(f"B{first + start + 1}:B{first + end + 1}")
    merges = [m for m in merges if m.split(":")[0] != m.split(":")[1]]
    rows = []
    last: list[str] = ["", ""]
    for l1, l2, l3, weight, target, actual, score in _YC_ROWS:
        last = [_strip_points(l1) if l1 else last[0], _strip_points(l2) if l2 else last[1]]
        item: dict[str, Any] = {"一级指标": last[0], "二级指标": last[1], "三级指标": l3}
        if target and target != "—":
            item["年度指标值"] = target
        if actual:
            item["实际完成值"] = actual
        item["分值"] = weight
        if score is not None:
            item["得分"] = score
        rows.append(item)
    fields = {
        "项目基本情况": {"项目名称": "初中公用经费", "主管部门": "银川市教育局", "实施单位": "银川市第六中学"},
        "年度总体目标": {"预期目标": "保障学校正常工作运行"},
    }
    funds = [{"资金来源": "年度资金总额", "年初预算数": 64.8, "全年预算数": 64.8, "全年执行数": 64.8}]
    expect = {
        "source": {
            "title": "银川市本级部门项目支出绩效自评表（2021年） 初中公用经费（银川市第六中学）",
            "url": "https://m.yzwku.com/doc/476505.html",
            "note": "OCR of the .docx; the stored copy ends inside the 服务对象满意度 row, so its target, actual and "
            "score are blank here. The 一级 labels carry their points (项目决策（10分）); the rows as printed score "
            "84 before 满意度 while the form states 98.",
        },
        "published": {"自评得分": 98, "权重": {"项目决策": 10, "项目管理": 25, "项目产出": 30, "项目效益": 35}},
        "document": doc("mof-xiangmu", "银川市第六中学", 2021, fields, funds, rows, None, 98),
        "found": {"自评得分": "Sheet1!F2", "实施单位": "Sheet1!F3", "时效指标/实际完成值": "Sheet1!F18"},
        "missing": ["实际完成情况"],
        "not_carried": ["执行率（填报）"],
        # "totals as its rows say": every row kept, 10 + 24 + 29 + 13 + 8 = 84 (the 满意度 row unscored in the copy);
        # the form's 98 is then a stated-total mismatch, and 公用经费完成时间 (done as planned, 4 of 5) a score one.
        "total": 84,
        "total_needs_item1": "regional weight system 决策 10 / 过程 25 / 产出 30 / 效益 35 declared as data; every row "
        "kept (today only the 产出/效益/满意度 rows count)",
        "findings": [],
        "findings_need_item1": [{"code": "STATED_TOTAL_MISMATCH", "about": "98"},
                                {"code": "SCORE_MISMATCH", "about": "公用经费完成时间"}],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    return Filing("yinchuan-2021-xiangmu", ".xlsx", "Sheet1", grid, merges, expect, widths={2: 22, 5: 24})


def _strip_points(label: str) -> str:
    """ "项目产出（30分）" -> "项目产出": the points printed with a group label are its weight, not its name."""
    for open_, close in (("（", "）"), ("(", ")")):
        if label.endswith(close) and open_ in label and label[label.rindex(open_) + 1 : -1].rstrip("分").replace(
            ".", ""
        ).isdigit():
            return label[: label.rindex(open_)].strip()
    return label


# --- 5/6. 池州市贵池区棠溪镇人民政府 2022 (Anhui): MoF codes before names, 年度资金总额 left at 0 -------------------------


def _tangxi(stem: str, suffix: str, project: str, fiscal: tuple[float, float, float], goals: tuple[str, str],
            lines: list[list[Any]], reorder: bool, source: dict[str, str]) -> Filing:
    head = ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    if reorder:  # the variant's columns: 分值 and 得分 before the target and actual
        head = ["绩效指标", "一级指标", "二级指标", "三级指标", "分值", "得分", "年度指标值", "实际完成值", "偏差原因分析及改进措施"]
    grid: list[list[Any]] = [
        ["附件:", N, N, N, N, N, N, N, "单位：万元" if reorder else N],
        ["项目支出绩效自评表"],
        ["(2022年度)"],
        ["项目名称", project],
        ["主管部门", "219-池州市贵池区棠溪镇人民政府"],
        ["实施单位", "219001-池州市贵池区棠溪镇人民政府"],
        ["项目资金\n(万元)", N, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [N, "年度资金总额:", 0, 0, 0, 10, 0, 0],
        [N, "其中:本年财政拨款", *fiscal],
        [N, "上年结转资金"],
        [N, "其他资金"],
        ["年度总体目标", "预期目标", N, N, "实际完成情况"],
        [N, goals[0], N, N, goals[1]],
        head,
    ]
    first = len(grid)
    for l1, l2, l3, target, actual, weight, score in lines:
        values = [weight, score, target, actual] if reorder else [target, actual, weight, score]
        grid.append([N, l1, l2, l3, *values])
    merges = ["A2:I2", "A3:I3", "B4:I4", "B5:I5", "B6:I6", "A7:A11", "A12:A13", "B12:D12", "E12:I12", "B13:D13",
              "E13:I13", f"A14:A{len(grid)}"]
    runs: list[tuple[int, int]] = []
    for index, line in enumerate(lines):
        if line[0]:
            runs.append((index, index))
        else:
            runs[-1] = (runs[-1][0], index)
    merges += [f"B{first + a + 1}:B{first + b + 1}" for a, b in runs if b > a]
    rows = []
    level1 = ""
    for l1, l2, l3, target, actual, weight, score in lines:
        level1 = _strip_points(l1) if l1 else level1
        if not l3:
            continue  # a printed 二级 heading without any 三级 row (经济效益指标) is not an indicator
        item: dict[str, Any] = {"一级指标": level1, "二级指标": l2, "三级指标": l3}
        if target:
            item["年度指标值"] = target
        if actual not in (None, ""):
            item["实际完成值"] = str(actual)
        if weight is not None:
            item["分值"] = weight
        if score is not None:
            item["得分"] = score
        rows.append(item)
    fields = {
        "项目基本情况": {"项目名称": project, "主管部门": "219-池州市贵池区棠溪镇人民政府",
                         "实施单位": "219001-池州市贵池区棠溪镇人民政府"},
        "年度总体目标": {"预期目标": goals[0], "实际完成情况": goals[1]},
    }
    funds = [
        {"资金来源": "年度资金总额", "年初预算数": 0, "全年预算数": 0, "全年执行数": 0},
        {"资金来源": "其中：当年财政拨款", "年初预算数": fiscal[0], "全年预算数": fiscal[1], "全年执行数": fiscal[2]},
    ]
    expect = {
        "source": source,
        "published": {"年度资金总额": [0, 0, 0], "执行率": 0, "执行率得分": 0, "本年财政拨款": list(fiscal)},
        "document": doc("mof-xiangmu", "池州市贵池区棠溪镇人民政府", 2022, fields, funds, rows, {"预算执行率": 0}),
        "found": {"主管部门": f"{'自评表' if reorder else 'Sheet1'}!B5", "实施单位": f"{'自评表' if reorder else 'Sheet1'}!B6"},
        "missing": ["总分"],
        "not_carried": ["执行率（填报）"],
        # 年度资金总额 0 / 0 is no rate: the 10 points of 执行率 cannot be scored, the rows give the rest.
        "total": sum(r.get("得分", 0) for r in rows),
        "total_needs_item1": "an uncomputable rate (0 ÷ 0, an unsummed 年度资金总额) is a finding, and the total "
        "leaves its 10 points unscored rather than taking the stated 0",
        "findings": [{"code": "SUM_MISMATCH", "about": "年度资金总额"}],
        "findings_need_item1": [{"code": "RATE_UNCOMPUTABLE", "about": "预算执行率"}],
        "no_findings": ["UNIT_NAME_MISMATCH"],
    }
    return Filing(stem, suffix, "自评表" if reorder else "Sheet1", grid, merges, expect, widths={3: 26, 8: 20})


def tangxi_weituo() -> Filing:
    lines = [
        ["产出指标(50分)", "数量指标", "基建工程委托业务项目数量", "≥50个", 50, 8, 8],
        [N, "质量指标", "委托业务报告合格率", "≥100百分比", 100, 8, 8],
        [N, N, "经费支出合规性", "严格执行相关制度规定", "达成预期指标", 8, 8],
        [N, "时效指标", "提交报告及时性", "在项目计划完成时间内完成", "达成预期指标", 8, 8],
        [N, "成本指标", "项目总成本", "≤90万元", 90, 8, 8],
        [N, N, "单项业务成本", "符合相关规定", "达成预期指标", 10, 10],
        ["效益指标(30分)", "社会效益指标", "对维护基建市场公平的影响程度", "效果明显", "达成预期指标", 10, 10],
        [N, "生态效益指标", "对控制基建项目成本影响程度", "效果明显", "达成预期指标", 10, 10],
        [N, "可持续影响指标", "对推动基建项目“四项制度”健全和落实的持续性影响", "效果明显", "达成预期指标", 10, 10],
        [N, "经济效益指标", N, N, N, N, N],
    ]
    goals = (
        "本项目共申请预算资金90万元。其中：30万元用于基建工程项目预算编制；30万元用于基建工程项目审计；30万元用于基建工程项目设计、规划、测绘。",
        "本项目共完成预算资金89.97万元。其中：30万元用于基建工程项目预算编制；30万元用于基建工程项目审计；29.99万元用于基建工程项目设计、规划、测绘。",
    )
    source = {
        "title": "项目支出绩效自评表（2022年度） 委托业务项目（池州市贵池区棠溪镇人民政府）",
        "url": "http://www.anthempetcare.com/upload_cz/download?id=502364&siteId=2",
        "note": "the stored copy ends inside the 满意度指标(10分) row (公众满…): the corpus ends before it",
    }
    return _tangxi("tangxi-2022-weituo", ".xlsx", "委托业务项目", (90, 89.974, 89.974), goals, lines, False, source)


def tangxi_cunji() -> Filing:
    lines = [
        ["产出指标(50分)", "数量指标", "补助村(社区)数量", "=8个", 8, 8, 8],
        [N, N, "保障村干部人数", "=42个", 42, 8, 8],
        [N, "质量指标", "补助资格合规性", "合规", "达成预期指标", 8, 8],
        [N, N, "经费审批流程规范性", "严格执行相关制度规定", "达成预期指标", 8, 8],
        [N, "时效指标", "补助经费到位及时性", "及时", "达成预期指标", 8, 8],
        [N, "成本指标", "项目总成本", "≤202.6万元", 132.9, 10, 10],
        ["效益指标(30分)", "经济效益指标", "对保障村(社区)两委机构正常运行的影响程度", "效果明显", "达成预期指标", 10, 10],
        [N, "社会效益指标", "提高村(社区)干部工作积极性的影响程度", "效果明显", "达成预期指标", 10, 10],
    ]
    goals = (
        "本项目共申请预算资金2026400元，其中村级组织运转400000元，村民组长，党小组长基本报酬252000元，村民监督委员会工资28000元，"
        "村级事务补助960000元，村级工作目标奖励100000元。",
        "本项目共完成预算资金1329120.67元，其中村级组织运转439120.67元，村民组长，党小组长基本报酬152000元，村民监督委员会工资28000元，"
        "村级事务补助660000元，村级工作目标奖励50000元。",
    )
    source = {
        "title": "项目支出绩效自评表（2022年度） 村级补助及运转经费（池州市贵池区棠溪镇人民政府）",
        "url": "http://www.anthempetcare.com/upload_cz/download?id=502367&siteId=2",
        "note": "the stored copy ends inside the 可持续影响 row: the corpus ends before it",
        "variant": ".xlsm; 分值/得分 columns before 年度指标值/实际完成值; 单位：万元 in the corner",
    }
    return _tangxi("tangxi-2022-cunji", ".xlsm", "村级补助及运转经费", (202.64, 132.912, 132.912), goals, lines, True, source)


# --- 7. 资源县资源镇人民政府 2023 部门整体 (Guangxi, seed 000): an old .xls, columns in another order ----------------------


def ziyuan() -> Filing:
    reason = "需要继续改进的是继续大力对党委政府政策的宣贯，继续加强财政管理水平等。"
    grid: list[list[Any]] = [
        ["部门整体支出绩效自评表"],
        ["（2023年度）", N, N, N, N, N, N, "金额单位：万元"],
        ["部门（单位）名称", N, "资源县资源镇人民政府", N, "纳入部门预算的单位数", N, 8],
        ["部门资金", N, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [N, "年度资金总额", N, 5920.29, 5019.1, 10, "84.78%", 8.48],
        [N, "一般公共预算（本级）", N, 2605.28],
        [N, "一般公共预算（上级）", N, 3296.74],
        [N, "政府性基金预算", N, 18.27],
        [N, "项目支出", N, 3275.47, 2337.27],
        ["项目自评情况", "项目支出数量", N, 80, "自评数量", N, 80],
        ["一级指标", "二级指标", "三级指标", "分值", "得分", "年度指标值", "实际完成值", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "数量指标（报告仅列二级汇总）", 18, 18],
        [N, "质量指标", "质量指标（报告仅列二级汇总）", 15, 15],
        [N, "时效指标", "时效指标（报告仅列二级汇总）", 9, 9],
        [N, "成本指标", "成本指标（报告仅列二级汇总）", 8, 8],
        ["效益指标", "社会效益指标", "社会效益指标（报告仅列二级汇总）", 30, 24, N, N, reason],
        ["满意度指标", "服务对象满意度指标", "满意度指标（报告仅列二级汇总）", 10, 10],
        ["总分", N, N, 100, 92.48],
    ]
    merges = ["A1:H1", "A2:F2", "A3:B3", "C3:D3", "E3:F3", "A4:A9", "A10:A10", "B10:C10", "E10:F10", "A12:A15",
              "A18:C18"]
    merges = [m for m in merges if m.split(":")[0] != m.split(":")[1]]
    rows = [
        row("产出指标", "数量指标", "数量指标（报告仅列二级汇总）", "", "", 18, 18),
        row("产出指标", "质量指标", "质量指标（报告仅列二级汇总）", "", "", 15, 15),
        row("产出指标", "时效指标", "时效指标（报告仅列二级汇总）", "", "", 9, 9),
        row("产出指标", "成本指标", "成本指标（报告仅列二级汇总）", "", "", 8, 8),
        row("效益指标", "社会效益指标", "社会效益指标（报告仅列二级汇总）", "", "", 30, 24, reason),
        row("满意度指标", "服务对象满意度指标", "满意度指标（报告仅列二级汇总）", "", "", 10, 10),
    ]
    fields = {
        "部门基本情况": {"部门（单位）名称": "资源县资源镇人民政府", "纳入部门预算的单位数": 8},
        "项目自评情况": {"项目支出数量": 80, "自评数量": 80},
    }
    funds = [
        {"资金来源": "年度资金总额", "全年预算数": 5920.29, "全年执行数": 5019.1},
        {"资金来源": "一般公共预算（本级）", "全年预算数": 2605.28},
        {"资金来源": "一般公共预算（上级）", "全年预算数": 3296.74},
        {"资金来源": "政府性基金预算", "全年预算数": 18.27},
        {"资金来源": "项目支出", "全年预算数": 3275.47, "全年执行数": 2337.27},
    ]
    expect = {
        "source": {
            "title": "2023 年度资源县资源镇人民政府预算绩效自评报告（种子 000）",
            "url": "shared/seeds/000 (the filing's text as published by the town)",
            "variant": "the report states the figures in prose (整体支出自评得分 92.48 分, 各二级指标权重与得分, 预算执行分 "
            "8.48 分, 资金 2605.28 / 3296.74 / 18.27 万元, 执行 5019.1 万元); the corpus lays them out as a 部门整体支出绩效自评表 "
            "with 分值/得分 before the target columns, saved as an old .xls by LibreOffice",
        },
        "published": {"整体支出自评得分": 92.48, "预算执行分": 8.48, "预算执行率": "84.78%"},
        "document": doc("mof-zhengti", "资源县资源镇人民政府", 2023, fields, funds, rows, {"预算执行率": 8.48}, 92.48),
        "found": {"部门（单位）名称": "自评表!C3", "总分": "自评表!E18", "项目支出/全年执行数": "自评表!E9"},
        "missing": ["预期目标", "实际完成情况"],
        "not_carried": ["执行率（填报）"],
        "total": 92.48,
        "total_needs_item1": None,
        "findings": [],
        "findings_need_item1": [],
        "no_findings": ["UNIT_NAME_MISMATCH", "SCORE_MISMATCH", "STATED_TOTAL_MISMATCH"],
    }
    return Filing("ziyuan-2023-zhengti", ".xls", "自评表", grid, merges, expect, widths={2: 30})


FILINGS = [
    langfang(),
    langfang(typo=True),
    qingshen(),
    chongqing(),
    yinchuan(),
    tangxi_weituo(),
    tangxi_cunji(),
    ziyuan(),
]

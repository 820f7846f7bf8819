"""The goal-table checker: rules R01–R22 of the domain report (§3.4), deterministic and explainable.

`check_goal_table(table, config=None) -> CheckResult`. Each `Finding` has the rule id, a
severity (error/warning/info), the 1-based row in `indicators` (None for table-level findings),
a Chinese message saying what is wrong and how to fix it, and the policy basis of the rule.

Findings are ordered: table-level first, then by row; within a row by rule number, then message.

Scoring (documented, deterministic): start at 100; each error costs `score_error_penalty` (15),
each warning `score_warning_penalty` (5), each info `score_info_penalty` (0); a rule is charged at
most `score_max_per_rule` (3) times, so one systematic slip does not zero the score; the score is
floored at 0. `passed` = no errors and score >= `pass_mark` (60).

Decisions where the report's rules overlap (one finding per defect, the most specific rule wins):
- a missing 满意度 class is reported by R03 only (R01 covers 成本/产出/效益);
- an outcome word under 质量指标 is R11, elsewhere under 产出 it is R10;
- a non-date value under 时效指标 is R15 (R04 still fires if the value also uses vague words);
- a 定性 row without grades is R21 (R04 also fires when its wording is vague);
- R09's "no survey method" info is raised only when an explanation is given without a method
  (an empty explanation is a completeness question for R22, which is off unless the bureau
  sets `require_data_source`);
- R12's budget check compares Σ(unit cost × its quantity) + Σ(total-cost rows) with the budget
  only when at least one unit cost can be paired unambiguously with one 数量 row of the same
  unit; a single pair or total cost above the whole budget is an error on that row;
- R08 takes the direction from the class before the name: every indicator declared in the cost
  class (成本指标, or 产出—成本指标 in the 2020 frame) is reverse whatever its name, unless the
  name states a decrease or saving (下降、节约…); outside it, name keywords decide;
- R14 matches fixed phrases and verb–object patterns with a bounded gap inside one clause
  ("召开…会", "开展…调研", "印发…文件/通知", "组织…检查"); services named like process work
  (健康检查, 招聘会…) are exempt, and in a training or meeting project meetings are outputs;
- R16 flags a target below the history value only for positive operators (>=, >);
- R18 checks key numbers with a measurement unit (not years, dates or money) of the annual goal
  text; the fuzzy "key noun" half of R18 is not implemented (too noisy to be fair).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from casebook.rules.config import CheckerConfig, default_config, level_key
from casebook.rules.table import QUANTITATIVE_OPS, GoalTable, Indicator

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

RULES: dict[str, tuple[str, str]] = {
    # id: (title, basis)
    "R01": ("一级指标缺失", "财预〔2021〕101号；中发〔2018〕34号（产出、效益、满意度综合使用）"),
    "R02": ("二级指标与一级不匹配", "财预〔2021〕101号指标体系（一级、二级为固定分类）"),
    "R03": ("缺少满意度指标/满意度替代效益", "财预〔2021〕101号；常见审核意见（以满意度代替效益）"),
    "R04": ("模糊表述", "财预〔2015〕88号“细化量化”；常见审核意见（模糊化）"),
    "R05": ("定量指标无计量单位", "指标库规范：定量三级指标须设置计算符号和计量单位"),
    "R06": ("单位与指标名不符", "指标库规范：计量单位与指标含义一致（本地规则）"),
    "R07": ("比率越界", "百分比指标取值范围（本地规则）"),
    "R08": ("指标方向错误", "指标方向（正向/反向）规则；运行监控正反向指标口径"),
    "R09": ("满意度指标值不合理", "常见审核实践（满意度目标取值与调查方法）"),
    "R10": ("产出与效益混淆", "财预〔2021〕101号产出/效益定义；常见审核意见"),
    "R11": ("质量与效益混淆", "财预〔2021〕101号质量指标定义；常见审核意见"),
    "R12": ("目标与资金不匹配", "预算编制与绩效目标相匹配；成本指标不得超出预算支出标准"),
    "R13": ("指标数量不当", "财预〔2021〕101号核心指标原则；地方规则（三级指标不少于3个）"),
    "R14": ("过程性/日常工作作指标", "常见审核意见（形式化）；预算执行率在自评中单独计分"),
    "R15": ("时效指标不规范", "时效指标应为日期、时长或及时率（本地规则）"),
    "R16": ("指标值设定依据缺失/偏低", "指标值设定依据：计划/历史/行业/预算支出/其他标准"),
    "R17": ("年度与总体目标混淆", "总体（中期）目标与年度目标分设"),
    "R18": ("总体目标与指标不一致", "财预〔2020〕10号：指标与项目目标任务数或计划数相对应"),
    "R19": ("重复指标", "核心指标原则（指标不重复）"),
    "R20": ("效益指标与项目无直接关联", "常见审核意见（孤立化）：效益应与项目直接相关"),
    "R21": ("定性指标无分档标准", "定性指标采用分级分档形式表述"),
    "R22": ("不可衡量/无数据来源", "财预〔2021〕101号模板：数据来源与佐证资料"),
}


@dataclass(frozen=True)
class Finding:
    """One problem: rule id, severity, 1-based row (None = whole table), message, basis."""

    rule: str
    severity: str
    row: int | None
    message: str
    basis: str = ""

    def to_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "row": self.row,
                "message": self.message, "basis": self.basis}


@dataclass
class CheckResult:
    """Score 0–100, passed flag and ordered findings."""

    score: float
    passed: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def by_row(self) -> dict[int | None, list[Finding]]:
        grouped: dict[int | None, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.row, []).append(finding)
        return grouped

    def to_dict(self) -> dict:
        return {"score": self.score, "passed": self.passed,
                "findings": [f.to_dict() for f in self.findings]}


def to_json(result: CheckResult, *, indent: int | None = None) -> str:
    """The CLI schema: {"score", "passed", "findings": [{"rule","severity","row","message"}]}."""
    payload = {
        "score": result.score,
        "passed": result.passed,
        "findings": [{"rule": f.rule, "severity": f.severity, "row": f.row,
                      "message": f.message, "basis": f.basis} for f in result.findings],
    }
    return json.dumps(payload, ensure_ascii=False, indent=indent)


def score_findings(findings: list[Finding], config: CheckerConfig) -> tuple[float, bool]:
    """Deterministic score and pass flag (see module docstring)."""
    penalty = {ERROR: config.score_error_penalty, WARNING: config.score_warning_penalty,
               INFO: config.score_info_penalty}
    charged: dict[tuple[str, str], int] = {}
    score = 100.0
    for finding in findings:
        key = (finding.rule, finding.severity)
        charged[key] = charged.get(key, 0) + 1
        if charged[key] <= config.score_max_per_rule:
            score -= penalty[finding.severity]
    score = round(max(0.0, score), 2)
    has_errors = any(f.severity == ERROR for f in findings)
    return score, (not has_errors and score >= config.pass_mark)


# ---- text helpers ----------------------------------------------------------------------

_BRACKETS_RE = re.compile(r"（[^（）]*）|\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]")
_PUNCT_RE = re.compile(r"[\s、，,。.;；:：·/\\\-—_“”\"'‘’《》<>]+")
_NUMERALS = set("0123456789零一二三四五六七八九十百千两甲乙丙丁ABCDEFabcdefⅠⅡⅢⅣ")
_DATE_LIKE_RE = re.compile(
    r"(\d{4}\s*年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*(底|末|\d{1,2}\s*日)|"
    r"年\s*(底|末)|季度|上半年|下半年|\d{4}[-/.]\d{1,2})")
_KEY_NUMBER_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*")


def core_name(name: str) -> str:
    """Name without bracketed remarks: "生活垃圾清运量（预测）" -> "生活垃圾清运量"."""
    previous = None
    text = name or ""
    while previous != text:
        previous, text = text, _BRACKETS_RE.sub("", text)
    return text.strip()


def unit_key(unit: str) -> str:
    """Unit without remarks: "日（自资金下达起）" -> "日"; keeps "元/(平方米·年)"."""
    text = (unit or "").strip().replace(" ", "")
    text = re.sub(r"（[^（）]*）$", "", text)
    if "/" not in text:
        text = re.sub(r"\([^()]*\)$", "", text)
    return text


def _any(text: str, words) -> str | None:
    for word in words:
        if word and word in text:
            return word
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _graded(row: Indicator, config: CheckerConfig) -> bool:
    text = f"{row.explanation} {row.value_text}"
    if _any(text, config.grade_markers):
        return True
    if re.search(r"[A-DＡ-Ｄ一二三四]\s*[级档]", text):
        return True
    grades = [word for word in ("优", "良", "中", "差", "较好", "一般", "较差") if word in text]
    return len(grades) >= 3


class _Context:
    """Per-run derived data shared by the rules."""

    def __init__(self, table: GoalTable, config: CheckerConfig):
        self.table = table
        self.config = config
        self.rows = table.indicators
        self.l1 = [level_key(row.level1) for row in self.rows]
        self.l2 = [level_key(row.level2) for row in self.rows]
        self.units = [unit_key(row.unit) for row in self.rows]
        self.names = [core_name(row.name) for row in self.rows]
        self.percent = set(config.percent_units)
        self.cost_l2 = set(config.cost_level2)

    def is_cost(self, i: int) -> bool:
        return self.l1[i] == self.config.cost_level1 or (
            self.l2[i] in self.cost_l2 and self.l1[i] in (self.config.output_level1,
                                                          self.config.cost_level1))

    def is_cost_class(self, i: int) -> bool:
        """Declared in the cost class: level 1 成本指标, or a valid cost level 2 (2020 frame)."""
        return self.l1[i] == self.config.cost_level1 or (
            self.l2[i] in self.cost_l2 and self.l2[i] in self.config.level2.get(self.l1[i], []))

    def is_percent(self, i: int) -> bool:
        return self.units[i] in self.percent

    def is_time(self, i: int) -> bool:
        return self.l2[i] == self.config.timeliness_level2


def _f(rule: str, severity: str, row: int | None, message: str) -> Finding:
    return Finding(rule=rule, severity=severity, row=row, message=message, basis=RULES[rule][1])


# ---- rules -------------------------------------------------------------------------------

def _r01_r03_structure(ctx: _Context) -> list[Finding]:
    config = ctx.config
    out: list[Finding] = []
    present = set(ctx.l1)
    for level in config.required_level1:
        if level == config.satisfaction_level1:
            continue
        if level not in present:
            out.append(_f("R01", ERROR, None,
                          f"缺少一级指标「{level}」：绩效目标应同时设置"
                          f"{'、'.join([*config.required_level1, config.satisfaction_level1])}"
                          f"等类别。请在「{level}」下至少补充1个三级指标。"))
    if config.satisfaction_level1 not in present:
        out.append(_f("R03", ERROR, None,
                      "缺少满意度指标：未设置「满意度指标—服务对象满意度指标」。"
                      "请补充服务对象满意度指标（如“受益群众满意度≥90%”）。"))
    benefit_rows = [i for i, l1 in enumerate(ctx.l1) if l1 == config.benefit_level1]
    satisfaction_like = [i for i in benefit_rows
                         if _any(ctx.names[i], config.satisfaction_words)]
    if benefit_rows and len(satisfaction_like) == len(benefit_rows):
        for i in satisfaction_like:
            out.append(_f("R03", ERROR, i + 1,
                          f"「{ctx.rows[i].name}」是满意度指标，"
                          "却作为唯一的效益指标：满意度不能代替效益。"
                          "请将其移至满意度指标，并补充反映项目实际效果的效益指标。"))
    return out


def _r02_levels(ctx: _Context, i: int) -> list[Finding]:
    config = ctx.config
    row, l1, l2 = ctx.rows[i], ctx.l1[i], ctx.l2[i]
    frame = ("2021年（财预〔2021〕101号）" if config.framework == "2021"
             else "2020年（成本为产出下的二级）")
    if not l1 or not l2:
        missing = "一级指标" if not l1 else "二级指标"
        return [_f("R02", ERROR, i + 1,
                   f"「{row.name}」缺少{missing}。请按{frame}框架选择一级、二级指标。")]
    if l1 not in config.level2:
        if l1 == "成本指标" and config.framework == "2020":
            hint = "2020框架下成本指标是「产出指标」下的二级指标，请改为“产出指标—成本指标”。"
        elif config.framework == "2021" and l2 in config.cost_level2:
            hint = "请使用一级指标「成本指标」。"
        else:
            hint = f"一级指标只能是{'、'.join(config.level1)}。"
        return [_f("R02", ERROR, i + 1,
                   f"「{row.name}」的一级指标「{row.level1}」不属于{frame}框架。{hint}")]
    allowed = config.level2[l1]
    if l2 not in allowed:
        owner = next((k for k, v in config.level2.items() if l2 in v), None)
        if owner:
            hint = f"「{l2}」属于一级指标「{owner}」，请调整一级指标或改选二级指标。"
        else:
            hint = f"「{l1}」下的二级指标只能是{'、'.join(allowed)}。"
        return [_f("R02", ERROR, i + 1,
                   f"「{row.name}」的二级指标「{row.level2}」与一级指标「{l1}」不匹配。{hint}")]
    return []


def _r04_vague(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if row.value_kind in ("number", "date"):
        return []
    word = _any(row.name, config.vague_words) or _any(row.value_text, config.vague_words)
    if word and not (row.op == "qualitative" and _graded(row, config)):
        return [_f("R04", ERROR, i + 1,
                   f"「{row.name}」使用了模糊表述（“{word}”），"
                   f"指标值“{row.value_text or '空'}”不可衡量。"
                   "请改为“计算符号+数值+单位”的定量表述，不能量化的改为分级分档的定性表述。")]
    if row.value_kind == "empty" and row.op != "qualitative":
        return [_f("R04", ERROR, i + 1,
                   f"「{row.name}」缺少指标值。请填写具体数值（或日期），并选择计算符号和计量单位。")]
    if row.value_kind == "text" and row.op in QUANTITATIVE_OPS and not ctx.is_time(i):
        return [_f("R04", ERROR, i + 1,
                   f"「{row.name}」的计算符号为“{row.op}”，但指标值“{row.value_text}”不是数值。"
                   "请填写数值，或将计算符号改为“定性”并写明分档标准。")]
    return []


def _r05_unit(ctx: _Context, i: int) -> list[Finding]:
    row = ctx.rows[i]
    if row.value_kind == "number" and row.op != "qualitative" and not ctx.units[i]:
        return [_f("R05", ERROR, i + 1,
                   f"「{row.name}」是定量指标（{row.op or ''}{row.value_text}），但没有计量单位。"
                   "请填写计量单位（如 %、人、平方米、万元、日）。")]
    return []


def _r06_unit_match(ctx: _Context, i: int) -> list[Finding]:
    config, row, unit, name = ctx.config, ctx.rows[i], ctx.units[i], ctx.names[i]
    if row.value_kind != "number" or row.op == "qualitative" or not unit:
        return []
    expected = None
    if unit in ctx.percent and (_any(name, config.growth_words) or
                                _any(name, config.decrease_words)):
        return []  # "…里程同比增长 10 %" is a rate of change, whatever it measures
    if any(name.endswith(suffix) for suffix in config.rate_suffixes):
        if unit not in ctx.percent:
            expected = ("比率类", "%")
    elif _any(name, config.people_name_words):
        if unit not in config.people_units:
            expected = ("人数/人次类", "人、人次或万人")
    elif _any(name, config.area_name_words):
        if unit not in config.area_units:
            expected = ("面积类", "平方米、亩等面积单位")
    elif _any(name, config.length_name_words):
        if unit not in config.length_units:
            expected = ("长度类", "米、公里等长度单位")
    elif _any(name, config.time_name_words) and unit not in config.time_units:
        expected = ("时间类", "日、月、小时等时间单位或日期")
    if expected:
        return [_f("R06", WARNING, i + 1,
                   f"「{row.name}」是{expected[0]}指标，计量单位却是“{row.unit}”。"
                   f"请核对指标名称与单位，单位应为{expected[1]}。")]
    return []


def _r07_rate_range(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if row.value_kind != "number" or row.number is None:
        return []
    growth = _any(row.name, config.growth_words) or _any(row.name, config.decrease_words)
    if ctx.is_percent(i) and row.number > 100 and not growth:
        return [_f("R07", ERROR, i + 1,
                   f"「{row.name}」的指标值 {row.value_text}% 超过100%，比率不可能大于100%。"
                   "请核对数值（如合格率、覆盖率最多为100%），或改用增长幅度类指标名称。")]
    if row.number < 0 and not growth:
        return [_f("R07", ERROR, i + 1,
                   f"「{row.name}」的指标值为负数（{row.value_text}）。请填写不小于0的数值。")]
    return []


def _r08_direction(ctx: _Context, i: int) -> list[Finding]:
    config, row, name = ctx.config, ctx.rows[i], ctx.names[i]
    if row.value_kind not in ("number", "date"):
        return []
    if not row.op:
        return [_f("R08", WARNING, i + 1,
                   f"「{row.name}」的指标值 {row.value_text} 没有计算符号。"
                   "请选择 ≥、≤、＝、＞ 或 ＜，正向指标用 ≥，成本、时限等反向指标用 ≤。")]
    if _any(name, config.decrease_words):
        return []  # 下降率、节约资金: a decrease or saving is wanted, so ≥ is right
    if ctx.is_cost_class(i):
        if row.op in (">=", ">"):
            return [_f("R08", WARNING, i + 1,
                       f"「{row.name}」属于成本指标，成本指标是反向指标（越低越好；"
                       f"节约、下降类指标除外），计算符号却是“{row.op}”。请改为“≤”。")]
        return []
    if _any(name, config.positive_keywords):
        if row.op in ("<=", "<"):
            return [_f("R08", WARNING, i + 1,
                       f"「{row.name}」是正向指标（越高越好），计算符号却是“{row.op}”。"
                       "请改为“≥”（或“＝”）。")]
        return []
    word = _any(name, config.reverse_keywords)
    if word and row.op in (">=", ">"):
        return [_f("R08", WARNING, i + 1,
                   f"「{row.name}」是反向指标（“{word}”越低越好），计算符号却是“{row.op}”。"
                   "请改为“≤”。")]
    return []


def _r09_satisfaction(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if not _any(ctx.names[i], config.satisfaction_words):
        return []
    out: list[Finding] = []
    if row.value_kind == "number" and ctx.is_percent(i) and row.op in (">=", ">", "="):
        if row.number < config.satisfaction_low:
            out.append(_f("R09", WARNING, i + 1,
                          f"「{row.name}」目标值 {row.value_text}% 低于"
                          f" {_num(config.satisfaction_low)}%，"
                          "目标偏低。请参考历史调查结果适当提高（通常不低于80%）。"))
        elif row.number >= 100:
            out.append(_f("R09", WARNING, i + 1,
                          f"「{row.name}」目标值为 100%，难以实现也难以核实。"
                          "请按历史调查结果设定合理目标（如≥90%）。"))
    if config.satisfaction_method_hint and row.explanation and \
            not _any(row.explanation, config.survey_method_words):
        out.append(_f("R09", INFO, i + 1,
                      f"「{row.name}」的指标解释未说明满意度调查方式。"
                      "建议写明调查方法（问卷、抽样、第三方测评等）和样本范围。"))
    return out


def _r10_r11_confusion(ctx: _Context, i: int) -> list[Finding]:
    config, row, name, l1 = ctx.config, ctx.rows[i], ctx.names[i], ctx.l1[i]
    if l1 == config.benefit_level1:
        verb = _any(name, config.output_verbs)
        if verb and ctx.units[i] in config.count_units:
            return [_f("R10", WARNING, i + 1,
                       f"「{row.name}」（{row.value_text}{row.unit}）描述的是工作量（产出），"
                       "不是效益。请将其移至产出指标—数量指标，并在效益指标中写明该产出带来的效果。")]
        return []
    if l1 != config.output_level1 and not (config.framework == "2021" and ctx.is_cost(i)):
        return []
    if ctx.l2[i] == config.quality_level2:
        word = _any(name, config.outcome_words_in_quality)
        if word:
            return [_f("R11", WARNING, i + 1,
                       f"「{row.name}」（含“{word}”）反映的是项目效果，不是产出质量。"
                       "请将其移至效益指标（如社会效益指标），质量指标应反映产出达标情况（如合格率、达标率）。")]
    if l1 == config.output_level1:
        word = _any(name, config.outcome_words_in_output)
        if word:
            return [_f("R10", WARNING, i + 1,
                       f"「{row.name}」（含“{word}”）反映的是效果，不是产出。"
                       "请将其移至效益指标，产出指标应反映提供的产品或服务的数量、质量和时效。")]
    return []


def _unit_cost_pairs(ctx: _Context) -> dict[int, tuple[int, float, str]]:
    """Cost rows priced per unit ("元/平方米") paired with the one 数量 row of that unit."""
    config = ctx.config
    quantities: dict[str, list[int]] = {}
    for i, row in enumerate(ctx.rows):
        if ctx.l2[i] == config.quantity_level2 and row.value_kind == "number":
            quantities.setdefault(ctx.units[i], []).append(i)
    pairs: dict[int, tuple[int, float, str]] = {}
    for i, row in enumerate(ctx.rows):
        if not ctx.is_cost(i) or row.value_kind != "number":
            continue
        money, _, denominator = ctx.units[i].partition("/")
        if money not in config.money_units or not denominator:
            continue
        base = denominator.strip("()（）").split("·")[0].strip("()（）")
        matches = [(j, 1.0) for j in quantities.get(base, [])]
        matches += [(j, 10000.0) for j in quantities.get("万" + base, [])]
        if len(matches) == 1:
            pairs[i] = (matches[0][0], matches[0][1], money)
    return pairs


def unit_cost_products(table: GoalTable, config: CheckerConfig | None = None) -> dict[int, float]:
    """{cost row index (0-based): unit cost × paired quantity in 万元} as R12 computes it."""
    ctx = _Context(table, config or default_config(table.framework))
    products = {}
    for i, (j, scale, money) in _unit_cost_pairs(ctx).items():
        products[i] = ctx.rows[i].number * ctx.config.money_units[money] * \
            ctx.rows[j].number * scale
    return products


def _r12_money(ctx: _Context) -> list[Finding]:
    config, table = ctx.config, ctx.table
    out: list[Finding] = []
    budget = table.budget_wan
    n = len(ctx.rows)
    if budget and budget >= config.large_budget_wan and \
            config.min_indicators <= n < config.large_budget_min_indicators:
        out.append(_f("R12", WARNING, None,
                      f"项目预算 {_num(budget)} 万元，"
                      f"只设置了 {n} 个三级指标，难以反映资金的产出和效果。"
                      "请围绕主要支出内容补充指标（不少于"
                      f"{config.large_budget_min_indicators}个）。"))
    pairs = _unit_cost_pairs(ctx)
    total = 0.0
    paired_rows: list[int] = []
    row_errors = False
    for i, row in enumerate(ctx.rows):
        if not ctx.is_cost(i) or row.value_kind != "number" or row.number is None:
            continue
        unit = ctx.units[i]
        for pattern, ceiling in config.cost_standards.items():
            if pattern and pattern in row.name and row.number > ceiling:
                row_errors = True
                out.append(_f("R12", ERROR, i + 1,
                              f"「{row.name}」指标值 {row.value_text}{row.unit} 超过预算支出标准 "
                              f"{_num(ceiling)}。成本指标不得超出预算支出标准，请按标准调整。"))
        if row.op not in ("<=", "<", "=", ""):
            continue
        if unit in config.money_units:
            value_wan = row.number * config.money_units[unit]
            if budget and value_wan > budget:
                row_errors = True
                out.append(_f("R12", ERROR, i + 1,
                              f"「{row.name}」为 {row.value_text}{row.unit}，"
                              f"超过项目预算 {_num(budget)} 万元。"
                              "成本不能高于项目总预算，请核对成本测算或预算金额。"))
            total += value_wan
            continue
        if i not in pairs:
            continue
        j, scale, money = pairs[i]
        product = row.number * config.money_units[money] * ctx.rows[j].number * scale
        paired_rows.append(i)
        total += product
        if budget and product > budget:
            row_errors = True
            out.append(_f("R12", ERROR, i + 1,
                          f"「{row.name}」{row.value_text}{row.unit} "
                          f"× 第{j + 1}行「{ctx.rows[j].name}」"
                          f"{ctx.rows[j].value_text}{ctx.rows[j].unit} ≈ {product:.2f} 万元，"
                          f"超过项目预算 {_num(budget)} 万元。请核对单价或数量。"))
    if budget and paired_rows and not row_errors:
        share = abs(total - budget) / budget
        if share > config.budget_mismatch_share:
            row = paired_rows[0] + 1 if len(paired_rows) == 1 else None
            out.append(_f("R12", WARNING, row,
                          f"按成本指标测算的资金需求约 {total:.2f} 万元，"
                          f"与项目预算 {_num(budget)} 万元"
                          f"相差 {share:.0%}（超过 {config.budget_mismatch_share:.0%}）。"
                          "请核对单价、数量与预算，使绩效目标与资金规模相匹配。"))
    return out


def _r13_count(ctx: _Context) -> list[Finding]:
    config = ctx.config
    n = len(ctx.rows)
    if n < config.min_indicators:
        return [_f("R13", ERROR, None,
                   f"三级指标只有 {n} 个，少于 {config.min_indicators} 个。"
                   "请从产出、效益、满意度等方面补充核心指标。")]
    out: list[Finding] = []
    if n > config.max_indicators:
        out.append(_f("R13", WARNING, None,
                      f"三级指标多达 {n} 个（建议不超过 {config.max_indicators} 个）。"
                      "请精选反映主要产出和效果的核心指标。"))
    if n >= 5:
        counts: dict[str, int] = {}
        for level in ctx.l1:
            if level in config.level2:
                counts[level] = counts.get(level, 0) + 1
        for level in config.level1:
            share = counts.get(level, 0) / n
            if share > config.dominant_level1_share:
                out.append(_f("R13", INFO, None,
                              f"「{level}」占全部指标的 {share:.0%}，指标类型单一。"
                              "建议平衡产出、效益和满意度指标。"))
    return out


_CLAUSE_BREAK = r"\s，,。；;、：:（）()"


def process_work_phrase(name: str, config: CheckerConfig) -> tuple[str, str] | None:
    """(phrase, object) of the first R14 verb–object pattern in `name` ("召开…会"), or None."""
    gap = max(0, int(config.process_work_gap))
    for verb, objects in config.process_work_patterns.items():
        if not isinstance(verb, str) or not verb or not isinstance(objects, list):
            continue  # a malformed bureau override must not break the checker
        for obj in objects:
            if not isinstance(obj, str) or not obj:
                continue
            # Non-greedy and within one clause: the nearest object after the verb.
            found = re.search(f"{re.escape(verb)}[^{_CLAUSE_BREAK}]{{0,{gap}}}?{re.escape(obj)}",
                              name)
            if found:
                return found.group(0), obj
    return None


def _r14_process(ctx: _Context, i: int) -> list[Finding]:
    config, row, name = ctx.config, ctx.rows[i], ctx.names[i]
    if ctx.l1[i] not in (config.output_level1, config.benefit_level1):
        return []
    word, obj = _any(name, config.process_work_names), None
    if not word and not _any(name, config.process_work_exempt_words):
        word, obj = process_work_phrase(name, config) or (None, None)
    if not word:
        return []
    if _any(ctx.table.project, config.training_project_words) and (
            _any(name, config.training_allowed_names) or obj in config.training_allowed_objects):
        return []
    return [_f("R14", WARNING, i + 1,
               f"「{row.name}」（“{word}”）是过程性或日常工作，不是项目的产出或效益"
               "（预算执行率在自评中单独计分）。请改为反映实际产出或效果的指标。")]


def _r15_timeliness(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if not ctx.is_time(i) or row.value_kind in ("date", "empty"):
        return []
    if row.value_kind == "number":
        if ctx.units[i] in config.time_units or ctx.is_percent(i):
            return []
        return [_f("R15", ERROR, i + 1,
                   f"「{row.name}」是时效指标，计量单位“{row.unit or '空'}”不是时间单位。"
                   "请填写完成日期（如2026-08-25）、时长（日、月、小时）或及时率（%）。")]
    if _DATE_LIKE_RE.search(row.value_text):
        return []
    return [_f("R15", ERROR, i + 1,
               f"「{row.name}」是时效指标，指标值“{row.value_text}”不是日期、时长或及时率。"
               "请改为具体完成日期（如≤2026-08-25）、时限（如≤30日）或及时率（如≥95%）。")]


def _r16_basis(ctx: _Context, i: int) -> list[Finding]:
    row = ctx.rows[i]
    out: list[Finding] = []
    if not row.basis:
        out.append(_f("R16", WARNING, i + 1,
                      f"「{row.name}」没有填写指标值设定依据。"
                      "请注明计划标准、历史标准、行业标准、预算支出标准或其他标准。"))
    if row.value_kind == "number" and row.history_number is not None and \
            row.op in (">=", ">") and row.number < row.history_number:
        out.append(_f("R16", WARNING, i + 1,
                      f"「{row.name}」目标值 {row.value_text} 低于历史值 "
                      f"{_num(row.history_number)}，目标偏低。"
                      "请参考历史完成情况提高目标，或在设定依据中说明降低的原因。"))
    return out


def _key_numbers(text: str, config: CheckerConfig) -> list[tuple[float, str, str]]:
    """(number, unit, as written) pairs with a measurement unit; years, dates and money skipped."""
    units = sorted(
        {*config.percent_units, *config.people_units, *config.area_units, *config.length_units,
         *config.count_units, "吨", "万吨", "公斤", "千克", "户", "名", "人", "天", "小时",
         "工作日", "家", "所", "个"},
        key=len, reverse=True)
    found = []
    for match in _KEY_NUMBER_RE.finditer(text):
        tail = text[match.end(): match.end() + 6]
        scale = ""
        if tail[:1] in ("万", "亿"):
            scale, tail = tail[:1], tail[1:]
        unit = next((u for u in units if tail.startswith(u)), None)
        if unit is None and scale and tail.startswith(("人", "元")):
            unit = tail[:1]
        if unit is None or unit in config.money_units or unit in ("元",):
            continue
        found.append((float(match.group(1)), scale + unit, match.group(0).strip() + scale + unit))
    return found


def _r17_r18_goals(ctx: _Context) -> list[Finding]:
    config, table = ctx.config, ctx.table
    out: list[Finding] = []
    annual = table.annual_goal or ("" if table.multi_year else table.overall_goal)
    if table.multi_year and not table.annual_goal:
        out.append(_f("R17", WARNING, None,
                      "跨年度项目只填写了总体目标，没有单独的年度目标。"
                      "请分别填写总体（中期）目标和本年度目标，年度指标按本年度任务设定。"))
    if annual:
        word = _any(annual, config.multi_year_words) or (
            "跨年度" if re.search(r"20\d\d\s*[-—~～至到]\s*20\d\d", annual) else None)
        if word:
            out.append(_f("R17", WARNING, None,
                          f"年度目标中出现跨年度表述（“{word}”）。"
                          "年度目标只写本年度要完成的任务，多年累计目标放在总体目标中。"))
    if table.multi_year and table.annual_goal and table.overall_goal:
        annual_numbers = {n for n, _u, _t in _key_numbers(table.annual_goal, config)}
        for number, _unit, written in _key_numbers(table.overall_goal, config):
            if number in annual_numbers:
                continue
            for i, row in enumerate(ctx.rows):
                if row.value_kind == "number" and row.number == number and \
                        not ctx.is_percent(i):
                    out.append(_f("R17", WARNING, i + 1,
                                  f"「{row.name}」的指标值 "
                                  f"{row.value_text}{row.unit} 等于总体目标中的"
                                  f"多年总量“{written}”。年度指标应填写本年度的任务量。"))
    if not annual:
        if not table.multi_year:
            out.append(_f("R18", WARNING, None,
                          "没有填写年度目标。请用一段话写明本年度的主要产出、效果和资金规模。"))
        return out
    if not re.search(r"\d", annual):
        out.append(_f("R18", WARNING, None,
                      "年度目标没有任何数字，无法与指标对应。"
                      "请在目标中写明主要任务量（如“完成5000平方米校舍维修”）。"))
        return out
    values = [row.number for row in ctx.rows if row.value_kind == "number"]
    for number, _unit, written in _key_numbers(annual, config):
        if any(_same(number, v) for v in values):
            continue
        out.append(_f("R18", WARNING, None,
                      f"年度目标中的“{written}”在指标表中找不到对应的指标值。"
                      "请补充对应的三级指标，或使目标表述与指标值一致。"))
    return out


def _same(a: float, b: float) -> bool:
    return any(abs(a - x) <= 1e-9 * max(1.0, abs(a)) for x in (b, b * 10000, b / 10000))


def _near(a: str, b: str) -> bool:
    """True when one substitution/insertion (not of a digit or numeral) turns a into b."""
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 1 and a[diff[0]] not in _NUMERALS and b[diff[0]] not in _NUMERALS
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    k = 0
    while k < len(short) and short[k] == long_[k]:
        k += 1
    return short[k:] == long_[k + 1:] and long_[k] not in _NUMERALS


def _r19_duplicates(ctx: _Context) -> list[Finding]:
    config = ctx.config
    out: list[Finding] = []
    keys = [_PUNCT_RE.sub("", name) for name in ctx.names]
    first: dict[str, int] = {}
    # Deletion-neighbourhood index: one edit apart means sharing a one-deletion variant (or one
    # string being a variant of the other), so candidates are found in O(n·L), not O(n²).
    variants: dict[str, list[int]] = {}
    for j, key in enumerate(keys):
        if not key:
            continue
        if key in first:
            i = first[key]
            out.append(_f("R19", WARNING, j + 1,
                          f"「{ctx.rows[j].name}」与第{i + 1}行「{ctx.rows[i].name}」重复。"
                          "请删除重复指标或改为反映不同内容的指标。"))
            continue
        own = {key[:k] + key[k + 1:] for k in range(len(key))}
        if config.near_duplicate_distance >= 1 and len(key) >= 4:
            candidates = set(variants.get(key, ()))
            for variant in own:
                candidates.update(variants.get(variant, ()))
                if variant in first:
                    candidates.add(first[variant])
            for i in sorted(candidates):
                if len(keys[i]) >= 4 and _near(keys[i], key):
                    out.append(_f("R19", WARNING, j + 1,
                                  f"「{ctx.rows[j].name}」与第{i + 1}行"
                                  f"「{ctx.rows[i].name}」几乎相同。"
                                  "请合并或区分这两个指标。"))
                    break
        first[key] = j
        for variant in own:
            variants.setdefault(variant, []).append(j)
    return out


def _r20_macro(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if ctx.l1[i] != config.benefit_level1:
        return []
    word = _any(row.name, config.macro_benefit_words)
    if word:
        return [_f("R20", WARNING, i + 1,
                   f"「{row.name}」（“{word}”）是宏观经济指标，"
                   "与本项目没有直接关联，无法归因于项目资金。"
                   "请改为项目直接带来的效益（如受益人数、服务对象收入增加额）。")]
    return []


def _r21_qualitative(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if ctx.is_time(i):
        return []
    qualitative = row.op == "qualitative" or (not row.op and row.value_kind == "text")
    if qualitative and not _graded(row, config):
        return [_f("R21", ERROR, i + 1,
                   f"「{row.name}」是定性指标，但没有分级分档的评判标准。"
                   "请在指标解释中写明分档，如“达到预期目标/部分达到并具备一定效果/未达到”。")]
    return []


def _r22_source(ctx: _Context, i: int) -> list[Finding]:
    config, row = ctx.config, ctx.rows[i]
    if not config.require_data_source or _any(row.explanation, config.data_source_words):
        return []
    return [_f("R22", INFO, i + 1,
               f"「{row.name}」没有说明数据来源或佐证资料。"
               "请在指标解释中写明数据来源（统计报表、验收报告、调查问卷等），以便自评核实。")]


_ROW_RULES = (_r02_levels, _r04_vague, _r05_unit, _r06_unit_match, _r07_rate_range,
              _r08_direction, _r09_satisfaction, _r10_r11_confusion, _r14_process,
              _r15_timeliness, _r16_basis, _r20_macro, _r21_qualitative, _r22_source)
_TABLE_RULES = (_r01_r03_structure, _r12_money, _r13_count, _r17_r18_goals, _r19_duplicates)


def _sort_key(finding: Finding):
    return (finding.row is not None, finding.row or 0, int(finding.rule[1:]),
            SEVERITY_ORDER[finding.severity], finding.message)


def check_goal_table(table: GoalTable, config: CheckerConfig | None = None) -> CheckResult:
    """Run R01–R22 on a goal table; the result is the same for the same input."""
    if config is None:
        config = default_config(table.framework)
    ctx = _Context(table, config)
    findings: list[Finding] = []
    for rule in _TABLE_RULES:
        findings.extend(rule(ctx))
    for i in range(len(ctx.rows)):
        for rule in _ROW_RULES:
            findings.extend(rule(ctx, i))
    findings.sort(key=_sort_key)
    score, passed = score_findings(findings, config)
    return CheckResult(score=score, passed=passed, findings=findings)

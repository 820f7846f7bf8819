"""Everything the bureau may tune per year and framework, with defaults from the domain report.

`CheckerConfig.from_dict(overrides, framework)` merges a JSON object of overrides onto
`default_config(framework)`: scalars and lists replace the default, dictionaries are merged one
level deep (e.g. overriding the level-2 list of one level-1 keeps the others). Unknown keys or
wrong types raise `ConfigError`. `load_config(framework, year)` is the seam the CLIs use: it asks
`casebook.selectors.checker_config_for(framework=..., year=...)` when that exists and falls back
to the defaults.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass, field, fields

from casebook.rules.i18n import gettext as _
from casebook.rules.i18n import gettext_noop

logger = logging.getLogger(__name__)

ERR_UNKNOWN_KEY = gettext_noop("Unknown configuration key {key!r}.")
ERR_KEY_TYPE = gettext_noop("Configuration key {key!r} has the wrong type.")
ERR_NOT_OBJECT = gettext_noop("The configuration overrides must be an object.")

LEVEL2_2021 = {
    "成本指标": ["经济成本指标", "社会成本指标", "生态环境成本指标"],
    "产出指标": ["数量指标", "质量指标", "时效指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}
LEVEL2_2020 = {
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}


class ConfigError(ValueError):
    """Invalid configuration overrides; `messages` lists every problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def level_key(name: str) -> str:
    """Canonical level name: "数量" and "数量指标" are the same level."""
    text = (name or "").strip().replace(" ", "")
    if text and not text.endswith("指标"):
        text += "指标"
    return text


@dataclass
class CheckerConfig:
    """Tunable dictionaries and thresholds of the checker and the scoring rules."""

    framework: str = "2021"
    # Structure.
    level1: list[str] = field(default_factory=lambda: list(LEVEL2_2021))
    level2: dict[str, list[str]] = field(default_factory=lambda: copy.deepcopy(LEVEL2_2021))
    required_level1: list[str] = field(
        default_factory=lambda: ["成本指标", "产出指标", "效益指标"])
    satisfaction_level1: str = "满意度指标"
    benefit_level1: str = "效益指标"
    output_level1: str = "产出指标"
    cost_level1: str = "成本指标"
    quantity_level2: str = "数量指标"
    quality_level2: str = "质量指标"
    timeliness_level2: str = "时效指标"
    cost_level2: list[str] = field(
        default_factory=lambda: ["成本指标", "经济成本指标", "社会成本指标", "生态环境成本指标"])
    # Words (R04, R08, R10, R11, R14, R20, R21).
    vague_words: list[str] = field(default_factory=lambda: [
        "明显", "显著", "有效", "进一步", "较大", "大幅", "全面", "稳步", "持续", "不断", "提升",
        "改善", "促进", "推动", "加强", "良好", "较好", "基本", "逐步", "大力", "积极", "充分",
        "切实"])
    grade_markers: list[str] = field(default_factory=lambda: [
        "部分达到", "部分达成", "部分实现", "分级", "分档", "等级", "评判标准", "评分标准",
        "扣分", "优良中差", "优、良", "好、较好", "三档", "A档", "一档"])
    reverse_keywords: list[str] = field(default_factory=lambda: [
        "成本", "单价", "造价", "费用", "运维费", "差错率", "投诉量", "投诉率", "投诉件",
        "事故", "时限", "发生率", "死亡率", "超标", "违规", "损失", "能耗", "完成时间",
        "完工时间", "办结时间", "用时"])
    positive_keywords: list[str] = field(default_factory=lambda: [
        "满意度", "合格率", "完成率", "达标率", "覆盖率", "及时率", "知晓率", "到位率",
        "通过率", "验收率", "入库率", "落实率"])
    decrease_words: list[str] = field(default_factory=lambda: [
        "下降", "减少", "降低", "节约", "压减", "缩短", "节省"])
    growth_words: list[str] = field(default_factory=lambda: [
        "增长", "提高", "下降幅度", "同比", "增幅", "增速", "增加"])
    output_verbs: list[str] = field(default_factory=lambda: [
        "完成", "举办", "发放", "建设", "采购", "培训", "新建", "维修", "购置", "开展",
        "印发", "召开", "组织"])
    count_units: list[str] = field(default_factory=lambda: [
        "次", "个", "人次", "套", "公里", "期", "所", "台", "件", "场", "项", "处", "批",
        "册", "份", "座", "栋", "辆", "千米", "米", "平方米", "万平方米", "亩", "万亩"])
    outcome_words_in_output: list[str] = field(default_factory=lambda: [
        "控制率", "增收", "下降率", "带动", "受益", "改善", "增长率", "收入增长", "就业率",
        "治愈率"])
    outcome_words_in_quality: list[str] = field(default_factory=lambda: [
        "治愈率", "控制率", "达标排放改善", "收入增长", "增收", "改善率", "就业率"])
    process_work_names: list[str] = field(default_factory=lambda: [
        "召开会议", "开展调研", "印发文件", "下发文件", "按时上报", "资金拨付及时率",
        "资金拨付率", "预算执行率", "资金执行率", "资金支付率", "支出进度", "会议次数",
        "召开会议次数", "出台文件"])
    # R14 verb–object patterns: a verb, at most `process_work_gap` characters of the same clause,
    # then one of its objects ("召开养护工作推进会", "印发专项资金管理通知").
    process_work_patterns: dict[str, list[str]] = field(default_factory=lambda: {
        "召开": ["会"], "开展": ["调研"], "组织": ["检查", "调研"],
        "印发": ["文件", "通知"], "下发": ["文件", "通知"], "出台": ["文件"],
        "按时": ["上报", "报送"]})
    process_work_gap: int = 8
    # Services that read like process work but are what the project delivers.
    process_work_exempt_words: list[str] = field(default_factory=lambda: [
        "健康检查", "体格检查", "医学检查", "运动会", "博览会", "展销会", "招聘会", "交易会"])
    training_project_words: list[str] = field(default_factory=lambda: ["培训", "会议", "会务"])
    training_allowed_names: list[str] = field(default_factory=lambda: ["会议次数", "召开会议"])
    # In a training or meeting project, verb–object hits with these objects are its outputs.
    training_allowed_objects: list[str] = field(default_factory=lambda: ["会"])
    macro_benefit_words: list[str] = field(default_factory=lambda: [
        "GDP", "地区生产总值", "国内生产总值", "财政收入增长", "全市经济发展", "全县经济发展",
        "全区经济发展", "经济社会发展", "税收增长", "招商引资", "全市经济", "全省经济"])
    multi_year_words: list[str] = field(default_factory=lambda: [
        "三年", "两年", "五年", "十四五", "十五五", "累计", "中期"])
    timely_words: list[str] = field(default_factory=lambda: ["及时率", "按时率", "准时率"])
    satisfaction_words: list[str] = field(default_factory=lambda: ["满意度", "满意率"])
    survey_method_words: list[str] = field(default_factory=lambda: [
        "问卷", "调查", "抽样", "测评", "访谈", "回访", "第三方"])
    data_source_words: list[str] = field(default_factory=lambda: [
        "数据来源", "来源", "佐证", "台账", "统计", "报表", "调查", "记录", "报告", "验收"])
    # Unit dictionaries (R05, R06, R07, R12, R15).
    percent_units: list[str] = field(default_factory=lambda: ["%", "％", "‰", "百分比"])
    people_units: list[str] = field(default_factory=lambda: [
        "人", "人次", "万人", "万人次", "名", "户", "人·次", "人/次"])
    area_units: list[str] = field(default_factory=lambda: [
        "平方米", "万平方米", "㎡", "m²", "m2", "平米", "亩", "万亩", "公顷", "平方公里",
        "平方千米", "km²"])
    length_units: list[str] = field(default_factory=lambda: [
        "米", "公里", "千米", "km", "万米", "延米", "m"])
    time_units: list[str] = field(default_factory=lambda: [
        "日期", "日", "天", "月", "年", "小时", "分钟", "工作日", "个工作日", "周", "个月",
        "自然日", "h", "季度"])
    money_units: dict[str, float] = field(default_factory=lambda: {
        "元": 0.0001, "千元": 0.1, "万元": 1.0, "亿元": 10000.0})
    # Name keywords for R06.
    rate_suffixes: list[str] = field(default_factory=lambda: [
        "率", "比例", "占比", "覆盖率", "合格率", "满意度"])
    people_name_words: list[str] = field(default_factory=lambda: ["人次", "人数"])
    area_name_words: list[str] = field(default_factory=lambda: ["面积"])
    length_name_words: list[str] = field(default_factory=lambda: ["长度", "里程"])
    time_name_words: list[str] = field(default_factory=lambda: ["时间", "时限", "年限", "工期"])
    # Thresholds.
    satisfaction_low: float = 80.0
    budget_mismatch_share: float = 0.20
    large_budget_wan: float = 100.0
    large_budget_min_indicators: int = 5
    max_indicators: int = 20
    min_indicators: int = 3
    dominant_level1_share: float = 0.60
    near_duplicate_distance: int = 1
    require_data_source: bool = False
    satisfaction_method_hint: bool = True
    cost_standards: dict[str, float] = field(default_factory=dict)
    # Scoring of the checker result (see checker.py).
    score_error_penalty: float = 15.0
    score_warning_penalty: float = 5.0
    score_info_penalty: float = 0.0
    score_max_per_rule: int = 3
    pass_mark: float = 60.0
    # Self-evaluation (selfeval.py).
    selfeval_budget_weight: float = 10.0
    selfeval_class_weights: dict[str, float] = field(default_factory=lambda: {
        "产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0})
    selfeval_cost_into: str = "产出指标"
    selfeval_qualitative_bands: dict[str, list[float]] = field(default_factory=lambda: {
        "达成": [80.0, 100.0, 100.0], "部分达成": [60.0, 80.0, 70.0],
        "未达成": [0.0, 60.0, 30.0]})
    selfeval_late_rules: list[list[float]] = field(default_factory=lambda: [[30, 0.6]])
    selfeval_overachievement_deduction: bool = False
    selfeval_overachievement_threshold: float = 0.20
    selfeval_overachievement_rate_per_10pp: float = 0.10
    selfeval_min_explanation_chars: int = 5
    selfeval_grade_bands: list[list] = field(default_factory=lambda: [
        [90.0, "优"], [80.0, "良"], [60.0, "中"], [0.0, "差"]])
    # Monitoring (monitoring.py).
    monitoring_red_below: float = 0.60
    monitoring_green_from: float = 0.80
    monitoring_blue_from: float = 1.20
    # Ex-ante (exante.py).
    exante_aspect_points: float = 20.0
    exante_support_from: float = 80.0
    exante_conditional_from: float = 60.0

    # ---- derived helpers -------------------------------------------------------------
    def canonical_level1(self, name: str) -> str:
        return level_key(name)

    def canonical_level2(self, name: str) -> str:
        return level_key(name)

    def to_dict(self) -> dict:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, overrides: dict | None, framework: str = "2021") -> CheckerConfig:
        """Defaults of `framework` with `overrides` merged on top; ConfigError if invalid."""
        config = default_config(framework)
        if overrides is None:
            return config
        if not isinstance(overrides, dict):
            raise ConfigError([_(ERR_NOT_OBJECT)])
        known = {f.name: f for f in fields(cls)}
        errors: list[str] = []
        for key, value in overrides.items():
            if key not in known:
                errors.append(_(ERR_UNKNOWN_KEY).format(key=str(key)[:60]))
                continue
            if key == "framework":
                if value != framework:
                    errors.append(_(ERR_KEY_TYPE).format(key=key))
                continue
            current = getattr(config, key)
            merged = _merge(current, value)
            if merged is _INVALID:
                errors.append(_(ERR_KEY_TYPE).format(key=key))
                continue
            setattr(config, key, merged)
        if errors:
            raise ConfigError(errors)
        config.level1 = [level_key(name) for name in config.level1]
        config.level2 = {level_key(k): [level_key(v) for v in vs]
                         for k, vs in config.level2.items()}
        config.required_level1 = [level_key(name) for name in config.required_level1]
        return config


_INVALID = object()


def _merge(current, value):
    if isinstance(current, bool):
        return value if isinstance(value, bool) else _INVALID
    if isinstance(current, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _INVALID
        return type(current)(value) if isinstance(current, float) else (
            value if isinstance(value, int) else _INVALID)
    if isinstance(current, str):
        return value if isinstance(value, str) else _INVALID
    if isinstance(current, list):
        if not isinstance(value, list):
            return _INVALID
        if current and all(isinstance(item, str) for item in current) and \
                not all(isinstance(item, str) for item in value):
            return _INVALID
        return copy.deepcopy(value)
    if isinstance(current, dict):
        if not isinstance(value, dict):
            return _INVALID
        merged = copy.deepcopy(current)
        for key, item in value.items():
            if not isinstance(key, str):
                return _INVALID
            if key in current and isinstance(current[key], list) and not isinstance(item, list):
                return _INVALID
            if key in current and isinstance(current[key], int | float) and (
                    isinstance(item, bool) or not isinstance(item, int | float)):
                return _INVALID
            merged[key] = copy.deepcopy(item)
        return merged
    return _INVALID


def default_config(framework: str = "2021") -> CheckerConfig:
    """The report's defaults for the 2021 (101号, four level-1) or 2020 (three level-1) frame."""
    framework = str(framework or "2021")
    if framework == "2020":
        return CheckerConfig(
            framework="2020",
            level1=list(LEVEL2_2020),
            level2=copy.deepcopy(LEVEL2_2020),
            required_level1=["产出指标", "效益指标"],
            # Output absorbs cost in the three-class frame, so it naturally holds more rows.
            dominant_level1_share=0.75,
        )
    return CheckerConfig()


def load_config(framework: str = "2021", year: int | None = None) -> CheckerConfig:
    """The bureau's configuration for a framework and year, or the defaults.

    Seam for the casebook models: `casebook.selectors.checker_config_for(framework=, year=)`
    may return a CheckerConfig, a dict of overrides, or None.
    """
    if year is None:
        return default_config(framework)
    try:
        from casebook.selectors import checker_config_for
    except ImportError:
        return default_config(framework)
    try:
        found = checker_config_for(framework=framework, year=year)
    except Exception as exc:  # no database, unmigrated tables: the checker still works
        logger.warning("checker config unavailable, using defaults: %s", exc)
        return default_config(framework)
    if found is None:
        return default_config(framework)
    if isinstance(found, CheckerConfig):
        return found
    return CheckerConfig.from_dict(found, framework)

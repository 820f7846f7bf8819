"""The seeded default scheme: a typical 100-point appraisal of departments' budget performance
work (预算绩效管理工作考核), after the domain report §4.2–§4.3.

It is a starting point the bureau adapts (items, points, thresholds and wording are editable in
the admin), not an official document. The training item (4 points inside 组织保障与制度建设) is
split into three automatic items computed from the platform's records; everything else is entered
by bureau staff with evidence. The item names and notes are seeded content, stored as data in the
bureau's language, like the demo organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assessments.models import ItemKind, Metric, Rule

TRAINING_GROUP = "组织保障与制度建设"
BONUS_CODE = "bonus"
DEDUCTION_CODE = "deduction"
#: Codes outside the 100 points (bonus and deduction).
EXTRA_CODES = frozenset({BONUS_CODE, DEDUCTION_CODE})
#: Codes of the three automatic training items, in order.
TRAINING_CODES = ("training-heads", "training-completion", "training-goal-setting")

NOTE = "（示例方案，由财政局结合本地实际调整。）"


@dataclass(frozen=True)
class ItemSpec:
    group: str
    code: str
    name: str
    max_points: Decimal
    description: str
    kind: str = ItemKind.MANUAL
    metric: str = ""
    rule: str = ""
    lower: Decimal | None = None
    upper: Decimal | None = None
    min_points: Decimal = Decimal("0")
    bonus: bool = False


def _manual(group: str, code: str, name: str, points: str, evidence: str) -> ItemSpec:
    return ItemSpec(group=group, code=code, name=name, max_points=Decimal(points),
                    description=f"佐证材料：{evidence}{NOTE}")


_ORG = TRAINING_GROUP
_EXANTE = "事前绩效评估"
_GOALS = "绩效目标管理"
_MONITOR = "绩效运行监控"
_EVAL = "绩效评价"
_RESULTS = "结果应用与整改"
_DISCLOSURE = "信息公开"
_COOPERATION = "工作配合与时效"
_EXTRA = "加分与扣分"

DEFAULT_ITEMS: tuple[ItemSpec, ...] = (
    _manual(_ORG, "org-leadership", "领导机制与职责分工", "3",
            "成立由主要负责人牵头的预算绩效管理领导机制的文件，明确财务机构与业务处室职责分工的"
            "文件或会议纪要。"),
    _manual(_ORG, "org-rules", "内部预算绩效管理制度", "3",
            "本部门印发的预算绩效管理办法、事前评估、运行监控、评价及结果应用等内部制度。"),
    ItemSpec(group=_ORG, code="training-heads", name="负责人完成年度培训",
             max_points=Decimal("1"), kind=ItemKind.AUTOMATIC,
             metric=Metric.HEADS_COMPLETION_RATE, rule=Rule.BINARY, lower=Decimal("1"),
             description="由平台按年度培训计划自动计算：应训的主要负责人、分管负责人全部完成"
                         f"年度课程得 1 分，否则不得分。{NOTE}"),
    ItemSpec(group=_ORG, code="training-completion", name="参训完成率（业务人员权重≥50%）",
             max_points=Decimal("1.5"), kind=ItemKind.AUTOMATIC,
             metric=Metric.WEIGHTED_COMPLETION_RATE, rule=Rule.LINEAR, lower=Decimal("0.6"),
             upper=Decimal("0.9"),
             description="由平台自动计算：完成人数 ÷ 应训名单，业务人员权重不低于 50%；60% 及"
                         f"以下不得分，90% 及以上得满分，其间按比例计分。{NOTE}"),
    ItemSpec(group=_ORG, code="training-goal-setting", name="业务人员目标编制实操合格率",
             max_points=Decimal("1.5"), kind=ItemKind.AUTOMATIC,
             metric=Metric.GOAL_SETTING_PASS_RATE, rule=Rule.LINEAR, lower=Decimal("0.6"),
             upper=Decimal("0.9"),
             description="由平台自动计算：至少通过一次绩效目标编制练习（规则自动评分）的业务人员"
                         f"占比；60% 及以下不得分，90% 及以上得满分，其间按比例计分。{NOTE}"),
    _manual(_EXANTE, "exante-coverage", "新增重大项目事前评估覆盖率", "5",
            "新增重大政策和项目清单及对应的事前绩效评估报告。"),
    _manual(_EXANTE, "exante-pass-rate", "评估报告一次性审核通过率", "5",
            "财政部门对事前评估报告的审核意见，按一次性通过的比例计分。"),
    _manual(_GOALS, "goals-coverage", "绩效目标编报覆盖率", "5",
            "项目支出与部门整体绩效目标的编报清单，覆盖全部项目和部门整体。"),
    _manual(_GOALS, "goals-quality", "绩效目标编报质量", "10",
            "财政部门审核评分或自动校验通过率（抽查），指标完整、可衡量、与预算匹配。"),
    _manual(_GOALS, "goals-on-time", "按时报送绩效目标", "5",
            "一体化系统中的报送时间记录。"),
    _manual(_MONITOR, "monitor-on-time", "按时完成绩效运行监控", "5",
            "1—7 月（或半年）绩效运行监控表的报送记录。"),
    _manual(_MONITOR, "monitor-quality", "运行监控质量", "5",
            "监控表中偏差原因、纠偏措施和预计完成情况的填写情况。"),
    _manual(_MONITOR, "monitor-execution", "预算执行进度达序时", "5",
            "预算执行进度数据。"),
    _manual(_EVAL, "eval-self-coverage", "单位自评覆盖率与按时完成", "5",
            "单位自评清单及报送时间。"),
    _manual(_EVAL, "eval-self-quality", "自评质量（抽查复核）", "10",
            "抽查复核记录：自评分与复核分相差 10 分及以上的项目占比。"),
    _manual(_EVAL, "eval-department", "部门评价开展情况", "5",
            "部门评价工作方案、评价报告。"),
    _manual(_RESULTS, "results-rectification", "问题整改按期完成率", "8",
            "整改台账、整改报告。"),
    _manual(_RESULTS, "results-use", "评价结果用于预算安排和管理改进", "7",
            "评价结果用于预算调整、政策完善或管理改进的文件佐证。"),
    _manual(_DISCLOSURE, "disclosure-goals", "绩效目标公开", "2",
            "门户网站或预算公开平台上的绩效目标公开页面。"),
    _manual(_DISCLOSURE, "disclosure-self-eval", "自评结果公开", "2",
            "自评结果的公开页面。"),
    _manual(_DISCLOSURE, "disclosure-reports", "评价报告公开", "1",
            "评价报告的公开页面。"),
    _manual(_COOPERATION, "cooperation", "工作配合与时效", "5",
            "财政部门的工作记录：按时报送、数据质量、配合监控和评价的情况。"),
    ItemSpec(group=_EXTRA, code=BONUS_CODE, name="加分", max_points=Decimal("5"), bonus=True,
             description="佐证材料：经验做法被上级推广、创新做法（如部门整体绩效试点）等，"
                         f"最多加 5 分。{NOTE}"),
    ItemSpec(group=_EXTRA, code=DEDUCTION_CODE, name="扣分", max_points=Decimal("0"),
             min_points=Decimal("-10"),
             description="违规被通报、自评严重失实、问题未按期整改等，最多扣 10 分，录入负数。"
                         f"{NOTE}"),
)

#: Grade bands (优秀 ≥ 90, 良好 80–<90, 合格 60–<80, 不合格 < 60), highest first.
DEFAULT_GRADE_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("优秀", Decimal("90")),
    ("良好", Decimal("80")),
    ("合格", Decimal("60")),
    ("不合格", Decimal("0")),
)


def default_title(year: int) -> str:
    return f"{year}年度预算绩效管理工作考核"

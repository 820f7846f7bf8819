"""Demo exercises on the seeded cases (plain data; `casebook.demo` creates them)."""

GOAL = "goal_setting"
FIND = "find_errors"
SELF = "self_evaluation"
MON = "monitoring"
EXANTE = "ex_ante"

GOAL_TEXT = ("<p>阅读案例背景和总体目标，填写年度目标，并按指标框架编制绩效指标表："
             "成本、产出（数量、质量、时效）、效益、满意度指标齐全，定量指标写明计算符号、指标值和"
             "计量单位，定性指标写明分级标准。提交后系统按国家指标规则逐行检查。</p>")

EXERCISES = [
    {"case": "CASE-EDU-01", "kind": GOAL, "title": "绩效目标编制：校舍维修改造项目",
     "instructions": GOAL_TEXT, "pass_mark": 70},
    {"case": "CASE-HEA-01", "kind": GOAL, "title": "绩效目标编制：基本公共卫生服务项目",
     "instructions": GOAL_TEXT, "pass_mark": 70},
    {"case": "CASE-AGR-01", "kind": GOAL, "title": "绩效目标编制：高标准农田建设项目",
     "instructions": GOAL_TEXT, "pass_mark": 70},
    {"case": "CASE-GOV-01", "kind": GOAL, "title": "绩效目标编制：预算绩效管理培训项目",
     "instructions": GOAL_TEXT, "pass_mark": 70},
    {"case": "CASE-URB-01", "kind": FIND, "title": "找错：道路清扫保洁服务绩效目标表",
     "instructions": "<p>下表在规范的参考表中注入了3处错误。勾选有错误的行并选择错误类型；"
                     "整表问题（如缺少满意度指标）在表下勾选。</p>",
     "error_count": 3, "seed": 7},
    {"case": "CASE-EDU-01", "kind": SELF, "title": "单位自评打分：校舍维修改造项目",
     "instructions": "<p>按财预〔2020〕10号规则为每项指标打分（未完成按完成值与指标值的比例，"
                     "反向指标按指标值与完成值的比例，时效推迟30天内按60%），计算预算执行率得分、"
                     "总分并确定等级。保留两位小数。</p>", "pass_mark": 80},
    {"case": "CASE-GOV-01", "kind": SELF, "title": "单位自评打分：预算绩效管理培训项目",
     "instructions": "<p>按10号规则计算各指标得分、预算执行率得分、总分和等级。</p>",
     "pass_mark": 80},
    {"case": "CASE-EDU-01", "kind": MON, "title": "运行监控：校舍维修改造项目1–7月",
     "instructions": "<p>按序时进度（年度指标值×月份/12）判断每项指标的红黄绿蓝灯，"
                     "并选择对偏差的处理方式。</p>",
     # The audit's findings are serious problems: the key is 暂停项目实施/调减预算/停止拨付 for
     # that row even though its progress light is blue.
     "settings": {"causes": {"实施改造学校数": {
         "problems": ["illegal_subcontracting", "misappropriation"],
         "note": "审计发现1所学校施工单位转包、工程款被挪用"}}}},
    {"case": "CASE-HEA-01", "kind": MON, "title": "运行监控：基本公共卫生服务项目",
     "instructions": "<p>判断每项指标的灯色并选择处理方式。</p>"},
    {"case": "CASE-ENV-01", "kind": EXANTE, "title": "事前绩效评估：将审核意见归入五个方面",
     "instructions": "<p>把每条审核意见归入事前绩效评估的五个方面，再为五个方面各打0–20分，"
                     "得出总分和评估结论（≥80予以支持，60–80调整完善后支持，<60不予支持）。</p>"},
]

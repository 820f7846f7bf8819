"""Demo organisation for 绩效学堂: departments, units, offices, learners and demo accounts.

Everything here is demo data for a city like 乌海市 (the seed report's city).  The three
districts 海勃湾区、乌达区、海南区 are real; the city departments use the usual names of
municipal departments, and the units and internal offices (内设机构) are typical for each
sector but are *not* taken from any official establishment list (机构编制).  All people,
staff numbers, phone numbers and e-mail addresses are generated and fictional.

The module is pure Python (no Django imports) so that management commands, tests and the
README generator can import it without settings.

Roster columns (花名册) and the keys of ``learners()`` correspond one to one::

    部门编码 | 部门名称 | 单位编码 | 单位名称 | 内设机构 | 机构类型 |
    姓名 | 工号 | 职务类别 | 手机 | 邮箱
    department_code | department_name | unit_code | unit_name | office_name | office_kind |
    name | staff_number | position | phone | email

Run ``python departments/demo_organisation.py`` for a self-check.
"""

from __future__ import annotations

import random
from collections import Counter

# --------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------

# Office kinds in DEPARTMENTS (code) -> Chinese label used in the roster (机构类型).
OFFICE_KIND_LABELS = {"finance": "财务", "business": "业务", "general": "综合"}

# Position categories in the roster (职务类别). Keep these exact Chinese labels.
POSITION_HEAD = "负责人"
POSITION_FINANCE = "财务人员"
POSITION_BUSINESS = "业务人员"
POSITION_OTHER = "其他"
POSITIONS = (POSITION_HEAD, POSITION_FINANCE, POSITION_BUSINESS, POSITION_OTHER)

EMAIL_DOMAIN = "wuhai-demo.local"


def _offices(*pairs: tuple[str, str]) -> list[dict]:
    return [{"name": name, "kind": kind} for name, kind in pairs]


G, F, B = "general", "finance", "business"

# --------------------------------------------------------------------------------------
# Departments (部门) -> units (单位) -> offices (内设机构)
# City departments use codes 101–117, districts 201–203; unit code = department code +
# three digits.  "本级" is the department's own administrative unit.
# --------------------------------------------------------------------------------------

DEPARTMENTS: list[dict] = [
    {
        "code": "101",
        "name": "市教育局",
        "kind": "city",
        "units": [
            {
                "code": "101001",
                "name": "市教育局本级",
                "offices": _offices(
                    ("办公室", G),
                    ("计划财务科", F),
                    ("基础教育科", B),
                    ("职业教育与社会教育科", B),
                ),
            },
            {
                "code": "101002",
                "name": "市第一中学",
                "offices": _offices(("校长办公室", G), ("财务室", F), ("教务处", B), ("德育处", B)),
            },
            {
                "code": "101003",
                "name": "市实验小学",
                "offices": _offices(("校长办公室", G), ("财务室", F), ("教导处", B)),
            },
        ],
    },
    {
        "code": "102",
        "name": "市卫生健康委员会",
        "kind": "city",
        "units": [
            {
                "code": "102001",
                "name": "市卫生健康委员会本级",
                "offices": _offices(
                    ("办公室", G),
                    ("规划发展与财务科", F),
                    ("医政医管科", B),
                    ("疾病预防控制科", B),
                ),
            },
            {
                "code": "102002",
                "name": "市人民医院",
                "offices": _offices(
                    ("院办公室", G), ("财务科", F), ("医务科", B), ("护理部", B), ("总务科", G)
                ),
            },
            {
                "code": "102003",
                "name": "市疾病预防控制中心",
                "offices": _offices(
                    ("办公室", G), ("财务科", F), ("免疫规划科", B), ("慢性病防治科", B)
                ),
            },
        ],
    },
    {
        "code": "103",
        "name": "市农牧局",
        "kind": "city",
        "units": [
            {
                "code": "103001",
                "name": "市农牧局本级",
                "offices": _offices(
                    ("办公室", G), ("计划财务科", F), ("种植业管理科", B), ("畜牧兽医科", B)
                ),
            },
            {
                "code": "103002",
                "name": "市农牧业技术推广中心",
                "offices": _offices(("办公室", G), ("财务室", F), ("农业技术推广科", B)),
            },
            {
                "code": "103003",
                "name": "市动物疫病预防控制中心",
                "offices": _offices(("综合科", G), ("财务室", F), ("疫病监测科", B)),
            },
        ],
    },
    {
        "code": "104",
        "name": "市住房和城乡建设局",
        "kind": "city",
        "units": [
            {
                "code": "104001",
                "name": "市住房和城乡建设局本级",
                "offices": _offices(
                    ("办公室", G), ("计划财务科", F), ("城市建设科", B), ("住房保障科", B)
                ),
            },
            {
                "code": "104002",
                "name": "市住房保障服务中心",
                "offices": _offices(("综合科", G), ("财务科", F), ("保障房管理科", B)),
            },
            {
                "code": "104003",
                "name": "市建设工程质量安全服务站",
                "offices": _offices(
                    ("办公室", G), ("财务室", F), ("质量监督科", B), ("安全监督科", B)
                ),
            },
        ],
    },
    {
        "code": "105",
        "name": "市民政局",
        "kind": "city",
        "units": [
            {
                "code": "105001",
                "name": "市民政局本级",
                "offices": _offices(
                    ("办公室", G), ("规划财务科", F), ("社会救助科", B), ("养老服务科", B)
                ),
            },
            {
                "code": "105002",
                "name": "市社会福利院",
                "offices": _offices(("办公室", G), ("财务科", F), ("养护科", B)),
            },
            {
                "code": "105003",
                "name": "市救助管理站",
                "offices": _offices(("综合科", G), ("财务室", F), ("救助科", B)),
            },
        ],
    },
    {
        "code": "106",
        "name": "市人力资源和社会保障局",
        "kind": "city",
        "units": [
            {
                "code": "106001",
                "name": "市人力资源和社会保障局本级",
                "offices": _offices(
                    ("办公室", G),
                    ("规划财务科", F),
                    ("就业促进和失业保险科", B),
                    ("职业能力建设科", B),
                ),
            },
            {
                "code": "106002",
                "name": "市公共就业服务中心",
                "offices": _offices(("综合科", G), ("财务科", F), ("就业援助科", B)),
            },
            {
                "code": "106003",
                "name": "市社会保险事业服务中心",
                "offices": _offices(
                    ("综合科", G), ("财务科", F), ("养老保险科", B), ("工伤保险科", B)
                ),
            },
        ],
    },
    {
        "code": "107",
        "name": "市交通运输局",
        "kind": "city",
        "units": [
            {
                "code": "107001",
                "name": "市交通运输局本级",
                "offices": _offices(
                    ("办公室", G), ("财务审计科", F), ("综合运输科", B), ("公路建设管理科", B)
                ),
            },
            {
                "code": "107002",
                "name": "市公路养护中心",
                "offices": _offices(("办公室", G), ("财务科", F), ("养护管理科", B)),
            },
            {
                "code": "107003",
                "name": "市道路运输服务中心",
                "offices": _offices(("综合科", G), ("财务室", F), ("客运管理科", B)),
            },
        ],
    },
    {
        "code": "108",
        "name": "市生态环境局",
        "kind": "city",
        "units": [
            {
                "code": "108001",
                "name": "市生态环境局本级",
                "offices": _offices(
                    ("办公室", G), ("规划财务科", F), ("大气环境科", B), ("水生态环境科", B)
                ),
            },
            {
                "code": "108002",
                "name": "市生态环境监测站",
                "offices": _offices(("办公室", G), ("财务室", F), ("监测科", B), ("质量管理科", B)),
            },
        ],
    },
    {
        "code": "109",
        "name": "市文化旅游体育局",
        "kind": "city",
        "units": [
            {
                "code": "109001",
                "name": "市文化旅游体育局本级",
                "offices": _offices(
                    ("办公室", G), ("计划财务科", F), ("公共服务科", B), ("旅游发展科", B)
                ),
            },
            {
                "code": "109002",
                "name": "市图书馆",
                "offices": _offices(("办公室", G), ("财务室", F), ("读者服务部", B)),
            },
            {
                "code": "109003",
                "name": "市群众艺术馆",
                "offices": _offices(("办公室", G), ("财务室", F), ("群众文化部", B)),
            },
        ],
    },
    {
        "code": "110",
        "name": "市公安局",
        "kind": "city",
        "units": [
            {
                "code": "110001",
                "name": "市公安局本级",
                "offices": _offices(
                    ("办公室", G),
                    ("警务保障处", F),
                    ("治安管理支队", B),
                    ("交通警察支队", B),
                    ("政治处", G),
                ),
            },
            {
                "code": "110002",
                "name": "市看守所",
                "offices": _offices(("办公室", G), ("财务室", F), ("监管业务科", B)),
            },
        ],
    },
    {
        "code": "111",
        "name": "市自然资源局",
        "kind": "city",
        "units": [
            {
                "code": "111001",
                "name": "市自然资源局本级",
                "offices": _offices(
                    ("办公室", G), ("财务科", F), ("国土空间规划科", B), ("耕地保护监督科", B)
                ),
            },
            {
                "code": "111002",
                "name": "市不动产登记中心",
                "offices": _offices(("综合科", G), ("财务室", F), ("登记科", B)),
            },
            {
                "code": "111003",
                "name": "市测绘地理信息中心",
                "offices": _offices(("办公室", G), ("财务室", F), ("测绘科", B)),
            },
        ],
    },
    {
        "code": "112",
        "name": "市应急管理局",
        "kind": "city",
        "units": [
            {
                "code": "112001",
                "name": "市应急管理局本级",
                "offices": _offices(
                    ("办公室", G), ("规划财务科", F), ("应急救援科", B), ("安全生产基础科", B)
                ),
            },
            {
                "code": "112002",
                "name": "市应急管理综合保障中心",
                "offices": _offices(("综合科", G), ("财务科", F), ("物资保障科", B)),
            },
        ],
    },
    {
        "code": "113",
        "name": "市市场监督管理局",
        "kind": "city",
        "units": [
            {
                "code": "113001",
                "name": "市市场监督管理局本级",
                "offices": _offices(
                    ("办公室", G),
                    ("财务装备科", F),
                    ("食品安全协调科", B),
                    ("特种设备安全监察科", B),
                ),
            },
            {
                "code": "113002",
                "name": "市检验检测中心",
                "offices": _offices(
                    ("办公室", G), ("财务室", F), ("食品检验科", B), ("计量检定科", B)
                ),
            },
        ],
    },
    {
        "code": "114",
        "name": "市水务局",
        "kind": "city",
        "units": [
            {
                "code": "114001",
                "name": "市水务局本级",
                "offices": _offices(
                    ("办公室", G),
                    ("规划计划财务科", F),
                    ("水资源管理科", B),
                    ("水利工程建设管理科", B),
                ),
            },
            {
                "code": "114002",
                "name": "市水利工程管理中心",
                "offices": _offices(("综合科", G), ("财务科", F), ("工程运行科", B)),
            },
        ],
    },
    {
        "code": "115",
        "name": "市财政局",
        "kind": "city",
        "units": [
            {
                "code": "115001",
                "name": "市财政局本级",
                # 绩效管理和监督科 is named in the seed report; the other names are typical.
                "offices": _offices(
                    ("办公室", G),
                    ("财务科", F),
                    ("预算科", B),
                    ("绩效管理和监督科", B),
                    ("国库科", B),
                ),
            },
            {
                "code": "115002",
                "name": "市财政国库支付中心",
                "offices": _offices(("综合科", G), ("财务室", F), ("支付核算科", B)),
            },
            {
                "code": "115003",
                "name": "市政府采购中心",
                "offices": _offices(("办公室", G), ("财务室", F), ("采购业务科", B)),
            },
        ],
    },
    {
        "code": "116",
        "name": "市医疗保障局",
        "kind": "city",
        "units": [
            {
                "code": "116001",
                "name": "市医疗保障局本级",
                "offices": _offices(
                    ("办公室", G), ("规划财务科", F), ("待遇保障科", B), ("医药服务管理科", B)
                ),
            },
            {
                "code": "116002",
                "name": "市医疗保障服务中心",
                "offices": _offices(("综合科", G), ("财务科", F), ("医保结算科", B)),
            },
        ],
    },
    {
        "code": "117",
        "name": "市城市管理综合执法局",
        "kind": "city",
        "units": [
            {
                "code": "117001",
                "name": "市城市管理综合执法局本级",
                "offices": _offices(
                    ("办公室", G), ("计划财务科", F), ("市容管理科", B), ("园林绿化科", B)
                ),
            },
            {
                "code": "117002",
                "name": "市环境卫生服务中心",
                "offices": _offices(
                    ("综合科", G), ("财务室", F), ("清扫保洁科", B), ("垃圾清运科", B)
                ),
            },
        ],
    },
    # ---- Districts (real district names; district units and offices are illustrative).
    # District-level offices are usually called 股 rather than 科.
    {
        "code": "201",
        "name": "海勃湾区",
        "kind": "district",
        "units": [
            {
                "code": "201001",
                "name": "海勃湾区财政局",
                "offices": _offices(("办公室", G), ("财务室", F), ("预算股", B), ("绩效管理股", B)),
            },
            {
                "code": "201002",
                "name": "海勃湾区教育局",
                "offices": _offices(("办公室", G), ("财务室", F), ("教育股", B)),
            },
            {
                "code": "201003",
                "name": "海勃湾区卫生健康委员会",
                "offices": _offices(("办公室", G), ("财务室", F), ("医政股", B), ("公共卫生股", B)),
            },
        ],
    },
    {
        "code": "202",
        "name": "乌达区",
        "kind": "district",
        "units": [
            {
                "code": "202001",
                "name": "乌达区财政局",
                "offices": _offices(("办公室", G), ("财务室", F), ("预算股", B), ("绩效管理股", B)),
            },
            {
                "code": "202002",
                "name": "乌达区民政局",
                "offices": _offices(("办公室", G), ("财务室", F), ("社会救助股", B)),
            },
            {
                "code": "202003",
                "name": "乌达区住房和城乡建设局",
                "offices": _offices(("办公室", G), ("财务室", F), ("城建股", B)),
            },
        ],
    },
    {
        "code": "203",
        "name": "海南区",
        "kind": "district",
        "units": [
            {
                "code": "203001",
                "name": "海南区财政局",
                "offices": _offices(("办公室", G), ("财务室", F), ("预算股", B), ("绩效管理股", B)),
            },
            {
                "code": "203002",
                "name": "海南区农牧局",
                "offices": _offices(("办公室", G), ("财务室", F), ("农牧业股", B)),
            },
            {
                "code": "203003",
                "name": "海南区教育局",
                "offices": _offices(("办公室", G), ("财务室", F), ("教育股", B)),
            },
        ],
    },
]

# Departments that deliberately show the seed report's main problem (三、（一）):
# "大多数预算部门、单位仅安排财务机构主抓，业务机构参与度、配合度较低" — in these
# departments only the finance offices (财务科/财务室) take part in performance work and
# training.  A later training/考核 module will use this list to generate skewed
# participation data; for now it is just the list.
PROBLEM_DEPARTMENTS: list[str] = ["103", "104", "107", "114", "202"]

# --------------------------------------------------------------------------------------
# Learner generation
# --------------------------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖郝孔白邱秦江史顾侯邵孟段雷钱汤尹常武乔贺赖龚文"
)

_GIVEN_NAMES = (
    "建华",
    "志强",
    "海燕",
    "晓东",
    "丽娟",
    "文博",
    "俊杰",
    "雅琴",
    "思远",
    "佳怡",
    "子涵",
    "宇航",
    "浩然",
    "婷婷",
    "静怡",
    "敏",
    "红梅",
    "军",
    "伟",
    "磊",
    "芳",
    "娜",
    "涛",
    "斌",
    "鹏飞",
    "欣然",
    "慧敏",
    "雨彤",
    "瑞雪",
    "晓峰",
    "玉兰",
    "春燕",
    "秀英",
    "桂芳",
    "立新",
    "国栋",
    "永军",
    "振宇",
    "明轩",
    "嘉欣",
    "亚楠",
    "晓琳",
    "凤霞",
    "雪梅",
    "建军",
    "卫东",
    "利民",
    "海波",
    "金凤",
    "丽华",
    "少华",
    "春雷",
    "文杰",
    "晓宇",
    "一鸣",
    "梦瑶",
    "欣怡",
    "若曦",
    "晨阳",
    "天宇",
    "志刚",
    "建平",
    "红霞",
    "燕",
    "波",
    "勇",
    "莉",
    "萍",
    "超",
    "洁",
    "海军",
    "宏伟",
    "晓丽",
    "淑珍",
    "凯",
    "昊",
    "琳",
    "倩",
    "帅",
    "璐",
    "瑞峰",
    "嘉豪",
    "宏亮",
    "冬梅",
    "秋菊",
    "向阳",
    "学文",
    "思琪",
    "梓萱",
    "舒婷",
)

# Mongolian-style personal names (used without a Han surname); 乌海 is in Inner Mongolia.
_MONGOLIAN_NAMES = (
    "其木格",
    "乌日娜",
    "巴特尔",
    "额尔敦",
    "苏日娜",
    "萨仁高娃",
    "阿拉坦",
    "图雅",
    "那仁",
    "哈斯",
    "乌兰",
    "宝音",
    "朝鲁",
    "敖登",
    "斯琴",
    "格日勒",
    "额尔德木图",
    "塔娜",
    "包乌力吉",
    "白音仓",
    "韩乌云",
    "特日格乐",
    "阿古拉",
    "其其格",
)

# Never generate these (the officials named in the seed report, plus a safety margin).
_BLOCKED_NAMES = frozenset({"贾庆东", "李博楠", "赵孔章"})

_PHONE_PREFIXES = ("139000", "150000", "188000")  # + 5 digits: clearly fake demo numbers

TARGET_LEARNERS = 300


def iter_units():
    """Yield (department, unit) pairs in a stable order."""
    for dept in DEPARTMENTS:
        for unit in dept["units"]:
            yield dept, unit


def iter_offices():
    """Yield (department, unit, office) triples in a stable order."""
    for dept, unit in iter_units():
        for office in unit["offices"]:
            yield dept, unit, office


def _make_name(rng: random.Random, used: set[str]) -> str:
    while True:
        mongolian = rng.random() < 0.05
        if mongolian:
            name = rng.choice(_MONGOLIAN_NAMES)
        else:
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN_NAMES)
        if name in _BLOCKED_NAMES:
            continue
        # Homonyms are realistic but should stay rare.
        if name in used and (mongolian or rng.random() < 0.95):
            continue
        used.add(name)
        return name


def _slots(rng: random.Random) -> list[tuple[dict, dict, dict, str]]:
    """Decide who sits where: one head per unit, staff in every office, then fill to ~300."""
    slots: list[tuple[dict, dict, dict, str]] = []
    staff_offices: list[tuple[dict, dict, dict]] = []
    general_offices: list[tuple[dict, dict, dict]] = []
    for dept, unit in iter_units():
        head_office = next(o for o in unit["offices"] if o["kind"] == "general")
        slots.append((dept, unit, head_office, POSITION_HEAD))
        for office in unit["offices"]:
            if office["kind"] == "finance":
                slots.append((dept, unit, office, POSITION_FINANCE))
                staff_offices.append((dept, unit, office))
            elif office["kind"] == "business":
                slots.append((dept, unit, office, POSITION_BUSINESS))
                staff_offices.append((dept, unit, office))
            else:
                general_offices.append((dept, unit, office))
    # A few 其他 (clerks, drivers, archivists …) in general offices.
    n_other = max(1, len(general_offices) // 4)
    for dept, unit, office in rng.sample(general_offices, n_other):
        slots.append((dept, unit, office, POSITION_OTHER))
    # Fill the remaining places in finance and business offices.
    while len(slots) < TARGET_LEARNERS:
        dept, unit, office = rng.choice(staff_offices)
        position = POSITION_FINANCE if office["kind"] == "finance" else POSITION_BUSINESS
        slots.append((dept, unit, office, position))
    return slots


def learners(seed: int = 2026) -> list[dict]:
    """Return a deterministic list of ~300 demo learners covering every unit and office.

    Keys mirror the roster columns; ``office_kind`` and ``position`` carry the Chinese
    labels (财务/业务/综合; 负责人/财务人员/业务人员/其他).
    """
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not security
    slots = _slots(rng)
    slot_order = {id(unit): i for i, (_, unit) in enumerate(iter_units())}
    office_order = {id(o): i for i, (_, _, o) in enumerate(iter_offices())}
    rank = {POSITION_HEAD: 0, POSITION_FINANCE: 1, POSITION_BUSINESS: 1, POSITION_OTHER: 2}
    slots.sort(key=lambda s: (slot_order[id(s[1])], rank[s[3]], office_order[id(s[2])]))

    staff_numbers = rng.sample(range(10000, 100000), len(slots))
    phone_suffixes = rng.sample(range(100000), len(slots))
    used_names: set[str] = set()
    result: list[dict] = []
    for i, (dept, unit, office, position) in enumerate(slots):
        staff_number = f"W{staff_numbers[i]:05d}"
        phone = f"{_PHONE_PREFIXES[i % len(_PHONE_PREFIXES)]}{phone_suffixes[i]:05d}"
        email = f"{staff_number.lower()}@{EMAIL_DOMAIN}" if rng.random() < 0.2 else ""
        result.append(
            {
                "department_code": dept["code"],
                "department_name": dept["name"],
                "unit_code": unit["code"],
                "unit_name": unit["name"],
                "office_name": office["name"],
                "office_kind": OFFICE_KIND_LABELS[office["kind"]],
                "name": _make_name(rng, used_names),
                "staff_number": staff_number,
                "position": position,
                "phone": phone,
                "email": email,
            }
        )
    return result


def find_learner(
    department_code: str, position: str, office_name: str | None = None, seed: int = 2026
) -> dict:
    """First learner of ``learners(seed)`` in a department with a position (and office)."""
    for row in learners(seed):
        if row["department_code"] != department_code or row["position"] != position:
            continue
        if office_name is None or row["office_name"] == office_name:
            return row
    raise LookupError(f"no {position} in department {department_code} ({office_name})")


# --------------------------------------------------------------------------------------
# Demo accounts (README + seeding).  Demo-only passwords: never use them in production.
# --------------------------------------------------------------------------------------

# The two learner accounts reuse rows of learners(2026) in 市教育局 (101): the head of
# 市教育局本级 and the first business-staff member of its 基础教育科.  The values are fixed
# here for the README; the __main__ self-check asserts they still match learners().
DEMO_LEARNER_DEPARTMENT = "101"
_DEMO_HEAD = {"staff_number": "W75329", "name": "蔡子涵"}
_DEMO_BUSINESS = {"staff_number": "W35504", "name": "邱晓峰"}

DEMO_ACCOUNTS: list[dict] = [
    {
        "username": "admin",
        "password": "Jixiao#2026admin",
        "role": "superuser",
        "name": "系统管理员",
        "department_code": None,
        "note": "超级用户（仅限演示环境）",
    },
    {
        "username": "czj_jixiao",
        "password": "Jixiao#2026czj",
        "role": "bureau_staff",
        "name": "财政局绩效科（演示）",
        "department_code": "115",
        "note": "市财政局绩效管理和监督科工作人员：查看各部门参训情况和考核数据",
    },
    {
        "username": "jyj_admin",
        "password": "Jixiao#2026jyj",
        "role": "department_admin",
        "name": "市教育局管理员（演示）",
        "department_code": "101",
        "note": "市教育局部门管理员：维护本部门应训名单（业务机构参与正常的部门）",
    },
    {
        "username": "zjj_admin",
        "password": "Jixiao#2026zjj",
        "role": "department_admin",
        "name": "市住建局管理员（演示）",
        "department_code": "104",
        "note": "市住房和城乡建设局部门管理员；该部门在 PROBLEM_DEPARTMENTS 中（仅财务机构参与）",
    },
    {
        "username": "reviewer",
        "password": "Jixiao#2026review",
        "role": "reviewer",
        "name": "练习审核人（演示）",
        "department_code": "115",
        "note": "审核学员提交的绩效目标练习和案例",
    },
    {
        "username": "editor",
        "password": "Jixiao#2026editor",
        "role": "editor",
        "name": "内容编辑（演示）",
        "department_code": None,
        "note": "维护课程、政策摘要和案例库内容",
    },
    {
        "username": _DEMO_HEAD["staff_number"],
        "password": "Jixiao#2026head",
        "role": "learner",
        "name": _DEMO_HEAD["name"],
        "department_code": DEMO_LEARNER_DEPARTMENT,
        "note": "学员：市教育局本级负责人（用户名即工号，来自 learners()）",
    },
    {
        "username": _DEMO_BUSINESS["staff_number"],
        "password": "Jixiao#2026staff",
        "role": "learner",
        "name": _DEMO_BUSINESS["name"],
        "department_code": DEMO_LEARNER_DEPARTMENT,
        "note": "学员：市教育局本级基础教育科业务人员（用户名即工号，来自 learners()）",
    },
]


def _self_check() -> None:
    dept_codes = [d["code"] for d in DEPARTMENTS]
    assert len(dept_codes) == len(set(dept_codes)), "duplicate department codes"
    units = list(iter_units())
    unit_codes = [u["code"] for _, u in units]
    assert len(unit_codes) == len(set(unit_codes)), "duplicate unit codes"
    for dept in DEPARTMENTS:
        assert dept["kind"] in ("city", "district")
        assert 2 <= len(dept["units"]) <= 4, dept["name"]
        for unit in dept["units"]:
            assert unit["code"].startswith(dept["code"]) and len(unit["code"]) == 6
            kinds = {o["kind"] for o in unit["offices"]}
            assert kinds == {"finance", "business", "general"}, unit["name"]
            assert 3 <= len(unit["offices"]) <= 5, unit["name"]
    city = [d for d in DEPARTMENTS if d["kind"] == "city"]
    assert len(city) >= 15
    assert set(PROBLEM_DEPARTMENTS) <= set(dept_codes) and 4 <= len(PROBLEM_DEPARTMENTS) <= 5

    rows = learners()
    assert rows == learners(), "learners() is not deterministic"
    keys = {
        "department_code",
        "department_name",
        "unit_code",
        "unit_name",
        "office_name",
        "office_kind",
        "name",
        "staff_number",
        "position",
        "phone",
        "email",
    }
    for row in rows:
        assert set(row) == keys
        assert row["office_kind"] in OFFICE_KIND_LABELS.values()
        assert row["position"] in POSITIONS
        assert len(row["phone"]) == 11 and row["phone"][:2] in ("13", "15", "18")
        assert row["email"] == "" or row["email"].endswith("@" + EMAIL_DOMAIN)
        assert row["name"] not in _BLOCKED_NAMES
    staff = [r["staff_number"] for r in rows]
    assert len(staff) == len(set(staff)), "staff numbers not unique"
    heads = Counter(r["unit_code"] for r in rows if r["position"] == POSITION_HEAD)
    assert set(heads) == set(unit_codes) and set(heads.values()) == {1}, "one head per unit"
    for r in rows:
        expected = {
            POSITION_HEAD: "综合",
            POSITION_OTHER: "综合",
            POSITION_FINANCE: "财务",
            POSITION_BUSINESS: "业务",
        }[r["position"]]
        assert r["office_kind"] == expected, r
    covered = {(r["unit_code"], r["office_name"]) for r in rows}
    for _, unit, office in iter_offices():
        if office["kind"] != "general":
            assert (unit["code"], office["name"]) in covered, office

    head = find_learner(DEMO_LEARNER_DEPARTMENT, POSITION_HEAD)
    business = find_learner(DEMO_LEARNER_DEPARTMENT, POSITION_BUSINESS, "基础教育科")
    assert head["unit_code"] == "101001"
    assert (head["staff_number"], head["name"]) == (
        _DEMO_HEAD["staff_number"],
        _DEMO_HEAD["name"],
    ), head
    assert (business["staff_number"], business["name"]) == (
        _DEMO_BUSINESS["staff_number"],
        _DEMO_BUSINESS["name"],
    ), business
    usernames = [a["username"] for a in DEMO_ACCOUNTS]
    assert len(usernames) == len(set(usernames))
    roles = Counter(a["role"] for a in DEMO_ACCOUNTS)
    assert roles["superuser"] == 1 and roles["department_admin"] == 2 and roles["learner"] == 2
    admin_depts = {a["department_code"] for a in DEMO_ACCOUNTS if a["role"] == "department_admin"}
    assert len(admin_depts) == 2 and admin_depts & set(PROBLEM_DEPARTMENTS)
    for a in DEMO_ACCOUNTS:
        pw = a["password"]
        assert len(pw) >= 10 and not pw.isdigit(), a["username"]
        assert a["department_code"] is None or a["department_code"] in dept_codes

    offices = Counter(o["kind"] for _, _, o in iter_offices())
    n_district = len(DEPARTMENTS) - len(city)
    print(f"departments: {len(DEPARTMENTS)} (city {len(city)}, district {n_district})")
    print(f"units: {len(units)}")
    kinds = ("finance", "business", "general")
    print("offices by kind: " + ", ".join(f"{k} {offices[k]}" for k in kinds))
    print(f"learners: {len(rows)}")
    by_pos = Counter(r["position"] for r in rows)
    print("learners by position: " + ", ".join(f"{p} {by_pos[p]}" for p in POSITIONS))
    print(f"unique staff numbers: {len(set(staff))}")
    print(f"with e-mail: {sum(1 for r in rows if r['email'])}")
    print(f"problem departments: {', '.join(PROBLEM_DEPARTMENTS)}")
    for label, row in (("head", head), ("business", business)):
        print(f"demo learner {label}: {row['staff_number']} {row['name']} ({row['office_name']})")
    print("OK")


if __name__ == "__main__":
    _self_check()

"""Check a goal table against rules R01–R22 and print the findings.

    python manage.py check_goal_table PATH [--framework 2021|2020] [--format json|text]

PATH is the JSON interchange file (see casebook/rules/table.py) or the editor's Excel template
(.xlsx). `--framework` overrides the file's framework. The configuration is the bureau's for the
table's year and framework when one is saved (`casebook.rules.config.load_config`), else the
defaults.

Output (json, one line, UTF-8):
    {"score": 0-100, "passed": bool,
     "findings": [{"rule": "R04", "severity": "error", "row": 3, "message": "…", "basis": "…"}]}
`row` is the 1-based index in `indicators`, or null for a finding about the whole table.
Cell text is printed literally (not HTML-escaped); the web layer escapes it.

Exit status: 0 when the table was checked, whatever the findings; 1 (CommandError) when the file
is missing, unreadable, not a goal table or invalid (each problem on stderr).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casebook.rules.checker import check_goal_table, to_json
from casebook.rules.config import ConfigError, load_config
from casebook.rules.table import FRAMEWORKS, GoalTable, TableError

MAX_FILE_BYTES = 20 * 1024 * 1024


def _reject_constant(name):
    raise ValueError(f"invalid JSON number {name}")


def read_goal_table(path: Path) -> GoalTable:
    """Load a JSON or .xlsx goal table; TableError with readable messages otherwise."""
    if not path.is_file():
        raise TableError([f"文件不存在 / no such file: {path}"])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TableError([f"文件过大 / file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"])
    data = path.read_bytes()
    if data[:2] == b"PK" or path.suffix.lower() in (".xlsx", ".xlsm"):
        from casebook.rules.excel import goal_table_from_xlsx

        return goal_table_from_xlsx(data)
    try:
        payload = json.loads(data.decode("utf-8-sig"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TableError([f"不是有效的 JSON / not valid JSON: {exc}"]) from exc
    return GoalTable.from_dict(payload)


class Command(BaseCommand):
    help = "Check a goal table (JSON or .xlsx) against rules R01–R22."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Goal table: JSON interchange file or Excel template.")
        parser.add_argument("--framework", choices=FRAMEWORKS, default=None,
                            help="Override the table's framework (2021 or 2020).")
        parser.add_argument("--format", choices=("json", "text"), default="json",
                            dest="output_format")

    def handle(self, *args, path, framework, output_format, **options):
        try:
            table = read_goal_table(Path(path))
        except TableError as exc:
            for message in exc.messages:
                self.stderr.write(str(message))
            raise CommandError(f"无法读取目标表 / cannot read the goal table: {path}") from exc
        if framework:
            table.framework = framework
        try:
            config = load_config(table.framework, table.year)
        except ConfigError as exc:
            raise CommandError(f"检查规则配置无效 / invalid checker configuration: {exc}") from exc
        result = check_goal_table(table, config)
        if output_format == "json":
            self.stdout.write(to_json(result))
            return
        verdict = "通过 passed" if result.passed else "未通过 not passed"
        self.stdout.write(f"得分 score: {result.score:g}  {verdict}  "
                          f"(框架 framework {table.framework}, {len(table.indicators)} 行 rows)")
        for finding in result.findings:
            where = f"第{finding.row}行" if finding.row else "整表"
            self.stdout.write(f"[{finding.rule}] {finding.severity:<7} {where}  {finding.message}")
        if not result.findings:
            self.stdout.write("未发现问题 / no findings")

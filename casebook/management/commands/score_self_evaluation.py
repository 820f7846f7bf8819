"""Score a 单位自评 (self-evaluation) by the 财预〔2020〕10号 rules.

    python manage.py score_self_evaluation PATH [--format json|text]

PATH is a JSON file in the self-evaluation interchange format (casebook/rules/selfeval.py lists
every accepted key; tests/casebook/tables/ holds examples). Output (json, one line, UTF-8):
    {"budget_score": 9.5, "rows": [{"row", "name", "level1", "rule", "weight", "score", "met",
     "explanation_missing"}], "total": 91.72, "grade": "优", "missing_explanations": [2, 5],
     "notes": [...]}

Exit status: 0 when it was scored; 1 (CommandError) when the file is missing, not JSON or not a
usable self-evaluation (each problem on stderr).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casebook.rules.config import ConfigError, load_config
from casebook.rules.selfeval import SelfEvalError, score_self_evaluation

MAX_FILE_BYTES = 5 * 1024 * 1024


def _reject_constant(name):
    raise ValueError(f"invalid JSON number {name}")


class Command(BaseCommand):
    help = "Score a self-evaluation (JSON) and print the scores and grade."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Self-evaluation JSON file.")
        parser.add_argument("--format", choices=("json", "text"), default="json",
                            dest="output_format")

    def handle(self, *args, path, output_format, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"文件不存在 / no such file: {file}")
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError("文件过大 / file too large")
        try:
            data = json.loads(file.read_bytes().decode("utf-8-sig"),
                              parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise CommandError(f"不是有效的 JSON / not valid JSON: {exc}") from exc
        framework, year = "2021", None
        if isinstance(data, dict):
            framework = str(data.get("framework") or "2021")
            year = data.get("year") if isinstance(data.get("year"), int) else None
        try:
            result = score_self_evaluation(data, load_config(framework, year))
        except ConfigError as exc:
            raise CommandError(f"计分规则配置无效 / invalid configuration: {exc}") from exc
        except SelfEvalError as exc:
            for message in exc.messages:
                self.stderr.write(str(message))
            raise CommandError(f"无法计分 / cannot score: {file}") from exc
        if output_format == "json":
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False))
            return
        self.stdout.write(f"预算执行率得分 budget: {result.budget_score:g}")
        for row in result.rows:
            missing = "，缺少偏差原因" if row.explanation_missing else ""
            flag = "" if row.met else "  未完成" + missing
            self.stdout.write(f"{row.index:>3}. {row.name}  {row.score:g}/{row.weight:g}{flag}")
        self.stdout.write(f"总分 total: {result.total:g}  等级 grade: {result.grade}")
        for note in result.notes:
            self.stdout.write(note)

"""Self-evaluation as typed fields and rows instead of raw JSON (issue 8 §3).

Adds the budget/executed fields and SelfEvaluationRow, then moves every case's JSON into them,
in the table and in the content of every revision of the page: Wagtail publishes a page from
its latest revision, so a revision still holding only the JSON would wipe the rows on the
next publish. Reversible: the rows are turned back into the JSON. 0005 drops the JSON field.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models

from casebook.rules.selfeval_rows import ROW_FIELDS, join_self_evaluation, split_self_evaluation

AMOUNT_FIELDS = ("selfeval_budget_wan", "selfeval_executed_wan")


def _decimal_text(value):
    return None if value is None else str(value)


def _revisions(apps, page_ids):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    content_type = ContentType.objects.filter(app_label="casebook", model="casepage").first()
    if content_type is None:
        return Revision.objects.none()
    return Revision.objects.filter(content_type=content_type,
                                   object_id__in=[str(pk) for pk in page_ids])


def rows_from_json(apps, schema_editor):
    CasePage = apps.get_model("casebook", "CasePage")
    SelfEvaluationRow = apps.get_model("casebook", "SelfEvaluationRow")
    page_rows = {}
    for page in CasePage.objects.exclude(self_evaluation=None).order_by("pk"):
        parts = split_self_evaluation(page.self_evaluation)
        page.selfeval_budget_wan = parts["budget_wan"]
        page.selfeval_executed_wan = parts["executed_wan"]
        page.self_evaluation_remarks = parts["remarks"]
        page.save(update_fields=[*AMOUNT_FIELDS, "self_evaluation_remarks"])
        created = [SelfEvaluationRow.objects.create(page=page, sort_order=order, **row)
                   for order, row in enumerate(parts["rows"])]
        page_rows[page.pk] = (page.self_evaluation, [row.pk for row in created])
    for revision in _revisions(apps, CasePage.objects.values_list("pk", flat=True)):
        content = dict(revision.content)
        if "self_evaluation" not in content:
            continue
        page_id = int(revision.object_id)
        parts = split_self_evaluation(content["self_evaluation"])
        live_json, live_pks = page_rows.get(page_id, (None, []))
        # Rows of a revision that holds the same JSON as the page are the rows just created:
        # keep their ids so publishing it updates them instead of replacing them.
        same = content["self_evaluation"] == live_json and len(live_pks) == len(parts["rows"])
        content["self_evaluation_rows"] = [
            {"pk": live_pks[order] if same else None, "page": page_id, "sort_order": order,
             **{name: _decimal_text(value) if name in ("points", "band_percent") else value
                for name, value in row.items()}}
            for order, row in enumerate(parts["rows"])]
        content["selfeval_budget_wan"] = _decimal_text(parts["budget_wan"])
        content["selfeval_executed_wan"] = _decimal_text(parts["executed_wan"])
        content["self_evaluation_remarks"] = parts["remarks"]
        del content["self_evaluation"]
        revision.content = content
        revision.save(update_fields=["content"])


def json_from_rows(apps, schema_editor):
    CasePage = apps.get_model("casebook", "CasePage")
    SelfEvaluationRow = apps.get_model("casebook", "SelfEvaluationRow")
    for page in CasePage.objects.order_by("pk"):
        rows = [{name: getattr(row, name) for name in ROW_FIELDS}
                for row in SelfEvaluationRow.objects.filter(page=page).order_by("sort_order")]
        page.self_evaluation = join_self_evaluation(
            budget_wan=page.selfeval_budget_wan, executed_wan=page.selfeval_executed_wan,
            rows=rows, remarks=page.self_evaluation_remarks)
        page.save(update_fields=["self_evaluation"])
    for revision in _revisions(apps, CasePage.objects.values_list("pk", flat=True)):
        content = dict(revision.content)
        if "self_evaluation_rows" not in content and "selfeval_budget_wan" not in content:
            continue
        rows = [{name: row.get(name) for name in ROW_FIELDS}
                for row in content.pop("self_evaluation_rows", None) or []]
        content["self_evaluation"] = join_self_evaluation(
            budget_wan=content.pop("selfeval_budget_wan", None),
            executed_wan=content.pop("selfeval_executed_wan", None), rows=rows,
            remarks=content.pop("self_evaluation_remarks", ""))
        revision.content = content
        revision.save(update_fields=["content"])


class Migration(migrations.Migration):

    dependencies = [
        ('casebook', '0003_exercises_submissions'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AddField(
            model_name='casepage',
            name='self_evaluation_remarks',
            field=models.TextField(blank=True, help_text='Shown below the self-evaluation table, e.g. how the results were checked.', verbose_name='self-evaluation: remarks'),
        ),
        migrations.AddField(
            model_name='casepage',
            name='selfeval_budget_wan',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='年度预算数 of the 单位自评表, in 万元.', max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='self-evaluation: annual budget (10,000 yuan)'),
        ),
        migrations.AddField(
            model_name='casepage',
            name='selfeval_executed_wan',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='执行数 of the 单位自评表, in 万元.', max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='self-evaluation: amount spent (10,000 yuan)'),
        ),
        migrations.CreateModel(
            name='SelfEvaluationRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('level1', models.CharField(choices=[('成本指标', '成本指标'), ('产出指标', '产出指标'), ('效益指标', '效益指标'), ('满意度指标', '满意度指标')], max_length=20, verbose_name='level 1')),
                ('level2', models.CharField(blank=True, help_text='e.g. 数量指标', max_length=50, verbose_name='level 2')),
                ('name', models.CharField(max_length=200, verbose_name='indicator (level 3)')),
                ('op', models.CharField(choices=[('>=', '≥'), ('<=', '≤'), ('=', '＝'), ('>', '＞'), ('<', '＜'), ('qualitative', 'Qualitative')], default='>=', max_length=12, verbose_name='operator')),
                ('target', models.CharField(blank=True, help_text='A number or a date (2025-08-25); empty for a qualitative indicator.', max_length=100, verbose_name='annual target')),
                ('actual', models.CharField(blank=True, max_length=100, verbose_name='actual value')),
                ('unit', models.CharField(blank=True, max_length=50, verbose_name='unit')),
                ('points', models.DecimalField(blank=True, decimal_places=2, help_text='Weight of the row; leave every row empty to use the class weights.', max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='points')),
                ('band', models.CharField(blank=True, choices=[('达成', 'Met (80-100 %)'), ('部分达成', 'Partly met (60-80 %)'), ('未达成', 'Not met (0-60 %)')], help_text='Qualitative indicators only.', max_length=8, verbose_name='degree of achievement')),
                ('band_percent', models.DecimalField(blank=True, decimal_places=2, help_text="Empty: the band's default (100 / 70 / 30).", max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='percentage within the band')),
                ('rule', models.CharField(blank=True, choices=[('ratio', 'Actual / target (positive indicator)'), ('reverse', 'Target / actual (reverse indicator)'), ('date', 'Deadline: late delivery scores the late share'), ('qualitative', 'Qualitative band'), ('late<=30d:60%', 'Deadline: up to 30 days late scores 60 %')], help_text='Empty: from the operator and the target.', max_length=20, verbose_name='scoring rule')),
                ('explanation', models.TextField(blank=True, verbose_name='reasons for deviations and improvements')),
                ('page', modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='self_evaluation_rows', to='casebook.casepage')),
            ],
            options={
                'verbose_name': 'self-evaluation row',
                'verbose_name_plural': 'self-evaluation rows',
                'ordering': ['sort_order'],
                'abstract': False,
            },
        ),
        migrations.RunPython(rows_from_json, json_from_rows),
    ]

"""Indicator search: gram rows carry the name length (relevance order read from the index),
a unique (indicator, gram) probe index, and per-gram indicator counts (IndicatorGramStat)."""

from django.db import migrations, models


def fill_lengths_and_counts(apps, schema_editor):
    """Existing gram rows get their indicator's name length; counts are taken once."""
    grams = apps.get_model("casebook", "IndicatorGram")._meta.db_table
    indicators = apps.get_model("casebook", "Indicator")._meta.db_table
    stats = apps.get_model("casebook", "IndicatorGramStat")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {grams} SET name_length = (SELECT LENGTH(i.name) FROM {indicators} i "  # noqa: S608 - table names only
            f"WHERE i.id = {grams}.indicator_id)")
        cursor.execute(f"INSERT INTO {stats} (gram, indicators) "  # noqa: S608 - table names only
                       f"SELECT gram, COUNT(*) FROM {grams} GROUP BY gram")


class Migration(migrations.Migration):

    dependencies = [
        ("casebook", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndicatorGramStat",
            fields=[
                ("gram", models.CharField(max_length=2, primary_key=True, serialize=False)),
                ("indicators", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "indicator search gram frequency",
                "verbose_name_plural": "indicator search gram frequencies",
            },
        ),
        migrations.RemoveConstraint(
            model_name="indicatorgram",
            name="casebook_indgram_gram_ind_uniq",
        ),
        migrations.AddField(
            model_name="indicatorgram",
            name="name_length",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="indicatorgram",
            name="indicator",
            field=models.ForeignKey(db_index=False,
                                    on_delete=models.deletion.CASCADE,
                                    related_name="grams", to="casebook.indicator"),
        ),
        migrations.AddConstraint(
            model_name="indicatorgram",
            constraint=models.UniqueConstraint(fields=("indicator", "gram"),
                                               name="casebook_indgram_ind_gram_uniq"),
        ),
        migrations.AddConstraint(
            model_name="indicatorgram",
            constraint=models.UniqueConstraint(fields=("gram", "name_length", "indicator"),
                                               name="casebook_indgram_gram_len_ind_uniq"),
        ),
        migrations.RunPython(fill_lengths_and_counts, migrations.RunPython.noop),
    ]

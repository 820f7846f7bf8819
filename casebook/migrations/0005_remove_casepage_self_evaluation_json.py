"""Drop the raw-JSON self-evaluation: 0004 moved it into fields and rows (reversible)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("casebook", "0004_self_evaluation_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="casepage", name="self_evaluation"),
    ]

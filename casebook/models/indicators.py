"""The indicator library (指标库) and its Chinese substring index (IndicatorGram)."""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from casebook.models.config import FunctionalClass, FunctionalClassLevel


class IndicatorDirection(models.TextChoices):
    POSITIVE = "positive", _("Positive (higher is better)")
    NEGATIVE = "negative", _("Negative (lower is better)")
    QUALITATIVE = "qualitative", _("Qualitative")


class IndicatorBasis(models.TextChoices):
    PLAN = "plan", _("Plan standard")
    HISTORY = "history", _("Historical standard")
    INDUSTRY = "industry", _("Industry standard")
    BUDGET_STANDARD = "budget_standard", _("Budget expenditure standard")
    OTHER = "other", _("Other standard")


class IndicatorSource(models.TextChoices):
    COMMON = "common", _("Common (共性)")
    SPECIFIC = "specific", _("Project-specific (个性)")


LEVEL1_CHOICES = [
    ("成本指标", "成本指标"),
    ("产出指标", "产出指标"),
    ("效益指标", "效益指标"),
    ("满意度指标", "满意度指标"),
]


def indicator_search_key(*, name: str, sector: str = "", level2: str = "") -> str:
    """The text the library search matches: case-folded name and sector (level 2 is a
    filter, not searched: "满意" would otherwise match every 满意度指标 row)."""
    return " ".join(part.strip() for part in (name, sector) if part and part.strip()
                    ).casefold()[:400]


class Indicator(models.Model):
    """One third-level indicator (三级指标) with its explanation, unit and setting basis."""

    func_class = models.ForeignKey(
        FunctionalClass, on_delete=models.PROTECT, related_name="indicators",
        limit_choices_to={"level": FunctionalClassLevel.CLASS},
        verbose_name=_("functional class (类)"),
    )
    func_subclass = models.ForeignKey(
        FunctionalClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": FunctionalClassLevel.SUBCLASS},
        verbose_name=_("functional subclass (款)"),
    )
    sector = models.CharField(
        max_length=100, blank=True, verbose_name=_("sector"),
        help_text=_("行业 or project type, e.g. 校舍维修, 公共卫生服务."),
    )
    level1 = models.CharField(max_length=20, choices=LEVEL1_CHOICES, db_index=True,
                              verbose_name=_("level 1"))
    level2 = models.CharField(max_length=50, db_index=True, verbose_name=_("level 2"))
    name = models.CharField(max_length=200, verbose_name=_("indicator (level 3)"))
    explanation = models.TextField(blank=True, verbose_name=_("explanation / formula"))
    unit = models.CharField(max_length=50, blank=True, verbose_name=_("unit"))
    direction = models.CharField(max_length=12, choices=IndicatorDirection.choices,
                                 default=IndicatorDirection.POSITIVE,
                                 verbose_name=_("direction"))
    typical_value = models.CharField(max_length=100, blank=True,
                                     verbose_name=_("typical value"))
    basis = models.CharField(max_length=20, choices=IndicatorBasis.choices,
                             default=IndicatorBasis.PLAN, verbose_name=_("basis"))
    source = models.CharField(max_length=10, choices=IndicatorSource.choices,
                              default=IndicatorSource.SPECIFIC, verbose_name=_("source"))
    examples = models.TextField(blank=True, verbose_name=_("example projects"))
    # Maintained by save() and by the bulk paths in casebook.services; what IndicatorGram indexes.
    search_key = models.CharField(max_length=400, blank=True, editable=False)
    # "类|款|一级|二级|三级": the same indicator is never stored twice (import skips it).
    natural_key = models.CharField(max_length=400, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["func_class__code", "level1", "level2", "name"]
        indexes = [
            models.Index(fields=["func_class", "level1", "level2"],
                         name="casebook_ind_class_levels"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_keys()
        super().save(*args, **kwargs)

    def refresh_keys(self) -> None:
        """Recompute search_key and natural_key from the fields."""
        self.search_key = indicator_search_key(name=self.name, sector=self.sector,
                                               level2=self.level2)
        self.natural_key = indicator_natural_key(
            class_code=self.func_class.code if self.func_class_id else "",
            subclass_code=self.func_subclass.code if self.func_subclass_id else "",
            level1=self.level1, level2=self.level2, name=self.name,
        )

def indicator_natural_key(*, class_code: str, subclass_code: str, level1: str, level2: str,
                          name: str) -> str:
    """The identity of an indicator in the library (used to skip duplicates on import)."""
    return "|".join([class_code, subclass_code, level1.strip(), level2.strip(),
                     name.strip()])[:400]


class IndicatorGram(models.Model):
    """Inverted index: one row per distinct character and character pair of an indicator's
    search key, with the length of its name (the autocomplete's relevance order), so that the
    rows of one gram can be walked in relevance order straight from the index. See
    casebook.selectors.indicators_search."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="grams",
                                  db_index=False)  # (indicator, gram) below covers it
    gram = models.CharField(max_length=2)
    # len(indicator.name); written with the grams (services), never edited on its own.
    name_length = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator search gram")
        verbose_name_plural = _("indicator search grams")
        constraints = [
            # The lookup index: one gram's rows in (name length, id) order, index-only.
            models.UniqueConstraint(fields=["gram", "name_length", "indicator"],
                                    name="casebook_indgram_gram_len_ind_uniq"),
            # "Does indicator X have gram g?" probes and the rebuild/cascade deletes; unique,
            # so the search's join on the rarest gram yields one row per indicator.
            models.UniqueConstraint(fields=["indicator", "gram"],
                                    name="casebook_indgram_ind_gram_uniq"),
        ]

    def __str__(self) -> str:
        return self.gram


class IndicatorGramStat(models.Model):
    """How many indicators hold a gram (document frequency): the search looks up only the
    rarest grams of a query. Maintained by the services that write grams; a stale count
    only makes a search slower, never wrong (every term is checked on the row)."""

    gram = models.CharField(max_length=2, primary_key=True)
    indicators = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator search gram frequency")
        verbose_name_plural = _("indicator search gram frequencies")

    def __str__(self) -> str:
        return f"{self.gram}: {self.indicators}"


@receiver(post_save, sender=Indicator, dispatch_uid="casebook_indicator_grams")
def _indicator_saved(sender, instance: Indicator, raw: bool = False, **kwargs) -> None:
    """An indicator saved one at a time (admin, services) gets its search grams rebuilt."""
    if raw:
        return
    from casebook.services import indicator_grams_rebuild

    indicator_grams_rebuild(indicator=instance)


@receiver(pre_delete, sender=Indicator, dispatch_uid="casebook_indicator_gram_stats")
def _indicator_deleted(sender, instance: Indicator, **kwargs) -> None:
    """A deleted indicator no longer counts in the frequencies of its grams."""
    from casebook.services import indicator_gram_stats_forget

    indicator_gram_stats_forget(indicator_id=instance.pk)

"""Answer reveal policy, readable reviewer detail, refused find-the-errors input kept in the form,
and the case page's list of exercises (selector, query budget)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from casebook.exercises import grading, selectors
from casebook.models import ExerciseSubmission
from casebook.rules.exante import ASPECTS, conclusion_for
from casebook.rules.monitoring import CONTINUE, SUSPEND
from departments import roles
from departments.services import roles_ensure
from tests.departments.factories import LearnerFactory, UserFactory

from .exercise_helpers import demo_case, make_exercise

pytestmark = pytest.mark.django_db

HIDDEN_MARK = 'id="key-hidden"'
EXPECTED_CELL = 'class="num expected"'


def msg(msgid: str, **kwargs) -> str:
    with translation.override("zh-hans"):
        return escape(translation.gettext(msgid).format(**kwargs))


def url(exercise, suffix=""):
    return f"/casebook/exercises/{exercise.pk}/{suffix}"


def html(response) -> str:
    return response.content.decode()


def result_section(page: str) -> str:
    start = page.index('id="result"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def learner(db):
    return LearnerFactory()


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner.user)
    return client


# ---- self-evaluation -----------------------------------------------------------------------

def _selfeval_post(exercise, *, wrong: bool) -> dict:
    expected = grading.score_self_evaluation(grading.selfeval_source(exercise))
    if wrong:
        data = {"budget_score": "0", "total": "0", "grade": "差"}
        data.update({f"row-{row.index}": "0" for row in expected.rows})
        return data
    data = {"budget_score": str(expected.budget_score), "total": str(expected.total),
            "grade": expected.grade}
    data.update({f"row-{row.index}": str(row.score) for row in expected.rows})
    return data


def _get_result(client, response) -> str:
    assert response.status_code == 302
    return html(client.get(response["Location"]))


def test_self_evaluation_key_hidden_after_a_failed_attempt_until_attempts_run_out(
        learner_client, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "self_evaluation",
                             pass_mark=80, max_attempts=2)
    page = _get_result(learner_client, learner_client.post(
        url(exercise), _selfeval_post(exercise, wrong=True)))
    assert not ExerciseSubmission.objects.get().passed
    assert 'id="selfeval-feedback"' in page and HIDDEN_MARK in page
    assert "96.26" not in page and "11.52" not in page and EXPECTED_CELL not in page
    assert msg("Correct value") not in page
    # Per-row right/wrong and the rule that applies are shown.
    section = result_section(page)
    assert section.count("check--wrong") == 15 and "check--ok" not in section
    assert msg(grading.RULE_BUDGET) in section and msg(grading.RULE_GRADE) in section
    assert msg(grading.RULE_RATIO) in section
    # The second (last) attempt fails again: no attempts left, the key is shown.
    page = _get_result(learner_client, learner_client.post(
        url(exercise), _selfeval_post(exercise, wrong=True)))
    assert 'id="no-attempts"' in page
    assert "96.26" in page and msg("Correct value") in page and HIDDEN_MARK not in page
    # ...also on the earlier attempt.
    first = html(learner_client.get(url(exercise) + "?attempt=1"))
    assert "96.26" in first and EXPECTED_CELL in first


def test_self_evaluation_unlimited_attempts_reveal_only_after_passing(learner_client,
                                                                      make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "self_evaluation",
                             pass_mark=80)
    for _i in range(3):
        page = _get_result(learner_client, learner_client.post(
            url(exercise), _selfeval_post(exercise, wrong=True)))
        assert "96.26" not in page and HIDDEN_MARK in page
        assert msg("The correct values are shown once you pass this exercise.") in page
    page = _get_result(learner_client, learner_client.post(
        url(exercise), _selfeval_post(exercise, wrong=False)))
    assert ExerciseSubmission.objects.get(attempt_number=4).passed
    assert "96.26" in page and EXPECTED_CELL in page and HIDDEN_MARK not in page
    assert "96.26" in html(learner_client.get(url(exercise) + "?attempt=1"))


def test_a_reviewer_override_to_passed_reveals_the_key(learner_client, learner, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-EDU-01")), "self_evaluation",
                             pass_mark=80)
    learner_client.post(url(exercise), _selfeval_post(exercise, wrong=True))
    assert "96.26" not in html(learner_client.get(url(exercise)))
    ExerciseSubmission.objects.update(passed=True)
    assert "96.26" in html(learner_client.get(url(exercise)))


def test_answers_revealed_policy():
    class Ex:
        max_attempts = 0

    class Sub:
        def __init__(self, passed):
            self.passed = passed

    assert not grading.answers_revealed(exercise=Ex, submissions=[])
    assert not grading.answers_revealed(exercise=Ex, submissions=[Sub(False)] * 50)
    assert grading.answers_revealed(exercise=Ex, submissions=[Sub(False), Sub(True)])
    Ex.max_attempts = 2
    assert not grading.answers_revealed(exercise=Ex, submissions=[Sub(False)])
    assert grading.answers_revealed(exercise=Ex, submissions=[Sub(False), Sub(False)])


def test_result_view_leaves_expected_values_out_when_hidden():
    result = {"checks": [{"item": "budget", "expected": 9.8, "given": 1, "correct": False}],
              "expected": {"rows": []}, "correct": 0, "items": 1}
    hidden = grading.result_view(kind="self_evaluation", input_data={}, result=result,
                                 revealed=False)
    assert "expected" not in hidden["items"][0] and "9.8" not in repr(hidden)
    shown = grading.result_view(kind="self_evaluation", input_data={}, result=result,
                                revealed=True)
    assert shown["items"][0]["expected"] == 9.8


# ---- monitoring ----------------------------------------------------------------------------

@pytest.fixture
def monitoring_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-EDU-01")), "monitoring", settings={
        "causes": {"实施改造学校数": {"cause": "serious", "note": "施工单位转包"}}})


RIGHT_LIGHTS = {"light-1": "green", "light-2": "blue", "light-3": "blue", "light-4": "green"}


def test_monitoring_expected_lights_only_after_passing(learner_client, monitoring_exercise):
    answers = {f"light-{i}": "red" for i in range(1, 5)}
    answers.update({f"response-{i}": SUSPEND for i in range(1, 5)})
    page = _get_result(learner_client, learner_client.post(url(monitoring_exercise), answers))
    section = result_section(page)
    assert 'id="monitoring-feedback"' in section and HIDDEN_MARK in section
    assert msg("Correct light") not in page and "light--blue" not in page
    assert "light--green" not in page and 'class="expected"' not in page
    assert "✗" in section and "完成校舍维修改造面积" in section
    assert msg(grading.RULE_MONITORING) in section
    answers = {**RIGHT_LIGHTS, **{f"response-{i}": CONTINUE for i in range(1, 5)}}
    page = _get_result(learner_client, learner_client.post(url(monitoring_exercise), answers))
    assert msg("Correct light") in page and "light--blue" in page and HIDDEN_MARK not in page


# ---- ex-ante -------------------------------------------------------------------------------

def test_ex_ante_correct_aspects_hidden_until_attempts_run_out(learner_client, make_case):
    exercise = make_exercise(make_case(**demo_case("CASE-ENV-01")), "ex_ante", seed=3,
                             max_attempts=2, pass_mark=90)
    findings = grading.exante_findings(exercise)
    wrong = {f"aspect-{i}": next(a for a in ASPECTS if a != item["aspect"])
             for i, item in enumerate(findings, start=1)}
    wrong.update({f"score-{i}": "10" for i in range(1, 6)})
    wrong.update({"total": "70", "conclusion": conclusion_for(90)})
    page = _get_result(learner_client, learner_client.post(url(exercise), wrong))
    section = result_section(page)
    assert HIDDEN_MARK in section and msg("Correct aspect") not in section
    assert 'class="expected"' not in section and EXPECTED_CELL not in section
    assert msg(grading.RULE_EXANTE_TOTAL) in section
    # The correct aspect of a finding appears nowhere in the result section.
    assert "check--ok" not in section
    page = _get_result(learner_client, learner_client.post(url(exercise), wrong))
    section = result_section(page)
    assert msg("Correct aspect") in section and HIDDEN_MARK not in section
    assert f'<td class="expected">{findings[0]["aspect"]}</td>' in section
    assert '<td class="num expected">50.0</td>' in section or \
        '<td class="num expected">50</td>' in section


# ---- find the errors -----------------------------------------------------------------------

@pytest.fixture
def find_exercise(make_case):
    return make_exercise(make_case(**demo_case("CASE-URB-01")), "find_errors", error_count=3,
                         seed=5, max_attempts=2, pass_mark=90)


def _digest(page: str) -> str:
    return re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)


def _first_key_mark(key) -> tuple[int, str]:
    return next((row, rule) for row, rule in key if row is not None)


def test_find_errors_key_hidden_after_a_failed_attempt_then_shown_when_exhausted(
        learner_client, learner, find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    _table, key = grading.find_errors_table(find_exercise, user_id=learner.user.pk,
                                           attempt_number=1)
    row, rule = _first_key_mark(key)
    wrong_row = next(r for r in range(1, 20) if all(r != k for k, _r in key))
    data = {"digest": _digest(page), f"mark-{row}": "1", f"rule-{row}": rule,
            f"mark-{wrong_row}": "1", f"rule-{wrong_row}": "R05"}
    page = _get_result(learner_client, learner_client.post(url(find_exercise), data))
    assert not ExerciseSubmission.objects.get().passed
    section = result_section(page)
    assert 'id="your-marks"' in section and 'id="answer-key"' not in page
    assert HIDDEN_MARK in section and 'id="missed-count"' in section
    assert section.count("check--ok") == 1 and section.count("check--wrong") == 1
    assert msg("not an injected mistake") in section
    page = _get_result(learner_client, learner_client.post(
        url(find_exercise), {"digest": _digest(page)}))
    assert 'id="answer-key"' in page and HIDDEN_MARK not in page
    first = html(learner_client.get(url(find_exercise) + "?attempt=1"))
    assert 'id="answer-key"' in first


def test_refused_find_errors_input_is_put_back_in_the_form(learner_client, find_exercise):
    page = html(learner_client.get(url(find_exercise)))
    digest = _digest(page)
    data = {"digest": digest, "mark-1": "1", "rule-1": "R05", "mark-2": "1",
            "table_rule": ["R01", "R03"]}  # row 2 ticked without an error type
    response = learner_client.post(url(find_exercise), data)
    assert response.status_code == 400
    assert not ExerciseSubmission.objects.exists()
    form = html(response)
    form = form[form.index('id="find-errors-form"'):]
    assert re.search(r'name="mark-1" value="1" checked', form)
    assert re.search(r'name="mark-2" value="1" checked', form)
    assert not re.search(r'name="mark-3" value="1" checked', form)
    rule1 = form[form.index('name="rule-1"'):form.index("</select>", form.index('name="rule-1"'))]
    assert '<option value="R05" selected>' in rule1 and rule1.count(" selected") == 1
    rule2 = form[form.index('name="rule-2"'):form.index("</select>", form.index('name="rule-2"'))]
    assert " selected" not in rule2
    assert 'name="table_rule" value="R01" checked' in form
    assert 'name="table_rule" value="R03" checked' in form
    assert 'name="table_rule" value="R02" checked' not in form
    assert 'name="table_rule" value="R02"' in form
    # A hostile rule value is not echoed back.
    hostile = learner_client.post(url(find_exercise), {"digest": digest, "mark-1": "1",
                                                       "rule-1": '"><script>x</script>'})
    assert hostile.status_code == 400 and "<script>x" not in html(hostile)
    # A stale table gets no ticks back (they belonged to another table).
    stale = learner_client.post(url(find_exercise), {**data, "digest": "0" * 16})
    assert stale.status_code == 400
    stale_form = html(stale)[html(stale).index('id="find-errors-form"'):]
    assert " checked" not in stale_form and " selected" not in stale_form


# ---- reviewer detail -----------------------------------------------------------------------

@pytest.fixture
def reviewer_client(client, db):
    roles_ensure()
    user = UserFactory(username="rev")
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(user)
    return client


def _submit_as(client, user, exercise, data):
    client.force_login(user)
    assert client.post(url(exercise), data).status_code == 302
    return ExerciseSubmission.objects.filter(exercise=exercise).latest("pk")


def test_reviewer_detail_shows_readable_tables_not_json(client, make_case, learner,
                                                        monitoring_exercise):
    selfeval = make_exercise(make_case(**demo_case("CASE-EDU-01")), "self_evaluation",
                             pass_mark=80, max_attempts=3)
    exante = make_exercise(make_case(**demo_case("CASE-ENV-01")), "ex_ante", seed=3,
                           max_attempts=3)
    findings = grading.exante_findings(exante)
    exante_data = {f"aspect-{i}": item["aspect"] for i, item in enumerate(findings, start=1)}
    exante_data.update({f"score-{i}": "<b>1</b>" if i == 9 else "10" for i in range(1, 6)})
    exante_data.update({"total": "50", "conclusion": conclusion_for(50)})
    monitoring = {f"light-{i}": "red" for i in range(1, 5)}
    monitoring.update({f"response-{i}": SUSPEND for i in range(1, 5)})
    subs = [_submit_as(client, learner.user, selfeval, _selfeval_post(selfeval, wrong=True)),
            _submit_as(client, learner.user, monitoring_exercise, monitoring),
            _submit_as(client, learner.user, exante, exante_data)]
    roles_ensure()
    reviewer = UserFactory(username="rev")
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(reviewer)
    pages = [html(client.get(reverse("exercise_review:detail", args=[s.pk]))) for s in subs]
    for page in pages:
        assert msg("Input (JSON)") not in page and "{&#x27;" not in page
        assert 'id="review-answer"' in page and HIDDEN_MARK not in page
    assert 'id="selfeval-feedback"' in pages[0] and "96.26" in pages[0]
    assert msg("Correct value") in pages[0] and "check--wrong" in pages[0]
    assert 'id="monitoring-feedback"' in pages[1] and "light--blue" in pages[1]
    assert msg("Correct response") in pages[1]
    assert 'id="exante-feedback"' in pages[2] and msg("Correct aspect") in pages[2]
    assert 'id="exante-conclusion"' in pages[2]


def test_reviewer_detail_of_find_errors_shows_marks_and_key(client, learner, find_exercise):
    client.force_login(learner.user)
    page = html(client.get(url(find_exercise)))
    submission = _submit_as(client, learner.user, find_exercise, {"digest": _digest(page)})
    roles_ensure()
    reviewer = UserFactory(username="rev")
    reviewer.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(reviewer)
    page = html(client.get(reverse("exercise_review:detail", args=[submission.pk])))
    assert 'id="your-marks"' in page and 'id="answer-key"' in page
    assert msg("Result (JSON)") not in page


# ---- case page -----------------------------------------------------------------------------

def test_case_page_lists_published_exercises_with_the_learners_best(client, make_case,
                                                                    learner):
    case = make_case(**demo_case("CASE-EDU-01"))
    selfeval = make_exercise(case, "self_evaluation", title="自评<b>练习</b>", pass_mark=80)
    goal = make_exercise(case, "goal_setting", title="目标编制练习", pass_mark=70)
    hidden = make_exercise(case, "monitoring", title="未发布练习", published=False)
    other = make_exercise(make_case(), "goal_setting", title="别的案例练习")
    page = html(client.get(case.url))
    assert 'id="case-exercises"' in page
    assert f'href="/casebook/exercises/{selfeval.pk}/"' in page
    assert f'href="/casebook/exercises/{goal.pk}/"' in page
    assert "自评&lt;b&gt;练习&lt;/b&gt;" in page and "<b>练习" not in page
    assert hidden.title not in page and other.title not in page
    assert msg("Your best score") not in page  # anonymous: no personal columns
    client.force_login(learner.user)
    client.post(url(selfeval), _selfeval_post(selfeval, wrong=True))
    client.post(url(selfeval), _selfeval_post(selfeval, wrong=False))
    other_user = LearnerFactory().user
    ExerciseSubmission.objects.create(exercise=goal, user=other_user, attempt_number=1,
                                      input={}, result={}, auto_score=99, score=99,
                                      passed=True)
    page = html(client.get(case.url))
    row = page[page.index(f'data-exercise="{selfeval.pk}"'):]
    row = row[:row.index("</tr>")]
    assert ">100<" in row and msg("Passed") in row
    goal_row = page[page.index(f'data-exercise="{goal.pk}"'):]
    goal_row = goal_row[:goal_row.index("</tr>")]
    assert "99" not in goal_row and msg("Not attempted") in goal_row


def test_case_page_without_exercises_has_no_section(client, make_case):
    assert 'id="case-exercises"' not in html(client.get(make_case().url))


def test_exercises_for_case_is_one_query(make_case, learner, django_assert_num_queries):
    case = make_case(**demo_case("CASE-EDU-01"))
    for i in range(4):
        ex = make_exercise(case, "self_evaluation", title=f"练习{i}")
        ExerciseSubmission.objects.create(exercise=ex, user=learner.user, attempt_number=1,
                                          input={}, result={}, auto_score=40 + i,
                                          score=40 + i, passed=i == 3)
    with django_assert_num_queries(1):
        items = selectors.exercises_for_case(case=case, user=learner.user)
        assert [e.case.title for e in items] == [case.title] * 4
    assert [(float(e.best_score), e.attempts, e.has_passed) for e in items] == [
        (40, 1, False), (41, 1, False), (42, 1, False), (43, 1, True)]


def test_case_page_query_budget_does_not_grow_with_exercises(client, make_case, learner,
                                                             django_assert_max_num_queries):
    case = make_case(**demo_case("CASE-EDU-01"))
    client.force_login(learner.user)
    make_exercise(case, "self_evaluation", title="练习0")
    # 21: the self-evaluation rows are one query of their own (issue 8).
    # One of them is the header's unread-notification count (the same on every page).
    with django_assert_max_num_queries(22):
        assert client.get(case.url).status_code == 200
    for i in range(1, 8):
        ex = make_exercise(case, "self_evaluation", title=f"练习{i}")
        ExerciseSubmission.objects.create(exercise=ex, user=learner.user, attempt_number=1,
                                          input={}, result={}, auto_score=50, score=50)
    with django_assert_max_num_queries(22):
        assert client.get(case.url).status_code == 200

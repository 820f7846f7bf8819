"""Moodle's own test fixtures (tests/fixtures/moodle) import with the exact questions."""

from decimal import Decimal

import pytest

from quizzes import formats, types
from quizzes.formats import common
from tests.fixtures import MOODLE

# Moodle's own GPL-licensed fixtures, kept in the repository (see their README.md).
FIXTURES = MOODLE

C = types.ChoiceData


def parse(name, **kwargs):
    fmt = "gift" if name.endswith(".txt") else "moodle-xml"
    return formats.parse(FIXTURES / name, format=fmt, **kwargs)


def plain(result):
    """(kind, name, text, category, answer) tuples of the questions, for exact comparison."""
    rows = []
    for q in result.questions:
        if q.kind in (types.SINGLE, types.MULTIPLE):
            answer = [(c.text, c.correct, c.feedback) for c in q.choices]
        elif q.kind == types.TRUE_FALSE:
            answer = q.answer_true
        elif q.kind == types.FILL:
            answer = q.blanks
        else:
            answer = q.reference_answer
        rows.append((q.kind, q.name, q.text, q.category, answer, q.explanation))
    return rows


def test_every_fixture_file_is_covered():
    names = {p.name for p in FIXTURES.iterdir() if p.name != "README.md"}
    assert names == {
        "error_invalid_grades.xml", "multichoice_testquestion.moodle.xml",
        "nested_categories_with_questions.xml", "questions.gift.txt",
        "questions_in_category.gift.txt", "shortanswer_testquestion.moodle.xml",
    }


def test_questions_gift_fails_naming_the_matching_and_numerical_questions():
    result = parse("questions.gift.txt")

    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert len(messages) == 2
    assert "Moodle activities" in messages[0] and "matching" in messages[0]
    assert "Q5" in messages[1] and "numerical" in messages[1]
    assert result.errors[0].message == str(common.ERR_UNSUPPORTED % {"type": "matching"})


def test_questions_gift_with_skip_unsupported_imports_seven_questions_exactly():
    result = parse("questions.gift.txt", skip_unsupported=True)

    assert result.ok
    assert [(s.type, "Moodle activities" in s.source or "Q5" in s.source)
            for s in result.skipped] == [("matching", True), ("numerical", True)]
    assert result.counts_by_kind() == {"single": 1, "multiple": 1, "truefalse": 3, "fill": 1,
                                       "essay": 1}
    question = "What's between orange and green in the spectrum?"
    assert plain(result) == [
        ("essay", "Q8", "How are you?", "", "", ""),
        ("single", "Q2", question, "", [
            ("yellow", True, "right; good!"), ("red", False, "wrong, it's yellow"),
            ("blue", False, "wrong, it's yellow")], ""),
        ("multiple", "colours", question, "", [
            ("yellow", True, "right; good!"), ("red", False, "wrong"),
            ("off-beige", True, "right; good!"), ("blue", False, "wrong")], ""),
        # =Frog at 100% is accepted; =%50%Cat (partial credit) is dropped with a warning;
        # the 0% catch-all * is ignored.
        ("fill", "Shortanswer", "Which is the best animal?", "", [["Frog"]], ""),
        # FALSE, with ####general feedback as the explanation; the stray "; is ignored.
        ("truefalse", "Q1", "42 is the Absolute Answer to everything.", "", False,
         "This is, of course, a Hitchiker's Guide to the Galaxy reference."),
        ("truefalse", "2-08 TSL", "TSL is blablabla.", "", True, ""),
        ("truefalse", "2-08 TSL", "TSL is blablabla.", "", True, ""),
    ]
    assert any("Cat" in w for w in result.warnings)
    assert all(q.points == Decimal("1") and q.difficulty == types.MEDIUM
               for q in result.questions)


def test_questions_in_category_gift_imports_category_escapes_and_html():
    result = parse("questions_in_category.gift.txt", skip_unsupported=True)

    assert result.ok
    assert [s.type for s in result.skipped] == ["matching"]
    category = "Default for New Features"
    assert plain(result) == [
        ("single", "Greeting",
         "Listen to this greeting:\n\nWhat language is being spoken?", category, [
             ("English", False, "Sorry, listen again."), ("French", True, "Yes, well done!"),
             ("German", False, "Sorry, listen again."),
             ("Spanish", False, "Sorry, listen again.")], ""),
        ("fill", "Moodle user", "Anyone who uses Moodle is a ...", category, [["Moodler"]], ""),
        ("truefalse", "Moodle acronym",
         "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment.",
         category, True, ""),
    ]
    # The link's markup is gone; no tag or attribute survives into the text.
    assert "<a" not in result.questions[0].text and "href" not in result.questions[0].text


def test_questions_in_category_gift_without_skip_names_the_matching_question():
    result = parse("questions_in_category.gift.txt")

    assert [str(e) for e in result.errors] == [
        str(common.question_source(name="Moodle activities", index=1,
                                   filename="questions_in_category.gift.txt"))
        + ": " + str(common.ERR_UNSUPPORTED % {"type": "matching"})
    ]


def test_nested_categories_xml_imports_five_questions_in_their_categories():
    result = parse("nested_categories_with_questions.xml")

    assert result.ok and not result.skipped
    assert plain(result) == [
        ("truefalse", "Iota Question", "Testing Iota Question", "Iota", True, ""),
        ("essay", "Kappa Essay Question", "Testing Kappa Essay Question", "Iota/Kappa", "", ""),
        ("truefalse", "Kappa Question", "Testing Kappa Question", "Iota/Kappa", True, ""),
        ("truefalse", "Lambda Question", "Testing Lambda Question", "Iota/Kappa/Lambda", True,
         ""),
        ("truefalse", "Mu Question", "Testing Mu Question", "Iota/Mu", True, ""),
    ]
    assert all(q.points == Decimal("1") for q in result.questions)


def test_multichoice_fixture_is_a_multiple_choice_with_london_and_paris_correct():
    result = parse("multichoice_testquestion.moodle.xml")

    assert result.ok
    assert plain(result) == [
        ("multiple", "Multi-choice-001", "Find the capital cities in Europe.", "Default for C1",
         [("Tokyo", False, ""), ("Spain", False, ""), ("London", True, ""),
          ("Barcelona", False, ""), ("Paris", True, "")], "Berlin, Paris and London"),
    ]


def test_shortanswer_fixture_accepts_frog_and_drops_partial_toad_with_a_warning():
    result = parse("shortanswer_testquestion.moodle.xml")

    assert result.ok
    assert plain(result) == [
        ("fill", "shortanswer-001", "Name an amphibian: {{1}}", "Test questions", [["frog"]],
         "Generalfeedback: frog or toad would have been OK."),
    ]
    assert len(result.warnings) == 1 and "toad" in result.warnings[0]


def test_invalid_grades_fixture_is_rejected_naming_the_question():
    for skip in (False, True):
        result = parse("error_invalid_grades.xml", skip_unsupported=skip)

        assert not result.ok
        assert len(result.errors) == 1
        message = str(result.errors[0])
        assert "Question with invalid grades : x > 1 & x < 2" in message
        assert result.errors[0].message == str(common.ERR_MULTIPLE_SUM % {"sum": "99.66666"})


@pytest.mark.parametrize("name", [
    "multichoice_testquestion.moodle.xml", "nested_categories_with_questions.xml",
    "shortanswer_testquestion.moodle.xml",
])
def test_moodle_fixtures_survive_our_export_and_reimport(name):
    first = parse(name)
    again = formats.parse(formats.export(first.questions, format="moodle-xml"),
                          format="moodle-xml")

    assert again.ok and not again.warnings
    assert plain(again) == plain(first)

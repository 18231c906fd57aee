"""Quiz graders: choices, numbers with units and tolerances, short text by patterns; odd answers get clear feedback."""

from decimal import Decimal

import pytest

from exercises.quiz import (
    NO_ANSWER,
    UNITS,
    Grade,
    MultipleChoice,
    NumericQuestion,
    Option,
    QuantityError,
    ShortTextQuestion,
    SingleChoice,
    TextPattern,
    UnknownUnit,
    convert,
    find_unit,
    parse_quantity,
)

# Single choice --------------------------------------------------------------------------------------

SINGLE = SingleChoice(
    (
        Option("a", "X-rays", feedback="X-rays scatter off electrons."),
        Option("b", "Neutrons", correct=True, feedback="Yes: neutrons see hydrogen well."),
        Option("c", "Electrons"),
    )
)


def test_single_choice_right_and_wrong_with_option_feedback():
    assert SINGLE.grade("b") == Grade(1.0, ("Yes: neutrons see hydrogen well.",))
    assert SINGLE.grade("a") == Grade(0.0, ("X-rays scatter off electrons.",))
    assert SINGLE.grade("c") == Grade(0.0, ("Not correct.",))


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_single_choice_empty(answer):
    assert SINGLE.grade(answer) == Grade(0.0, (NO_ANSWER,))


def test_single_choice_unknown_option():
    assert SINGLE.grade("z") == Grade(0.0, ("That is not one of the options.",))


def test_single_choice_grade_unpacks_as_fraction_and_feedback():
    fraction, feedback = SINGLE.grade("b")
    assert fraction == 1.0 and isinstance(feedback, tuple)


@pytest.mark.parametrize(
    "options",
    [
        (Option("a", "A", correct=True),),
        (Option("a", "A"), Option("b", "B")),
        (Option("a", "A", correct=True), Option("a", "B")),
        (Option("", "A", correct=True), Option("b", "B")),
    ],
)
def test_malformed_choice_questions_are_refused(options):
    with pytest.raises(ValueError):
        SingleChoice(options)
    with pytest.raises(ValueError):
        MultipleChoice(options)


def test_several_correct_options_in_single_choice_each_count():
    question = SingleChoice([Option("a", "A", correct=True), Option("b", "B", correct=True), Option("c", "C")])
    assert question.grade("a").fraction == question.grade("b").fraction == 1.0


# Multiple choice ------------------------------------------------------------------------------------

OPTIONS = (
    Option("a", "Bragg peaks", correct=True, feedback="Right, from the crystal lattice."),
    Option("b", "Diffuse scattering", correct=True),
    Option("c", "Cherenkov light", feedback="That is from fast charged particles."),
    Option("d", "Phonons in a vacuum", feedback="There is nothing to vibrate."),
)


def test_all_or_nothing():
    question = MultipleChoice(OPTIONS)
    assert question.grade(["a", "b"]) == Grade(1.0, ("Correct.", "Bragg peaks: Right, from the crystal lattice."))
    assert question.grade(["b", "a", "a"]).fraction == 1.0  # order and duplicates do not matter
    assert question.grade(["a"]).fraction == 0.0
    assert question.grade(["a", "b", "c"]).fraction == 0.0
    assert question.grade(["a", "b", "c"]).feedback[0].startswith("Not quite")


@pytest.mark.parametrize(
    ("answer", "fraction"),
    [
        (["a", "b"], 1.0),
        (["a"], 0.5),
        (["a", "c"], 0.0),
        (["a", "b", "c"], 0.5),
        (["a", "b", "c", "d"], 0.0),
        (["c"], 0.0),
    ],
)
def test_partial_credit_takes_wrong_picks_off(answer, fraction):
    assert MultipleChoice(OPTIONS, mode="partial").grade(answer).fraction == fraction


def test_partial_feedback_summarises_and_gives_only_the_chosen_options_feedback():
    grade = MultipleChoice(OPTIONS, mode="partial").grade(["a", "c"])
    assert grade.feedback == (
        "You chose 1 right option and 1 wrong option.",
        "Bragg peaks: Right, from the crystal lattice.",
        "Cherenkov light: That is from fast charged particles.",
    )
    assert not any("nothing to vibrate" in line for line in grade.feedback)


@pytest.mark.parametrize("answer", [None, [], "", ()])
def test_multiple_choice_empty(answer):
    assert MultipleChoice(OPTIONS).grade(answer) == Grade(0.0, ("No option was selected.",))


def test_multiple_choice_single_string_and_unknown_ids():
    question = MultipleChoice((Option("a", "A", correct=True), Option("b", "B")))
    assert question.grade("a").fraction == 1.0
    assert question.grade(["a", "zz"]) == Grade(0.0, ("Your answer names options that are not in this question.",))


def test_multiple_choice_mode_is_checked():
    with pytest.raises(ValueError, match="mode"):
        MultipleChoice(OPTIONS, mode="generous")  # type: ignore[arg-type]


# Parsing quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("12.5 mm", "12.5", "mm"),
        ("1.25e1 mm", "12.5", "mm"),
        ("1.25E+1mm", "12.5", "mm"),
        ("0.0125 m", "0.0125", "m"),
        ("  -3 ", "-3", None),
        ("\u22123.5 eV", "-3.5", "eV"),
        ("+.5 keV", "0.5", "keV"),
        ("5. meV", "5", "meV"),
        ("1eV", "1", "eV"),
        ("2e3eV", "2000", "eV"),
        ("1.5418 Å", "1.5418", "Å"),
        ("1.5418 \u212b", "1.5418", "Å"),  # the ångström sign
        ("1.5418 A", "1.5418", "Å"),
        ("1.5418 angstrom", "1.5418", "Å"),
        ("3 µm", "3", "µm"),  # micro sign
        ("3 \u03bcm", "3", "µm"),  # Greek mu
        ("3 um", "3", "µm"),
        ("20 µs", "20", "µs"),
        ("20 us", "20", "µs"),
        ("45°", "45", "deg"),
        ("45 degrees", "45", "deg"),
        ("0.5 rad", "0.5", "rad"),
        ("7\u00a0ms", "7", "ms"),  # a no-break space
        ("0e-9999", "0", None),
    ],
)
def test_parse_quantity(text, value, unit):
    quantity = parse_quantity(text)
    assert quantity.value == Decimal(value)
    assert (quantity.unit.symbol if quantity.unit else None) == unit


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("1.2.3", "not a number"),
        ("1 000", "not a number"),
        ("12,5 mm", "without commas"),
        ("nan", "finite"),
        ("-inf mm", "finite"),
        ("Infinity", "finite"),
        ("1e999", "out of range"),
        ("5 furlong", "Unknown unit 'furlong'"),
        ("5 MM", "Unknown unit"),
    ],
)
def test_parse_quantity_errors_are_for_students(text, message):
    with pytest.raises(QuantityError, match=message):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1/4", "0.25", None),
        ("-1/4", "-0.25", None),
        ("\u22123/4", "-0.75", None),
        ("1 / 8", "0.125", None),
        ("1/-4", "-0.25", None),
        ("1.5/0.5", "3", None),
        ("1e3/4", "250", None),
        ("1/4 eV", "0.25", "eV"),
        ("3/2mm", "1.5", "mm"),
        ("0/7", "0", None),
    ],
)
def test_parse_quantity_reads_simple_fractions(text, value, unit):
    quantity = parse_quantity(text)
    assert quantity.value == Decimal(value)
    assert (quantity.unit.symbol if quantity.unit else None) == unit


def test_a_fraction_keeps_its_precision():
    assert abs(parse_quantity("1/3").value * 3 - 1) < Decimal("1e-40")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/0", "Cannot divide by zero"),
        ("0/0 eV", "Cannot divide by zero"),
        ("1/0.0", "Cannot divide by zero"),
        ("1/2/3", "one fraction bar"),
        ("1/", "not a number"),
        ("/4", "not a number"),
        ("1e200/1e-200", "out of range"),
    ],
)
def test_fraction_errors_are_for_students(text, message):
    with pytest.raises(QuantityError, match=message):
        parse_quantity(text)


def test_numeric_questions_accept_fractions():
    assert NumericQuestion("0.25").grade("1/4") == Grade(1.0, ("Correct.",))
    assert NumericQuestion("0.333", abs_tol="0.001").grade("1/3").fraction == 1.0
    assert NumericQuestion(250, "meV").grade("1/4 eV").fraction == 1.0
    divided = NumericQuestion(1).grade("1/0")
    assert divided == Grade(0.0, ("Cannot divide by zero: the number below the fraction bar is 0.",))


def test_units_table_and_conversions():
    assert {unit.dimension for unit in UNITS.values()} == {"length", "energy", "time", "angle"}
    assert convert(Decimal("0.0125"), find_unit("m"), find_unit("mm")) == Decimal("12.5")
    assert convert(Decimal("1"), find_unit("nm"), find_unit("Å")) == Decimal("10")
    assert convert(Decimal("2.5"), find_unit("keV"), find_unit("meV")) == Decimal("2500000")
    assert abs(convert(Decimal(180), find_unit("deg"), find_unit("rad")) - Decimal("3.14159265358979323846")) < Decimal(
        "1e-18"
    )
    with pytest.raises(ValueError, match="cannot convert"):
        convert(Decimal(1), find_unit("eV"), find_unit("m"))
    with pytest.raises(UnknownUnit):
        find_unit("parsec")


# Numeric questions ----------------------------------------------------------------------------------

LENGTH = NumericQuestion(12.5, "mm", abs_tol=0.1)


@pytest.mark.parametrize("answer", ["12.5 mm", "1.25e1 mm", "0.0125 m", "12.5", "12500 µm", "125000000 Å", 12.5])
def test_numeric_accepts_any_unit_of_the_right_dimension(answer):
    assert LENGTH.grade(answer) == Grade(1.0, ("Correct.",))


@pytest.mark.parametrize("answer", ["12 mm", 12, "0.0125 km", "12.5 m", "1.25 mm"])
def test_numeric_wrong_values(answer):
    assert LENGTH.grade(answer).fraction == 0.0


@pytest.mark.parametrize(
    ("answer", "fraction"),
    [("12.6 mm", 1.0), ("12.4 mm", 1.0), ("12.6000001 mm", 0.0), ("12.3999999 mm", 0.0), ("0.0126 m", 1.0)],
)
def test_absolute_tolerance_boundaries_are_inclusive_and_exact(answer, fraction):
    assert LENGTH.grade(answer).fraction == fraction


@pytest.mark.parametrize(
    ("answer", "fraction"), [("8.1 keV", 1.0), ("7.9 keV", 1.0), ("8.10001 keV", 0.0), ("8000 eV", 1.0), ("8.2", 0.0)]
)
def test_relative_tolerance(answer, fraction):
    assert NumericQuestion("8.0", "keV", rel_tol=0.0125).grade(answer).fraction == fraction


def test_either_tolerance_suffices():
    question = NumericQuestion(0, "eV", abs_tol=0.5, rel_tol=0.01)
    assert question.grade("0.5 eV").fraction == 1.0
    assert question.grade("0.51 eV").fraction == 0.0
    question = NumericQuestion(100, "eV", abs_tol=0.5, rel_tol=0.01)
    assert question.grade("101 eV").fraction == 1.0


def test_without_tolerance_the_answer_must_match_closely():
    question = NumericQuestion(90, "deg")
    assert question.grade("90").fraction == 1.0
    assert question.grade("90.001").fraction == 0.0
    assert question.grade("1.5707963267948966 rad").fraction == 1.0  # π/2 to float precision
    assert NumericQuestion(0).grade("0.0").fraction == 1.0
    assert NumericQuestion(0).grade("1e-300").fraction == 0.0


def test_wrong_dimension_says_what_was_expected():
    grade = NumericQuestion(8, "keV", rel_tol=0.01).grade("1.54 Å")
    assert grade == Grade(0.0, ("Expected an energy (for example in keV), but Å is the unit of a length.",))
    assert "Expected a time" in NumericQuestion(1, "ms").grade("1 rad").feedback[0]
    assert "Expected an angle" in NumericQuestion(1, "rad").grade("1 s").feedback[0]
    assert "Expected a length" in NumericQuestion(1, "nm").grade("1 meV").feedback[0]


def test_unknown_unit_lists_the_units_of_the_expected_dimension():
    assert NumericQuestion(8, "keV").grade("8 kev").feedback == (
        "Unknown unit 'kev'. Units for an energy: eV, meV, keV.",
    )
    assert NumericQuestion(8).grade("8 kev").feedback == ("Unknown unit 'kev'.",)


def test_unit_required_or_refused():
    assert NumericQuestion(5, "mm", require_unit=True).grade("5") == Grade(0.0, ("Give a unit, for example mm.",))
    assert NumericQuestion(5, "mm", require_unit=True).grade("5 mm").fraction == 1.0
    assert NumericQuestion(5).grade("5 mm") == Grade(0.0, ("This answer is a plain number; leave out the unit.",))


@pytest.mark.parametrize(
    ("answer", "feedback"),
    [
        (None, NO_ANSWER),
        ("", NO_ANSWER),
        ("  ", NO_ANSWER),
        ("twelve", "not a number"),
        ("NaN", "finite"),
        ("inf mm", "finite"),
        (float("nan"), "finite"),
        (float("-inf"), "finite"),
        ("1" * 500, "too long"),
        ("9e999 mm", "out of range"),
        (True, "Give a number"),
        (["12.5"], "Give a number"),
    ],
)
def test_numeric_odd_answers_get_clear_feedback(answer, feedback):
    grade = LENGTH.grade(answer)
    assert grade.fraction == 0.0 and feedback in grade.feedback[0]


def test_numeric_custom_feedback():
    question = NumericQuestion(2, "eV", abs_tol=0, feedback_correct="Well done.", feedback_wrong="Check the units.")
    assert question.grade("2000 meV") == Grade(1.0, ("Well done.",))
    assert question.grade("2.001 eV") == Grade(0.0, ("Check the units.",))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"value": float("nan")},
        {"value": float("inf")},
        {"value": "x"},
        {"value": 1, "unit": "furlong"},
        {"value": 1, "abs_tol": -0.1},
        {"value": 1, "rel_tol": float("nan")},
        {"value": 1, "require_unit": True},
    ],
)
def test_malformed_numeric_questions_are_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        NumericQuestion(**kwargs)


def test_question_unit_aliases_are_canonical():
    assert NumericQuestion(1, "angstrom").unit == "Å"
    assert NumericQuestion(1, "um").unit == "µm"


# Short text -----------------------------------------------------------------------------------------

TEXT = ShortTextQuestion(
    (
        TextPattern("Bragg's law", "case_insensitive", 2, "Yes."),
        TextPattern(r"(?i)bragg(s)?( law)?", "regex", 1, "Almost: it is Bragg's law."),
        TextPattern("Snell's law", "exact", 0, "That one is about refraction."),
    ),
    feedback_wrong="Think of diffraction from lattice planes.",
)


@pytest.mark.parametrize(
    ("answer", "grade"),
    [
        ("Bragg's law", Grade(1.0, ("Yes.",))),
        ("  BRAGG'S   LAW ", Grade(1.0, ("Yes.",))),
        ("braggs", Grade(0.5, ("Almost: it is Bragg's law.",))),
        ("Bragg law", Grade(0.5, ("Almost: it is Bragg's law.",))),
        ("Snell's law", Grade(0.0, ("That one is about refraction.",))),
        ("snell's law", Grade(0.0, ("Think of diffraction from lattice planes.",))),  # exact is case-sensitive
        ("It is Bragg's law", Grade(0.0, ("Think of diffraction from lattice planes.",))),  # regex full match only
        ("", Grade(0.0, (NO_ANSWER,))),
        (None, Grade(0.0, (NO_ANSWER,))),
        (42, Grade(0.0, ("Give a text answer.",))),
        ("x" * 5000, Grade(0.0, ("That answer is too long (at most 1000 characters).",))),
    ],
)
def test_short_text(answer, grade):
    assert TEXT.grade(answer) == grade


def test_first_matching_pattern_decides_and_default_feedback():
    question = ShortTextQuestion((TextPattern("neutron", points=1), TextPattern(".*", "regex", 3)))
    assert question.grade("neutron") == Grade(1 / 3, ("Partly correct.",))
    assert question.grade("photon") == Grade(1.0, ("Correct.",))
    question = ShortTextQuestion((TextPattern("wrong", points=0), TextPattern("right")))
    assert question.grade("wrong") == Grade(0.0, ("Not correct.",))


def test_text_is_compared_after_unicode_normalisation():
    question = ShortTextQuestion((TextPattern("Å", "exact"),))
    assert question.grade("\u212b").fraction == 1.0  # the ångström sign is the letter Å


@pytest.mark.parametrize(
    "make",
    [
        lambda: TextPattern("(", "regex"),
        lambda: TextPattern("  ", "exact"),
        lambda: TextPattern("x", "fuzzy"),
        lambda: TextPattern("x", points=-1),
        lambda: ShortTextQuestion(()),
        lambda: ShortTextQuestion((TextPattern("x", points=0),)),
    ],
)
def test_malformed_short_text_questions_are_refused(make):
    with pytest.raises(ValueError):
        make()

"""Exercises from an nbgrader source notebook (see exercises/nbgrader/ for the mapping)."""

from decimal import Decimal

from django.db import transaction

from .models import Disclosure, Exercise, ExerciseKind, ExerciseTest
from .nbgrader import ImportedAssignment, import_source_notebook

MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024


@transaction.atomic
def exercises_from_notebook(data: bytes, *, owner=None) -> tuple[ImportedAssignment, list[Exercise]]:
    """One Exercise per autograded answer cell, with its public and hidden tests, and a free-response
    exercise per manually graded cell or task (graded by a trainer in the gradebook, as in nbgrader's
    formgrader). Raises NotebookFormatError (a ValueError naming the cell) for a notebook that cannot
    be imported."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"The notebook is over {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MiB.")
    assignment = import_source_notebook(data)
    created = []
    for spec in assignment.exercises:
        exercise = Exercise.objects.create(
            title=f"{assignment.title}: {spec.grade_id}" if assignment.title else spec.grade_id,
            prompt=spec.prompt_markdown,
            starter_code=spec.starter_code,
            solution_code=spec.reference_solution,
            setup_code=spec.setup_code,
            owner=owner,
        )
        for order, test in enumerate([*spec.public_tests, *spec.hidden_tests]):
            ExerciseTest.objects.create(
                exercise=exercise,
                name=test.name,
                source=nbgrader_rules(test),
                points=Decimal(str(test.points)),
                hidden=test.hidden,
                disclosure=Disclosure.SHOW,
                sort_order=order,
            )
        created.append(exercise)
    for item in assignment.free_response:
        created.append(
            Exercise.objects.create(
                title=f"{assignment.title}: {item.grade_id}" if assignment.title else item.grade_id,
                kind=ExerciseKind.FREE_RESPONSE,
                prompt=item.prompt_markdown or f"Answer cell {item.grade_id} of the notebook.",
                # The model answer, released like a solution; a task's marking scheme plays that part.
                solution_code=item.reference_answer or item.marking_scheme,
                response_points=Decimal(str(item.points)),
                owner=owner,
            )
        )
    return assignment, created


def nbgrader_rules(test) -> str:
    """The test's source with `nbgrader autograde`'s scoring around it (``nbgrader_cell_score``): output on
    stderr scores 0, and a partial-credit cell's shown number is its score out of the test's points."""
    if not (test.fail_on_stderr or test.partial_credit):
        return test.source
    inner = f"_nbgrader_cell_{test.name}"
    lines = [test.source.replace(f"def {test.name}():", f"def {inner}():", 1).rstrip(), "", "",
             f"def {test.name}():", "    import contextlib, io", "", "    stderr = io.StringIO()",
             "    with contextlib.redirect_stderr(stderr):", f"        value = {inner}()"]  # fmt: skip
    if test.fail_on_stderr:
        lines += ["    if stderr.getvalue():",
                  "        raise AssertionError('This cell wrote to stderr, which nbgrader scores 0: '"
                  " + stderr.getvalue()[-500:])"]  # fmt: skip
    if test.partial_credit:
        lines += [f"    return _nbgrader_fraction(value, {float(test.points)!r})", "", "",
                  "def _nbgrader_fraction(value, points):",
                  "    if value is None or points <= 0:", "        return None",
                  "    try:", "        number = float(repr(value))  # nbgrader reads the shown (text/plain) value",
                  "    except ValueError:", "        return None",
                  "    if number != number or number < 0:", "        return None  # NaN or negative: full points",
                  "    return number / points if number <= points else 0.0"]  # fmt: skip
    return "\n".join(lines) + "\n"

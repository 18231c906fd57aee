"""Exercises from an nbgrader source notebook (see exercises/nbgrader_format.py for the mapping)."""

from decimal import Decimal

from django.db import transaction

from .models import Disclosure, Exercise, ExerciseTest
from .nbgrader_format import ImportedAssignment, import_source_notebook

MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024


@transaction.atomic
def exercises_from_notebook(data: bytes) -> tuple[ImportedAssignment, list[Exercise]]:
    """One Exercise per autograded answer cell, with its public and hidden tests. Raises
    NotebookFormatError (a ValueError naming the cell) for a notebook that cannot be imported."""
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
        )
        for order, test in enumerate([*spec.public_tests, *spec.hidden_tests]):
            ExerciseTest.objects.create(
                exercise=exercise,
                name=test.name,
                source=test.source,
                points=Decimal(str(test.points)),
                hidden=test.hidden,
                disclosure=Disclosure.SHOW,
                sort_order=order,
            )
        created.append(exercise)
    return assignment, created

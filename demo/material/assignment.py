"""The demo's nbgrader assignment: a source notebook that ships with the demo, imported as a trainer
imports one (Exercises → Import an nbgrader notebook), placed in a lesson of the reflectometry course
with its student version to download, and one free-response answer from the demo student waiting in
the gradebook. Pure data, like the other course specs.
"""

from pathlib import Path

NBGRADER_ASSIGNMENT = {
    "notebook": Path(__file__).parent / "notebooks" / "reflectometer-tof.ipynb",
    "lesson": {
        "title": "Assignment: time of flight and momentum transfer",
        "slug": "assignment-time-of-flight-and-momentum-transfer",
        "summary": "An nbgrader assignment: two functions graded by tests, and one answer a trainer grades.",
    },
    # Every imported exercise takes this policy: the course's defaults would do, but the demo shows one.
    "policy": {"max_attempts": 5, "decay_per_attempt": "0.1", "min_factor": "0.5", "deadline_days": 21},
    "student_answer": (
        "One angle only covers the Q range that the wavelength band gives at that angle, which is too narrow. "
        "Reflectivity drops very fast with Q, so a second, larger angle reaches higher Q with enough counts."
    ),
}


def lesson_intro(*, document_id: int, notebook_title: str) -> str:
    """The lesson's opening text, with the link to the student notebook (a Wagtail document)."""
    return (
        f"<p>This assignment was written as an nbgrader notebook, <i>{notebook_title}</i>, and imported into "
        "panlearn: each answer cell became an exercise below, graded by the notebook's own tests (the hidden ones "
        "run only when you submit), and the written answer is graded by your trainer.</p>"
        f'<p>Prefer Jupyter? <a linktype="document" id="{document_id}">Download the student notebook</a> and '
        "work offline; paste your functions here to submit them.</p>"
    )

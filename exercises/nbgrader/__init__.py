"""nbgrader source notebooks in and out: import them as exercises, export the student version and the grades.

Pure package (no Django), laid out by nbgrader's own parts: ``cells`` (metadata predicates, checksum, markers),
``reading`` (load and check a notebook), ``regions`` (solution, hidden-test and mark-scheme regions),
``testfunctions`` (autograder cells as test functions), ``importer``, ``preprocessors`` (one per module, as in
nbgrader/preprocessors/), ``export`` (the student version) and ``grades`` (cell scores and the grades CSV).

It follows nbgrader's own semantics, read from its preprocessors and metadata schema:

* Cell metadata lives under ``cell.metadata["nbgrader"]`` (schema version 3; 4 only adds ``duplicate``, which
  nbgrader sets while autograding). The keys are ``grade``, ``solution``, ``locked``, ``task``, ``grade_id``,
  ``points`` and ``schema_version`` (``checksum`` and ``cell_type`` are added by ``generate_assignment``).
* Kinds of cells, as the "Create Assignment" toolbar writes them:

  ==========================  ===========================================  ==========================
  nbgrader cell               metadata                                     here
  ==========================  ===========================================  ==========================
  Autograded answer           code, ``solution``                           starts an ``ExerciseSpec``
  Autograder tests            code, ``grade`` (+ ``points``), locked       ``TestSpec`` of that exercise
  Read-only                   ``locked`` only                              setup code / prompt text
  Manually graded answer      ``grade`` + ``solution`` (+ ``points``)      ``FreeResponseSpec``
  Manually graded task        markdown, ``task`` (+ ``points``)            ``FreeResponseSpec``
  ==========================  ===========================================  ==========================

* Regions: a line containing ``BEGIN SOLUTION`` ... ``END SOLUTION`` (conventionally ``### BEGIN SOLUTION``) is
  replaced by the stub ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` indented like the BEGIN line (text
  cells get ``YOUR ANSWER HERE``); a solution cell without a region is replaced whole. ``BEGIN HIDDEN TESTS`` ...
  ``END HIDDEN TESTS`` regions are removed from autograder test cells, ``BEGIN MARK SCHEME`` ... ``END MARK SCHEME``
  from task cells. nbgrader matches the marker text anywhere in a line; so does this module.

Grades identical to ``nbgrader autograde``
-------------------------------------------
``nbgrader autograde`` puts each autograder test cell back as it is in the *source* notebook (hidden tests
included), runs the notebook top to bottom, and gives a test cell all its points unless it raised an error or wrote
to stderr (``utils.determine_grade``); when the cell's last line is an expression whose value reads as a number
between 0 and the points, that number is the (partial) score. It is all or nothing per cell: the public and the
hidden lines of a cell must all pass. Hence the mapping of one test cell worth P points:

* no hidden region: one public test ``test_<grade_id>`` worth P;
* with a hidden region: a public test ``test_<grade_id>`` with the public lines only, worth 0 (it gives feedback on
  "Check" and never changes a score), and a hidden test ``test_<grade_id>_hidden`` with the whole cell (public and
  hidden lines, in their order), worth P. Splitting P between the two would award points nbgrader does not (public
  part passes, hidden part fails), so the cell's points stay on the combined test, which is hidden.

Each test carries ``fail_on_stderr`` and ``partial_credit`` so the grader can reproduce ``determine_grade``;
``nbgrader_cell_score`` is that rule as a pure function. A test function runs the cell's lines in a function body
instead of at the notebook's top level; names that the cell reads before assigning are declared ``global`` so they
still resolve to the setup's values, as in the notebook.

The package raises ``NotebookFormatError`` (a ``ValueError``) with a message naming the cell and what to change.
"""

from .cells import CODE_STUB, TEXT_STUB, compute_checksum
from .export import export_student_notebook
from .grades import GRADES_CSV_COLUMNS, grades_csv, nbgrader_cell_score, spreadsheet_value
from .importer import import_source_notebook
from .specs import ExerciseSpec, FreeResponseSpec, ImportedAssignment, NotebookFormatError, TestSpec

__all__ = [
    "CODE_STUB",
    "GRADES_CSV_COLUMNS",
    "TEXT_STUB",
    "ExerciseSpec",
    "FreeResponseSpec",
    "ImportedAssignment",
    "NotebookFormatError",
    "TestSpec",
    "compute_checksum",
    "export_student_notebook",
    "grades_csv",
    "import_source_notebook",
    "nbgrader_cell_score",
    "spreadsheet_value",
]

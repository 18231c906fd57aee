"""The student version of a source notebook, as ``nbgrader generate_assignment`` makes it."""

from __future__ import annotations

import warnings

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

from .cells import ALL_MARKERS, cell_location
from .preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions, ComputeChecksums, LockCells
from .reading import load_notebook
from .specs import NotebookFormatError


def export_student_notebook(data: bytes | str) -> bytes:
    """The student version of an nbgrader source notebook, as ``nbgrader generate_assignment`` makes it.

    Solutions become stubs, hidden tests and mark schemes are removed, outputs are cleared, nbgrader metadata is
    kept with checksums added and cells locked. Returns UTF-8 ``.ipynb`` bytes. Raises ``NotebookFormatError``.
    """
    notebook, _infos, _notes = load_notebook(data)
    resources: dict = {}
    clear_output = ClearOutputPreprocessor(remove_metadata_fields={"collapsed", "scrolled", "execution", "ExecuteTime"})
    for preprocessor in (
        LockCells(),
        ClearSolutions(),
        clear_output,
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
    ):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    notebook.metadata.pop("widgets", None)  # saved widget state is output too
    for index, cell in enumerate(notebook.cells):
        leftover = [marker for marker in ALL_MARKERS if marker in cell.source]
        if leftover:  # defence in depth: the checks in load_notebook make this unreachable
            raise NotebookFormatError(f"{cell_location(index, cell)}: {leftover[0]} is still present after export.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat.validate(notebook)
    return nbformat.writes(notebook).encode("utf-8")

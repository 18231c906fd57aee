from nbconvert.preprocessors import Preprocessor

from ..cells import compute_checksum, is_grade, is_locked, is_solution


class ComputeChecksums(Preprocessor):
    """nbgrader's ComputeChecksums, run after the hidden tests are gone (so no checksum depends on them)."""

    def preprocess_cell(self, cell, resources, index):
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
        return cell, resources

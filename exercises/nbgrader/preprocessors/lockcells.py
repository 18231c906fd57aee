from nbconvert.preprocessors import Preprocessor

from ..cells import is_grade, is_locked, is_solution


class LockCells(Preprocessor):
    """nbgrader's LockCells: answer cells cannot be deleted; test and read-only cells cannot be edited either."""

    def preprocess_cell(self, cell, resources, index):
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        return cell, resources

from nbconvert.preprocessors import Preprocessor

from ..cells import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, is_grade, location_of
from ..regions import has_marker, keep_lines


class ClearHiddenTests(Preprocessor):
    """nbgrader's ClearHiddenTests: hidden test regions are removed from autograder test cells."""

    def preprocess_cell(self, cell, resources, index):
        if is_grade(cell) and has_marker(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS):
            cell.source = keep_lines(
                location_of(index, cell), cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text"}
            )
        return cell, resources

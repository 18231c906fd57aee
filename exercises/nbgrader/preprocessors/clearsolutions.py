from nbconvert.preprocessors import Preprocessor

from ..cells import drop_unused_attachments, is_solution, location_of
from ..regions import student_answer


class ClearSolutions(Preprocessor):
    """nbgrader's ClearSolutions: solution regions (or whole solution cells) become the stubs."""

    def preprocess_cell(self, cell, resources, index):
        if is_solution(cell):
            cell.source = student_answer(location_of(index, cell), cell.cell_type, cell.source)
            drop_unused_attachments(cell)
        return cell, resources

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        nb.metadata.pop("celltoolbar", None)
        return nb, resources

from nbconvert.preprocessors import Preprocessor

from ..cells import BEGIN_MARK_SCHEME, END_MARK_SCHEME, drop_unused_attachments, is_task, location_of
from ..regions import has_marker, keep_lines


class ClearMarkScheme(Preprocessor):
    """nbgrader's ClearMarkScheme: mark scheme regions are removed from task cells."""

    def preprocess_cell(self, cell, resources, index):
        if is_task(cell) and has_marker(cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME):
            cell.source = keep_lines(
                location_of(index, cell), cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"text"}
            )
            drop_unused_attachments(cell)
        return cell, resources

"""nbgrader's preprocessors that make the student version, one per module as in nbgrader/preprocessors/."""

from .clearhiddentests import ClearHiddenTests
from .clearmarkingscheme import ClearMarkScheme
from .clearsolutions import ClearSolutions
from .computechecksums import ComputeChecksums
from .lockcells import LockCells

__all__ = ["ClearHiddenTests", "ClearMarkScheme", "ClearSolutions", "ComputeChecksums", "LockCells"]

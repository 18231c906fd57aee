"""Operator settings of the courses app, with their defaults (see docs/operator.md)."""

from panlearn.settings.env import env_int

# Courses shown per catalogue page.
PANLEARN_COURSES_PAGE_SIZE = env_int("PANLEARN_COURSES_PAGE_SIZE", 12)

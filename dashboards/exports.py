"""Every dashboard table as CSV: a header and rows of plain values (RFC 4180, UTF-8 with a BOM for
spreadsheets; text a spreadsheet would run as a formula is neutralised)."""

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from .selectors import CompletionRecord, CourseOverview, CourseProgress, CourseSummary, FacilityCourse

Table = tuple[list[str], Iterable[list]]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if not isinstance(value, int | float) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render(table: Table) -> bytes:
    header, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def courses_table(summaries: list[CourseSummary]) -> Table:
    header = ["course", "enrolled", "active_last_7_days", "completed"]
    return header, ([s.course.title, s.enrolled, s.active, s.completed] for s in summaries)


def course_tables(overview: CourseOverview) -> dict[str, Table]:
    lessons = (
        ["number", "lesson", "completed", "percent_of_enrolled"],
        ([row.number, row.lesson.title, row.completed, row.percent] for row in overview.lessons),
    )
    bins = [label for label, _ in overview.exercises[0].score_bins] if overview.exercises else []
    exercises = (
        ["exercise", "lesson", "students", "attempts", "mean_attempts", "passed", "mean_best_score_percent"]
        + [f"best_score {label}" for label in bins]
        + [f"attempts {label}" for label, _ in (overview.exercises[0].attempt_bins if overview.exercises else [])],
        (
            [
                row.exercise.title,
                row.lesson.title if row.lesson else "",
                row.students,
                row.attempts,
                row.mean_attempts,
                row.passed,
                row.mean_score,
                *(n for _, n in row.score_bins),
                *(n for _, n in row.attempt_bins),
            ]
            for row in overview.exercises
        ),
    )
    students = (
        [
            "username",
            "enrolled_at",
            "lessons_done",
            "lessons_total",
            "percent",
            "last_activity",
            "completed_at",
            "attempts",
            "exercises_passed",
            "struggling",
        ],
        (
            [
                row.user.username,
                row.enrolled_at,
                row.lessons_done,
                row.lessons_total,
                row.percent,
                row.last_activity,
                row.completed_at,
                row.attempts,
                row.passed,
                "; ".join(s.detail for s in row.struggles),
            ]
            for row in overview.students
        ),
    )
    struggling = (
        ["username", "kind", "detail", "last_activity"],
        (
            [row.user.username, s.kind, s.detail, row.last_activity]
            for row in overview.struggling
            for s in row.struggles
        ),
    )
    return {"lessons": lessons, "exercises": exercises, "students": students, "struggling": struggling}


def facility_tables(courses: list[FacilityCourse], records: list[CompletionRecord]) -> dict[str, Table]:
    return {
        "courses": (
            ["course", "enrolled", "completed"],
            ([row.course.title, row.enrolled, row.completed] for row in courses),
        ),
        "completions": (
            ["username", "first_name", "last_name", "email", "course", "completed_at"],
            (
                [
                    r.user.username,
                    r.user.first_name,
                    r.user.last_name,
                    r.email,
                    r.course.title,
                    r.completed_at,
                ]
                for r in records
            ),
        ),
    }


def student_tables(progress: list[CourseProgress]) -> dict[str, Table]:
    return {
        "courses": (
            ["course", "lessons_done", "lessons_total", "percent", "completed_at", "next_lesson"],
            (
                [
                    row.course.title,
                    row.done,
                    row.total,
                    row.percent,
                    row.completed_at,
                    row.next_lesson.title if row.next_lesson else "",
                ]
                for row in progress
            ),
        ),
        "exercises": (
            ["course", "exercise", "attempts", "best_points", "possible", "best_percent", "passed"],
            (
                [row.course.title, r.exercise.title, r.attempts, r.raw, r.possible, r.percent, r.passed]
                for row in progress
                for r in row.exercises
            ),
        ),
    }

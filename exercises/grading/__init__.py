"""Grading a submission: `pipeline.grade` runs the steps in order, `specs` says what is graded.

claim → reuse → run → score → apply policy → store → record; each step is a function of that name in
`pipeline.py`. The task that calls it, and queues it again when the runner is down, is
`exercises.tasks.grade_submission`; the pure scoring and policy rules are `exercises.scoring` and
`exercises.policy_rules`.
"""

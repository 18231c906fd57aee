"""The verbs, activity types and extensions panlearn uses (documented in docs/xapi-profile.md)."""

XAPI_VERSION = "1.0.3"  # the version panlearn writes, and its store answers in

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
# Our own profile; the IRIs are stable names, documented in docs/xapi-profile.md.
PANLEARN = "https://w3id.org/xapi/panlearn/"

# verb IRI -> English display
REGISTERED = ADL_VERBS + "registered"
PROGRESSED = ADL_VERBS + "progressed"
ANSWERED = ADL_VERBS + "answered"
# The SCORM profile's verbs (https://w3id.org/xapi/scorm) are these ADL IRIs.
COMPLETED = ADL_VERBS + "completed"
PASSED = ADL_VERBS + "passed"
FAILED = ADL_VERBS + "failed"
SCORED = ADL_VERBS + "scored"
VOIDED = ADL_VERBS + "voided"
EXECUTED = PANLEARN + "verbs/executed"

DISPLAY = {
    REGISTERED: "registered",
    PROGRESSED: "progressed",
    ANSWERED: "answered",
    COMPLETED: "completed",
    PASSED: "passed",
    FAILED: "failed",
    SCORED: "scored",
    VOIDED: "voided",
    EXECUTED: "executed",
}

COURSE = ADL_ACTIVITIES + "course"
LESSON = ADL_ACTIVITIES + "lesson"
INTERACTION = ADL_ACTIVITIES + "cmi.interaction"
# A quiz: its questions are the interactions, each its own activity.
ASSESSMENT = ADL_ACTIVITIES + "assessment"
CODE_CELL = PANLEARN + "activity-types/code-cell"

# cmi5's progress extension: an integer percentage.
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
RUN_STATUS = PANLEARN + "extensions/run-status"
CODE = PANLEARN + "extensions/code"
SUBMISSION_KIND = PANLEARN + "extensions/submission-kind"
ATTEMPT = PANLEARN + "extensions/attempt"
PREVIOUS_POINTS = PANLEARN + "extensions/previous-points"
OVERRIDE_COMMENT = PANLEARN + "extensions/override-comment"
# A quiz answer as the student typed it, where the response cannot say it all ("0.154 nm", "twelve").
ANSWER_TEXT = PANLEARN + "extensions/answer-text"

PLATFORM = "panlearn"

# --- Facility onboarding: training programmes (docs/xapi-profile.md, "Training programmes") ---------
# The xAPI registry's verb for a certification or competency that has lapsed.
EXPIRED = "http://id.tincanapi.com/verb/expired"
DISPLAY[EXPIRED] = "expired"
PROGRAMME = PANLEARN + "activity-types/training-programme"
FACILITY = PANLEARN + "activity-types/facility"
VALID_UNTIL = PANLEARN + "extensions/valid-until"
RENEWAL = PANLEARN + "extensions/renewal"

"""Statement models enforce xAPI 1.0.3's data rules; every template passes them and ralph's model."""

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement

from tests.tracking.samples import FRAME, all_statements
from tracking.xapi import builders
from tracking.xapi.models import Statement

PROFILE = Path(__file__).resolve().parents[2] / "docs" / "xapi-profile.md"
VALID = {
    "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {"id": "https://learn.example.org/xapi/activities/exercise/1"},
}


def _with(path: str, value) -> dict:
    statement = json.loads(json.dumps(VALID))
    *parents, last = path.split(".")
    node = statement
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return statement


def _templates():
    return [(name, statement) for name, statements in all_statements().items() for statement in statements]


@pytest.mark.parametrize(("name", "statement"), _templates(), ids=lambda item: item if isinstance(item, str) else "")
def test_every_template_validates_and_ralph_agrees(name, statement):
    payload = statement.as_json()
    assert Statement.model_validate(payload) == statement
    BaseXapiStatement.model_validate(payload)  # ralph's cross-check: raises on anything it rejects


def test_profile_examples_validate():
    blocks = re.findall(r"```json\n(.*?)```", PROFILE.read_text(), re.S)
    assert len(blocks) >= 10
    for block in blocks:
        payload = json.loads(block)
        Statement.model_validate(payload)
        BaseXapiStatement.model_validate(payload)


def test_the_profile_lists_every_verb_we_send():
    text = PROFILE.read_text()
    for statements in all_statements().values():
        for statement in statements:
            assert statement.verb.id in text


def test_the_valid_base_is_valid():
    Statement.model_validate(VALID)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("object.id", "exercise/1"),  # relative IRI
        ("object.id", "https:no-authority"),
        ("verb.id", "answered"),
        ("actor.mbox", "ada@example.org"),  # not mailto:
        ("verb.display", {"english": "answered"}),  # not a language tag
        ("verb.display", {}),
        ("result.score", {"raw": 5, "min": 10, "max": 0}),  # min must be < max
        ("result.score", {"raw": 5, "min": 0, "max": 0}),
        ("result.score", {"raw": -1, "min": 0, "max": 10}),  # raw below min (ralph lets this pass)
        ("result.score", {"raw": 11, "min": 0, "max": 10}),
        ("result.score", {"scaled": 1.5}),
        ("result.score", {"scaled": -1.01}),
        ("result.duration", "90 seconds"),
        ("result.duration", "PT"),
        ("timestamp", "2025-03-14T09:26:53"),  # no time zone
        ("context.language", "english please"),
        ("context.registration", "not-a-uuid"),
        ("id", "1234"),
        ("actor.account", {"homePage": "learn.example.org", "name": "x"}),
        ("unknown", 1),
        ("result.success", "true"),  # JSON types: a string is not a Boolean ...
        ("result.completion", "false"),
        ("result.score", {"raw": "5", "max": 10}),  # ... nor a Number
        ("result.duration", "P4W1D"),  # weeks stand alone in ISO 8601
        ("timestamp", "2025-03-14T09:26:53-00:00"),  # the "unknown offset"
        ("timestamp", "2025-03-14T09:26:53-0000"),
        ("object.definition", {"choices": [{"id": "a"}]}),  # interaction parts need an interactionType
        ("object.definition", {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}),
        ("context.contextActivities", {}),
        ("authority", {"objectType": "Group", "mbox": "mailto:staff@example.org",
                       "member": [{"mbox": "mailto:a@example.org"}, {"mbox": "mailto:b@example.org"}]}),
        ("authority", {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}),
    ],
)  # fmt: skip
def test_data_rules_refuse(path, value):
    with pytest.raises(ValidationError):
        Statement.model_validate(_with(path, value))


def test_an_activity_definition_may_have_no_property():
    """Every property of a definition is optional (Data 2.4.4.1); the ADL suite sends {} and expects it stored.
    (This store refused it until issue 18, after a copy of the suite that disagreed.)"""
    assert Statement.model_validate(_with("object.definition", {})).object.definition is not None


def test_an_agent_needs_exactly_one_identifier():
    both = {"mbox": "mailto:ada@example.org", "account": {"homePage": "https://a.org", "name": "x"}}
    with pytest.raises(ValidationError):
        Statement.model_validate(_with("actor", both))
    with pytest.raises(ValidationError):
        Statement.model_validate(_with("actor", {"objectType": "Agent"}))


def test_platform_only_for_activities_and_voiding_needs_a_statement_ref():
    with pytest.raises(ValidationError):
        Statement.model_validate({**_with("context", {"platform": "panlearn"}),
                                  "object": {"objectType": "StatementRef",
                                             "id": "6f13fe08-fae6-59b6-8965-52671e59da05"}})  # fmt: skip
    with pytest.raises(ValidationError):
        Statement.model_validate(_with("verb", {"id": "http://adlnet.gov/expapi/verbs/voided"}))


def test_a_substatement_keeps_platform_and_revision_for_activities_too():
    agent = {"objectType": "Agent", "mbox": "mailto:bob@example.org"}
    sub = {"objectType": "SubStatement", "actor": agent, "verb": VALID["verb"], "object": agent,
           "context": {"platform": "panlearn"}}  # fmt: skip
    with pytest.raises(ValidationError):
        Statement.model_validate(_with("object", sub))
    Statement.model_validate(_with("object", {**sub, "object": VALID["object"]}))


def test_an_oauth_authority_group_of_two_and_plus_zero_offsets_pass():
    pair = {"objectType": "Group", "member": [{"account": {"homePage": "https://oauth.example.org", "name": "app"}},
                                              {"mbox": "mailto:ada@example.org"}]}  # fmt: skip
    Statement.model_validate({**_with("authority", pair), "timestamp": "2025-03-14T09:26:53+00:00"})


@pytest.mark.parametrize("duration", ["PT0.042S", "P1DT2H", "PT1M30S", "P3W", "P1Y2M3DT4H5M6.5S"])
def test_iso_durations_pass(duration):
    Statement.model_validate(_with("result.duration", duration))


def test_ids_are_deterministic_and_distinct():
    first, again = (builders.enrolled(FRAME, event_key="enrolment:1") for _ in range(2))
    assert first.id == again.id and first.id.version == 5
    ids = [statement.id for _, statement in _templates()]
    assert len(set(ids)) == len(ids)


def test_code_only_when_asked():
    statements = all_statements()
    without = statements["cell executed"][0].as_json()["result"]["extensions"]
    assert "https://w3id.org/xapi/panlearn/extensions/code" not in without
    with_code = statements["cell executed with code"][0].as_json()["result"]["extensions"]
    assert with_code["https://w3id.org/xapi/panlearn/extensions/code"] == "1/0"


def test_grades_score_and_pass_or_fail():
    passed = [s.as_json() for s in all_statements()["scored and passed"]]
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in passed] == ["scored", "passed"]
    assert passed[0]["result"]["score"] == {"scaled": 0.75, "raw": 7.5, "min": 0.0, "max": 10.0}
    assert passed[0]["context"]["contextActivities"]["parent"][0]["id"].endswith("/lesson/4")
    assert passed[0]["context"]["contextActivities"]["grouping"][0]["id"].endswith("/course/3")
    failed = [s.as_json() for s in all_statements()["scored and failed"]]
    assert failed[1]["verb"]["id"].endswith("/failed") and failed[1]["result"]["success"] is False


def test_progressed_carries_cmi5_progress():
    payload = all_statements()["progressed"][0].as_json()
    assert payload["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/progress"] == 67


# --- Facility onboarding: training programmes ------------------------------------------------------


def _programme_statements():
    from datetime import timedelta

    from tests.tracking.samples import SITE, STUDENT, WHEN
    from tracking.xapi import vocabulary as v

    frame = builders.Frame(actor=STUDENT, timestamp=WHEN, language="en-GB")
    programme = builders.activity(iri=f"{SITE}/xapi/activities/programme/2", kind=v.PROGRAMME,
                                  name="General safety induction", language="en-GB")  # fmt: skip
    facility = builders.activity(iri="https://ror.org/01xtjs520", kind=v.FACILITY, name="PaN Demo Source",
                                 language="en-GB")  # fmt: skip
    until = WHEN + timedelta(days=365)
    passed = builders.programme_passed(frame, programme=programme, facility=facility, valid_until=until,
                                       renewal="pass", event_key="programme-completion:1")  # fmt: skip
    renewed = builders.programme_passed(frame, programme=programme, facility=facility, valid_until=until,
                                        renewal="refresher", event_key="programme-completion:2",
                                        renews=passed.id)  # fmt: skip
    expired = builders.programme_expired(frame, programme=programme, facility=None, valid_until=until,
                                         event_key="programme-completion:1:expired", passed=passed.id)  # fmt: skip
    return passed, renewed, expired


def test_programme_statements_validate_and_ralph_agrees():
    for statement in _programme_statements():
        payload = statement.as_json()
        assert Statement.model_validate(payload) == statement
        BaseXapiStatement.model_validate(payload)


def test_programme_statements_say_passed_and_expired_with_the_validity():
    passed, renewed, expired = (statement.as_json() for statement in _programme_statements())
    assert passed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed" and passed["result"]["success"] is True
    assert expired["verb"] == {"id": "http://id.tincanapi.com/verb/expired", "display": {"en-US": "expired"}}
    until = "https://w3id.org/xapi/panlearn/extensions/valid-until"
    assert (
        passed["result"]["extensions"][until]
        == expired["result"]["extensions"][until]
        == "2026-03-14T09:26:53.589000+00:00"
    )
    assert renewed["context"]["statement"]["id"] == expired["context"]["statement"]["id"] == passed["id"]
    assert passed["context"]["contextActivities"]["grouping"][0]["id"] == "https://ror.org/01xtjs520"
    assert "registration" not in passed["context"]
    text = PROFILE.read_text()
    for statement in (passed, expired):
        assert statement["verb"]["id"] in text
    assert len({passed["id"], renewed["id"], expired["id"]}) == 3
    assert _programme_statements()[0].id == _programme_statements()[0].id


# --- Quizzes: each answered question is an interaction with its response -----------------------------


def test_an_answer_without_text_leaves_the_response_out():
    for name in ("answered, no code", "quiz answered", "quiz question answered: number, unreadable"):
        (statement,) = all_statements()[name]
        payload = statement.as_json()
        assert "response" not in payload["result"], name
        BaseXapiStatement.model_validate(payload)
    quiz = all_statements()["quiz answered"][0].as_json()["object"]["definition"]
    assert quiz == {"name": {"en-GB": "Scattering quiz"}, "type": "http://adlnet.gov/expapi/activities/assessment"}


def _question_statement(kind: str, spec: dict, answer, prompt: str = "Which one?") -> dict:
    from exercises import quiz_specs
    from tests.tracking.samples import QUIZ

    question = quiz_specs.StoredQuestion(id="31", name="Question 1", kind=kind, spec=spec, points=2, prompt=prompt)
    outcomes = quiz_specs.grade_answers([question], {"31": answer})
    (interaction,) = quiz_specs.interactions([question], {"31": answer}, outcomes)
    payload = builders.question_answered(FRAME, quiz=QUIZ, question=interaction, attempt=1,
                                         event_key="submission:1:answered").as_json()  # fmt: skip
    Statement.model_validate(payload)
    BaseXapiStatement.model_validate(payload)
    return payload


CHOICES = [{"id": "a", "text": "X-rays"}, {"id": "b", "text": "Neutrons", "correct": True},
           {"id": "c", "text": "Muons", "correct": True}]  # fmt: skip


BRAGG = {"patterns": [{"pattern": "Bragg", "match": "exact"}, {"pattern": "bragg's law", "match": "case_insensitive"}]}
QUESTION_KINDS = [
    ("single", {"options": CHOICES}, "c", "choice", "c", ["b", "c"]),  # either correct option
    ("single", {"options": CHOICES}, "z", "choice", None, ["b", "c"]),  # not an option
    ("multiple", {"options": CHOICES}, ["c", "a"], "choice", "a[,]c", ["b[,]c"]),
    ("multiple", {"options": CHOICES}, "b", "choice", "b", ["b[,]c"]),
    ("number", {"value": 8, "unit": "keV", "rel_tol": 0.0125}, "8000 eV", "numeric", "8", ["7.9[:]8.1"]),
    ("number", {"value": -2, "abs_tol": 0.5, "rel_tol": 0.5}, "-1/4", "numeric", "-0.25",
     ["-2.5[:]-1.5", "-3[:]-1"]),
    ("number", {"value": "0.25"}, 0.25, "numeric", "0.25", ["0.25"]),
    ("number", {"value": 90, "unit": "deg"}, "1e2 deg", "numeric", "100", ["90"]),
    ("number", {"value": 1, "unit": "mm"}, "1 eV", "numeric", None, ["1"]),  # wrong dimension: no number
    ("text", BRAGG, " Bragg  law ", "fill-in", "Bragg law", ["{case_matters=true}Bragg", "bragg's law"]),
    ("text", {"patterns": [{"pattern": "(?i)bragg", "match": "regex"}]}, "bragg", "fill-in", "bragg", None),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "spec", "answer", "interaction_type", "response", "patterns"), QUESTION_KINDS)
def test_each_question_kind_is_an_interaction_ralph_accepts(kind, spec, answer, interaction_type, response, patterns):
    payload = _question_statement(kind, spec, answer)
    definition = payload["object"]["definition"]
    assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert definition["interactionType"] == interaction_type
    assert definition.get("correctResponsesPattern") == patterns
    assert payload["result"].get("response") == response
    assert payload["object"]["id"] == "https://learn.example.org/xapi/activities/exercise/9/question/31"
    assert payload["context"]["contextActivities"]["parent"][0]["id"].endswith("/exercise/9")
    assert payload["context"]["contextActivities"]["grouping"][0]["id"].endswith("/course/3")
    if kind in ("single", "multiple"):
        assert [choice["id"] for choice in definition["choices"]] == ["a", "b", "c"]
        assert definition["choices"][1]["description"] == {"en-GB": "Neutrons"}
    else:
        assert "choices" not in definition


def test_a_typed_number_is_kept_when_the_response_cannot_say_it_all():
    converted = _question_statement("number", {"value": 1.54, "unit": "A"}, "0.154 nm")["result"]
    assert converted["response"] == "1.54" and converted[
        "extensions"]["https://w3id.org/xapi/panlearn/extensions/answer-text"] == "0.154 nm"  # fmt: skip
    plain = _question_statement("number", {"value": 1.54, "unit": "A"}, "1.54")["result"]
    assert "https://w3id.org/xapi/panlearn/extensions/answer-text" not in plain["extensions"]
    assert plain["success"] is True and plain["score"] == {"scaled": 1.0, "raw": 2.0, "min": 0.0, "max": 2.0}


def test_a_question_without_a_prompt_has_no_empty_description():
    payload = _question_statement("single", {"options": CHOICES}, "b", prompt="  ")
    assert "description" not in payload["object"]["definition"]
    assert payload["object"]["definition"]["name"] == {"en-GB": "Scattering quiz, question 1"}


def test_an_activity_without_a_name_leaves_the_name_out():
    nameless = builders.activity(iri="https://learn.example.org/xapi/activities/course/99", kind="https://w3id.org/x",
                                 name="", language="en-GB")  # fmt: skip
    statement = builders.enrolled(builders.Frame(actor=FRAME.actor, timestamp=FRAME.timestamp, language="en-GB",
                                                 course=nameless), event_key="enrolment:99")  # fmt: skip
    BaseXapiStatement.model_validate(statement.as_json())
    assert "name" not in statement.as_json()["object"]["definition"]

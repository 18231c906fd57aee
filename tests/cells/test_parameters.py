"""Trainer-declared parameters of a code cell: the admin refuses bad declarations, the run endpoint refuses
values the declaration does not allow, and binds the allowed ones in the student's real sandboxed kernel."""

import json

import pytest
from django.test import AsyncClient

from cells.blocks import CodeCellBlock, ParameterBlock
from cells.parameters import ParameterError, bind, binding_code, plan_parameters, validate_values
from tests.exercises.conftest import cells_body
from tests.exercises.test_cells import run, texts
from tests.factories import LessonPageFactory
from tracking.models import OutboxStatement
from tracking.xapi import vocabulary as v

ANGLE = {"name": "angle", "label": "Grazing angle", "unit": "mrad", "kind": "float", "minimum": 1.0,
         "maximum": 10.0, "step": 0.5, "default": 2.5, "choices": ""}  # fmt: skip
SLIT = {"name": "slit", "label": "Slit width", "unit": "µm", "kind": "int", "minimum": 10.0, "maximum": 500.0,
        "step": 10.0, "default": 100.0, "choices": ""}  # fmt: skip
CRYSTAL = {"name": "crystal", "label": "Crystal", "unit": "", "kind": "choice", "minimum": None, "maximum": None,
           "step": None, "default": None, "choices": "Si(111)\nGe(220)\nx'); import os; ('"}  # fmt: skip
SPECS = plan_parameters([ANGLE, SLIT, CRYSTAL])


def block_errors(block, value) -> dict:
    """The admin form's errors, by field, as trainers see them."""
    from wagtail.blocks.struct_block import StructBlockValidationError

    with pytest.raises(StructBlockValidationError) as caught:
        block.clean(block.to_python(value))
    return caught.value.block_errors


def parameter_errors(**changes) -> dict[str, str]:
    errors = block_errors(ParameterBlock(), {**ANGLE, **changes})
    return {key: " ".join(error.messages) for key, error in errors.items()}


# -- the declaration, in the admin -----------------------------------------------------------------------------


def test_a_good_declaration_is_accepted():
    for spec in (ANGLE, SLIT, CRYSTAL):
        ParameterBlock().clean(ParameterBlock().to_python(spec))


@pytest.mark.parametrize(
    ("name", "says"),
    [("2theta", "Python name"), ("grazing angle", "Python name"), ("lambda", "keyword"), ("match", "keyword"),
     ("None", "keyword"), ("__import__", "Python's own"), ("", "required"), ("a" * 41, "at most 40 characters"),
     ("len", "already uses"), ("get_ipython", "already uses"), ("np", "already uses"), ("_x", "already uses"),
     ("panlearn_optics", "already uses")],
)  # fmt: skip
def test_bad_names_are_refused(name, says):
    assert says in parameter_errors(name=name)["name"]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"minimum": 10.0, "maximum": 1.0}, "maximum", "greater than the minimum"),
        ({"step": 0.0}, "step", "greater than 0"),
        ({"step": -0.5}, "step", "greater than 0"),
        ({"step": 0.001}, "step", "over 1000 steps"),
        ({"default": 11.0}, "default", "between the minimum (1) and the maximum (10)"),
        ({"default": 2.25}, "default", "whole number of steps"),
        ({"default": None}, "default", "Required"),
        ({"kind": "int", "step": 0.5}, "step", "whole number"),
        ({"kind": "choice", "choices": ""}, "choices", "one per line"),
        ({"kind": "choice", "choices": "a\na"}, "choices", "once"),
    ],
)
def test_bad_ranges_and_defaults_are_refused(changes, field, says):
    assert says in parameter_errors(**changes)[field]


def test_a_cell_refuses_a_name_twice_and_more_than_eight_parameters():
    cell = {"code": "", "datasets": [], "setup_code": "", "read_only": False, "example_output": ""}
    errors = block_errors(CodeCellBlock(), {**cell, "parameters": [ANGLE, SLIT, ANGLE]})
    assert "already parameter 1" in str(errors["parameters"].block_errors[2].block_errors["name"])
    many = [{**ANGLE, "name": f"p{i}"} for i in range(9)]
    errors = block_errors(CodeCellBlock(), {**cell, "parameters": many})
    assert "maximum number of items is 8" in str(errors["parameters"].non_block_errors)


def test_the_admin_form_shows_the_error_to_the_trainer(admin_client, course):
    lesson = LessonPageFactory(parent=course, title="Mirrors", slug="mirrors")
    data = {
        "title": "Mirrors", "slug": "mirrors", "summary": "",
        "body-count": "1", "body-0-type": "code_cell", "body-0-deleted": "", "body-0-order": "0", "body-0-id": "c1",
        "body-0-value-code": "print(angle)", "body-0-value-datasets-count": "0", "body-0-value-setup_code": "",
        "body-0-value-example_output": "", "body-0-value-parameters-count": "1",
        "body-0-value-parameters-0-deleted": "", "body-0-value-parameters-0-order": "0",
        "body-0-value-parameters-0-id": "p1",
        **{f"body-0-value-parameters-0-value-{k}": "" if v is None else str(v) for k, v in ANGLE.items()},
        "body-0-value-parameters-0-value-default": "12",
    }  # fmt: skip
    response = admin_client.post(f"/admin/pages/{lesson.pk}/edit/", data)
    assert response.status_code == 200  # the form again, not a redirect
    assert "The default must be between the minimum (1) and the maximum (10)." in response.content.decode()


def test_declarations_saved_without_the_form_are_left_out_not_bound():
    broken = [{**ANGLE, "name": "import"}, {**SLIT, "default": 5.0}, {**ANGLE, "step": None}, ANGLE, ANGLE]
    assert [spec["name"] for spec in plan_parameters(broken)] == ["angle"]
    many = [{**ANGLE, "name": f"p{i}"} for i in range(12)]
    assert len(plan_parameters(many)) == 8
    # Fields of the wrong type, as raw JSON keeps them (review: each made the lesson page a 500).
    mistyped = [{**ANGLE, "minimum": "1"}, {**ANGLE, "name": 5}, {**CRYSTAL, "choices": ["a", "b"]}, "angle", SLIT]
    assert [spec["name"] for spec in plan_parameters(mistyped)] == ["slit"]


def test_the_grid_holds_for_large_values_and_whole_numbers_exactly():
    """The step check allows the rounding of the values' own size (review: 52 of 1001 points of a 0.001 grid
    from 10^6 were refused), binds the grid's value, and checks whole numbers exactly."""
    large = plan_parameters([{**ANGLE, "minimum": 1e6, "maximum": 1e6 + 1, "step": 0.001, "default": 1e6}])
    for k in range(1001):
        validate_values(large, {"angle": float(repr(1e6 + k * 0.001))})
    assert validate_values(SPECS, {"angle": 2.5000000001})["angle"] == 2.5
    tenths = plan_parameters([{**ANGLE, "minimum": 0.1, "maximum": 1.0, "step": 0.1, "default": 0.1}])
    assert repr(validate_values(tenths, {"angle": 0.1 + 0.2})["angle"]) == "0.3"
    huge = plan_parameters([{**SLIT, "minimum": 0, "maximum": 10**15, "step": 10**12, "default": 0}])
    with pytest.raises(ParameterError, match="whole number of steps"):
        validate_values(huge, {"slit": 500_000_000_000_001})


# -- the values a browser sends -------------------------------------------------------------------------------


def test_sent_values_are_checked_and_the_others_take_their_default():
    assert validate_values(SPECS, {"angle": 3.5}) == {"angle": 3.5, "slit": 100, "crystal": "Si(111)"}
    assert validate_values(SPECS, {"slit": 250.0, "crystal": "Ge(220)"}) == {
        "angle": 2.5, "slit": 250, "crystal": "Ge(220)"}  # fmt: skip
    assert type(validate_values(SPECS, {"slit": 250.0})["slit"]) is int
    assert validate_values(SPECS, None) == {"angle": 2.5, "slit": 100, "crystal": "Si(111)"}


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ({"os": 1}, "no parameter os"),
        ({"angle": 10.5}, "between 1 and 10"),
        ({"angle": float("nan")}, "finite"),
        ({"angle": float("inf")}, "finite"),
        ({"angle": "3"}, "must be a number"),
        ({"angle": True}, "must be a number"),
        ({"angle": [3]}, "must be a number"),
        ({"angle": 2.75}, "whole number of steps of 0.5"),
        ({"slit": 15}, "whole number of steps of 10"),
        ({"crystal": "Cu(111)"}, "choose one of"),
        ({"crystal": 1}, "choose one of"),
    ],
)
def test_values_the_declaration_does_not_allow_are_refused(sent, says):
    with pytest.raises(ParameterError, match=r".*") as caught:
        validate_values(SPECS, sent)
    assert says in str(caught.value)


def test_the_binding_is_exactly_the_checked_values():
    values = validate_values(SPECS, {"angle": 0.1 + 2.9, "crystal": "x'); import os; ('"})
    line = binding_code(values)
    assert line == "angle = 3.0; slit = 100; crystal = \"x'); import os; ('\""
    namespace: dict = {}
    exec(line, namespace)  # the trainer's odd choice stays a string
    assert {k: namespace[k] for k in values} == {"angle": 3.0, "slit": 100, "crystal": "x'); import os; ('"}
    assert bind("print(angle)", values) == f"{line}\nprint(angle)"
    # A cell magic stays first: the binding opens its body.
    assert bind("%%time\nprint(angle)", values) == f"%%time\n{line}\nprint(angle)"


# -- the run endpoint, in a real sandboxed kernel -------------------------------------------------------------


def parameter_body() -> str:
    body = json.loads(cells_body(setup=""))
    body[1]["value"]["parameters"] = [ANGLE, SLIT, CRYSTAL]
    body[1]["value"]["code"] = "print(f'{angle!r} {slit!r} {crystal!r}', angle * slit)"
    return json.dumps(body)


@pytest.fixture
def param_lesson(course):
    lesson = LessonPageFactory(parent=course, title="Mirrors", slug="mirrors")
    lesson.body = parameter_body()
    lesson.save_revision().publish()
    return lesson


@pytest.fixture
async def student(learner):
    client = AsyncClient()
    await client.aforce_login(learner)
    return client


async def post_run(client, page, cell_id: str, code: str, params):
    return await client.post(f"/learn/cells/{page.pk}/run",
                             {"cell_id": cell_id, "code": code, "tab": "t", "params": params},
                             content_type="application/json")  # fmt: skip


@pytest.fixture
def other_lesson(course):
    """Another lesson of the course, whose parameter cell's id is not in param_lesson."""
    lesson = LessonPageFactory(parent=course, title="Slits", slug="slits")
    body = json.loads(cells_body(cells=[{"id": "cell-slit", "code": "print(slit)", "setup_code": "",
                                         "read_only": False}], setup=""))  # fmt: skip
    body[1]["value"]["parameters"] = [SLIT]
    lesson.body = json.dumps(body)
    lesson.save_revision().publish()
    return lesson


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("end_sessions")
async def test_bad_values_are_a_400_and_forged_cells_a_404(student, param_lesson, cell_lesson, other_lesson):
    code = "print(angle)"
    response = await post_run(student, param_lesson, "cell-a", code, {"angle": 11})
    assert response.status_code == 400 and response.json()["message"] == "Grazing angle must be between 1 and 10."
    raw = b'{"cell_id": "cell-a", "code": "print(1)", "params": {"angle": NaN}}'
    response = await student.post(f"/learn/cells/{param_lesson.pk}/run", raw, content_type="application/json")
    assert response.status_code == 400 and "finite" in response.json()["message"]
    response = await post_run(student, param_lesson, "cell-a", code, {"__import__": 1})
    assert response.status_code == 400 and "no parameter __import__" in response.json()["message"]
    response = await post_run(student, param_lesson, "cell-a", code, {"angle": "2.5; import os"})
    assert response.status_code == 400 and "must be a number" in response.json()["message"]
    response = await post_run(student, param_lesson, "cell-b", code, {"angle": 2.5})  # cell-b has none
    assert response.status_code == 400 and "no parameters" in response.json()["message"]
    response = await post_run(student, param_lesson, "cell-forged", code, {"angle": 2.5})
    assert response.status_code == 404
    response = await post_run(student, param_lesson, "cell-slit", code, {"slit": 20})  # other_lesson's cell
    assert response.status_code == 404 and "no such cell" in response.json()["message"]
    # The same cell id on another lesson is that lesson's cell: the declaration is looked up per page.
    response = await post_run(student, cell_lesson, "cell-a", code, {"angle": 2.5})
    assert response.status_code == 400 and "no parameters" in response.json()["message"]
    assert not await OutboxStatement.objects.filter(verb=v.EXECUTED).aexists()  # nothing ran


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("end_sessions")
async def test_a_run_binds_the_values_in_the_students_kernel(student, param_lesson, learner, settings):
    settings.PANLEARN_CELLS_RUNS_PER_MINUTE = 3  # parameter runs count as runs
    code = "print(f'{angle!r} {slit!r} {crystal!r}', angle * slit)"
    status, events = await run_with(student, param_lesson, code, {"angle": 4.5, "crystal": "Ge(220)"})
    assert status == 200
    assert texts(events) == "4.5 100 'Ge(220)' 450.0\n"
    assert dict(events)["result"]["status"] == "ok"
    _status, events = await run_with(student, param_lesson, code, {})
    assert texts(events) == "2.5 100 'Si(111)' 250.0\n"  # the defaults
    # The values live in the kernel like any variable: the next cell sees the last ones bound.
    status, events = await run(student, param_lesson, "cell-b", "print(angle)")
    assert texts(events) == "2.5\n"
    # Each run is recorded as any cell run is; the fourth in the minute is refused.
    executed = OutboxStatement.objects.filter(user=learner, verb=v.EXECUTED)
    assert await executed.acount() == 3
    response = await post_run(student, param_lesson, "cell-a", code, {"angle": 3.0})
    assert response.status_code == 429


async def run_with(client, page, code, params):
    response = await post_run(client, page, "cell-a", code, params)
    if response.status_code != 200:
        return response.status_code, response.json()
    text = b"".join([chunk async for chunk in response.streaming_content]).decode()
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append((lines["event"], json.loads(lines["data"])))
    return 200, events


@pytest.mark.django_db
def test_the_page_shows_labelled_controls_with_the_defaults(client, param_lesson, learner):
    client.force_login(learner)
    html = client.get(param_lesson.url).content.decode()
    assert '<label for="param-cell-a-angle">Grazing angle (mrad)</label>' in html
    assert 'id="param-cell-a-angle" class="code-cell-param-number" min="1.0"' in html
    assert 'step="0.5" value="2.5" disabled' in html
    assert '<option value="Si(111)" selected>Si(111)</option>' in html
    assert '<option value="x&#x27;); import os; (&#x27;">' in html  # escaped like any trainer text
    spec = html.split('class="code-cell-params-spec">', 1)[1].split("</script>", 1)[0]
    assert [p["name"] for p in json.loads(spec)] == ["angle", "slit", "crystal"]

"""Trainer-declared parameters of a code cell: checking a declaration, checking the values a browser sends,
and binding them in the student's kernel.

The browser sends `{name: value}`; nothing it sends is ever written into code. Each value is checked
against the cell's saved declaration (kind, range, step, choices) and the binding is generated from the
*declared* value: a number made by Python from the checked number, or the trainer's own choice string.
"""

import builtins
import decimal
import keyword
import math
import re
import sys

MAX_PARAMETERS = 8
MAX_STEPS = 1000  # positions of a slider: (max - min) / step
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 100
KINDS = ("float", "int", "choice")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")
_STEP_TOLERANCE = 1e-9
# Names the lesson's Python session gives meaning to: Python's builtins, IPython's, and panlearn's helpers.
RESERVED_NAMES = frozenset(dir(builtins)) | {"get_ipython", "In", "Out", "exit", "quit", "display", "np", "plt",
                                             "pd", "h5py", "scipy", "matplotlib", "numpy", "pandas"}  # fmt: skip
RESERVED_PREFIXES = ("panlearn", "_")  # _, _i, _oh, _dh: IPython's history


class ParameterError(ValueError):
    """A value the cell's declaration does not allow; the message is shown to the student."""


def choices_of(raw: str) -> list[str]:
    """The choices as the trainer typed them, one per line."""
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


def declaration_errors(spec: dict) -> dict[str, str]:
    """What is wrong with one parameter's declaration, by field; {} when it is fine."""
    errors: dict[str, str] = {}
    name = spec.get("name") or ""
    if not isinstance(name, str) or not _NAME.match(name):
        errors["name"] = "Use a Python name: letters, digits and _, not starting with a digit, at most 40 characters."
    elif keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in {"True", "False", "None"}:
        errors["name"] = f"“{name}” is a Python keyword; choose another name."
    elif name.startswith("__") and name.endswith("__"):
        errors["name"] = "Names like __this__ are Python's own; choose another name."
    elif name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        errors["name"] = f"“{name}” is a name the lesson's Python session already uses; choose another name."
    kind = spec.get("kind")
    if kind not in KINDS:
        errors["kind"] = "Choose float, int or choice."
        return errors
    if kind == "choice":
        if not isinstance(spec.get("choices", ""), str):
            errors["choices"] = "List the choices, one per line (the first is the default)."
            return errors
        choices = choices_of(spec.get("choices", ""))
        if not choices:
            errors["choices"] = "List the choices, one per line (the first is the default)."
        elif len(choices) > MAX_CHOICES:
            errors["choices"] = f"At most {MAX_CHOICES} choices."
        elif len(set(choices)) != len(choices):
            errors["choices"] = "Each choice must appear once."
        elif any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            errors["choices"] = f"A choice is at most {MAX_CHOICE_LENGTH} characters."
        return errors
    low, high, step, default = (spec.get(key) for key in ("minimum", "maximum", "step", "default"))
    for key, value in (("minimum", low), ("maximum", high), ("step", step), ("default", default)):
        if value is None:
            errors[key] = "Required for a number parameter."
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors[key] = "Must be a number."
        elif not math.isfinite(value):
            errors[key] = "Must be a finite number."
        elif kind == "int" and value != int(value):
            errors[key] = "Must be a whole number for an int parameter."
    if errors:
        return errors
    if step <= 0:
        errors["step"] = "The step must be greater than 0."
    elif high <= low:
        errors["maximum"] = "The maximum must be greater than the minimum."
    elif (high - low) / step > MAX_STEPS:
        errors["step"] = f"That makes over {MAX_STEPS} steps from minimum to maximum; use a larger step."
    elif not low <= default <= high:
        errors["default"] = f"The default must be between the minimum ({low:g}) and the maximum ({high:g})."
    elif not _on_step(default, low, step):
        errors["default"] = f"The default must be the minimum plus a whole number of steps ({step:g})."
    return errors


def _on_step(value: float, low: float, step: float) -> bool:
    """On the grid low + k * step. Whole numbers exactly; floats within what their rounding allows, which
    grows with the size of the values, not only with the number of steps (1000000.001 on a grid of 0.001
    from 1e6 is on it)."""
    if all(isinstance(number, int) for number in (value, low, step)):
        return (value - low) % step == 0
    steps = (value - low) / step
    slack = _STEP_TOLERANCE * max(1.0, abs(steps)) + 4 * sys.float_info.epsilon * max(abs(value), abs(low)) / step
    return abs(steps - round(steps)) <= slack


def _on_grid(value: float, low: float, step: float) -> float:
    """The grid's own value nearest `value` (checked to be on it), written with the decimals of the minimum
    and the step: 0.3, not 0.30000000000000004 nor the 0.30000000001 a browser may send."""
    decimals = max(_decimals(low), _decimals(step))
    return round(low + round((value - low) / step) * step, decimals)


def _decimals(number: float) -> int:
    return max(0, -decimal.Decimal(repr(number)).as_tuple().exponent)


def plan_parameters(declared) -> list[dict]:
    """The cell's declaration as plain data (for the cached run plan and the page's controls).

    Content saved without the admin form's checks (an import, a script) may hold declarations the form
    refuses: those, a name seen before and any beyond MAX_PARAMETERS are left out, not bound."""
    out: list[dict] = []
    for spec in declared or []:
        try:
            spec = dict(spec)
            if len(out) == MAX_PARAMETERS or declaration_errors(spec) or spec["name"] in {p["name"] for p in out}:
                continue
        except (TypeError, ValueError, AttributeError):  # not even a mapping of fields
            continue
        item = {"name": spec["name"], "label": spec.get("label") or spec["name"], "unit": spec.get("unit") or "",
                "kind": spec["kind"]}  # fmt: skip
        if spec["kind"] == "choice":
            choices = choices_of(spec.get("choices", ""))
            item.update(choices=choices, default=choices[0] if choices else "")
        else:
            cast = int if spec["kind"] == "int" else float
            item.update({key: cast(spec[key]) for key in ("minimum", "maximum", "step", "default")})
        out.append(item)
    return out


def validate_values(specs: list[dict], raw) -> dict:
    """The values to bind, by name, in declaration order: each sent value checked, the others their default.

    Raises ParameterError with a message for the student."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParameterError("Send the parameters as an object of name: value.")
    by_name = {spec["name"]: spec for spec in specs}
    unknown = sorted(str(name)[:40] for name in raw if name not in by_name)[:3]
    if unknown:
        raise ParameterError(f"This cell has no parameter {', '.join(unknown)}; reload the page.")
    return {spec["name"]: _checked(spec, raw[spec["name"]]) if spec["name"] in raw else spec["default"]
            for spec in specs}  # fmt: skip


def _checked(spec: dict, value):
    label = spec["label"]
    if spec["kind"] == "choice":
        if not isinstance(value, str) or value not in spec["choices"]:
            raise ParameterError(f"{label}: choose one of {', '.join(spec['choices'])}.")
        return spec["choices"][spec["choices"].index(value)]  # the declared string, not the sent one
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"{label} must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"{label} must be a finite number.")
    low, high, step = spec["minimum"], spec["maximum"], spec["step"]
    if not low <= value <= high:
        raise ParameterError(f"{label} must be between {low:g} and {high:g}.")
    if not _on_step(int(value) if spec["kind"] == "int" and value == int(value) else value, low, step):
        raise ParameterError(f"{label} must be {low:g} plus a whole number of steps of {step:g}.")
    if spec["kind"] == "int":
        if value != int(value):
            raise ParameterError(f"{label} must be a whole number.")
        return int(value)
    return float(_on_grid(float(value), low, step))


def binding_code(values: dict) -> str:
    """One line of assignments, made from checked values only (numbers and the trainer's strings)."""
    for name, value in values.items():
        # Checked already; a second line of defence, since this becomes code.
        assert _NAME.match(name) and not keyword.iskeyword(name), name
        assert type(value) in (int, float, str) and (not isinstance(value, float) or math.isfinite(value)), value
    return "; ".join(f"{name} = {value!r}" for name, value in values.items())


def bind(code: str, values: dict) -> str:
    """The cell's code with the values bound first: tracebacks point one line lower. A cell magic (%%time)
    must stay the cell's first line, so there the binding opens the magic's body."""
    if not values:
        return code
    if code.lstrip().startswith("%%"):
        magic, _, body = code.lstrip().partition("\n")
        return f"{magic}\n{binding_code(values)}\n{body}"
    return f"{binding_code(values)}\n{code}"

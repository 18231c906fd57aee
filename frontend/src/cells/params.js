// A code cell's trainer-declared parameters (fieldset[data-params], rendered by the server with the
// declaration in script.code-cell-params-spec). A slider and a number box per number, a select per choice.
// A valid change re-runs the cell after a short pause; the values go with every run of the cell as
// {"params": {name: value}}, and the server checks them again against the saved declaration. A value the
// declaration does not allow is refused here with a message next to the box, and not sent.

const DEBOUNCE_MS = 300;
const STEP_TOLERANCE = 1e-9;

function fmt(n) {
  return String(Number(n));
}

export class Params {
  constructor(cell, fieldset) {
    this.cell = cell;
    this.el = fieldset;
    this.timers = {}; // pending actions by key: "run", and each parameter's refusal message
    this.values = {};
    this.controls = [];
    const script = fieldset.querySelector("script.code-cell-params-spec");
    const specs = script ? JSON.parse(script.textContent) : [];
    for (const spec of Array.isArray(specs) ? specs : []) {
      const row = Array.from(fieldset.querySelectorAll("[data-param]")).find((r) => r.dataset.param === spec.name);
      if (row) this.wire(spec, row);
    }
  }

  wire(spec, row) {
    const enable = this.cell.lesson.canRun;
    this.values[spec.name] = spec.default;
    if (spec.kind === "choice") {
      const select = row.querySelector("select");
      if (!select) return;
      select.disabled = !enable;
      select.addEventListener("change", () => {
        if (spec.choices.indexOf(select.value) < 0) return;
        this.values[spec.name] = select.value;
        this.changed();
      });
      this.controls.push(select);
      return;
    }
    const range = row.querySelector("input[type=range]");
    const number = row.querySelector("input[type=number]");
    const message = row.querySelector(".code-cell-param-message");
    if (!range || !number) return;
    for (const input of [range, number]) input.disabled = !enable;
    const unit = spec.unit ? ` ${spec.unit}` : "";
    // Said once the student pauses, like a run: "1" on the way to "120" is not worth an alert.
    const refuse = (text) => {
      this.schedule(`message:${spec.name}`, () => {
        number.setAttribute("aria-invalid", "true");
        if (message) message.textContent = text;
      });
    };
    const accept = (value) => {
      this.cancel(`message:${spec.name}`);
      number.removeAttribute("aria-invalid");
      if (message) message.textContent = "";
      this.values[spec.name] = value;
      range.setAttribute("aria-valuetext", `${fmt(value)}${unit}`);
      this.changed();
    };
    range.addEventListener("input", () => {
      number.value = range.value;
      accept(spec.kind === "int" ? Math.round(Number(range.value)) : Number(range.value));
    });
    number.addEventListener("input", () => {
      const raw = number.value.trim();
      const value = Number(raw);
      if (raw === "" || !Number.isFinite(value)) {
        refuse(`${spec.label}: enter a number.`);
      } else if (value < spec.minimum || value > spec.maximum) {
        refuse(`${spec.label} must be between ${fmt(spec.minimum)} and ${fmt(spec.maximum)}${unit}; not run.`);
      } else if (!onStep(value, spec.minimum, spec.step)) {
        refuse(`${spec.label} goes in steps of ${fmt(spec.step)}${unit} from ${fmt(spec.minimum)}; not run.`);
      } else {
        range.value = String(value);
        accept(spec.kind === "int" ? Math.round(value) : value);
      }
    });
    this.controls.push(range, number);
  }

  // A valid value changed: run the cell once the student pauses. The lesson runs one cell at a time and
  // does not queue a cell twice; the values are read when the run starts, so the latest ones win.
  changed() {
    this.schedule("run", () => this.cell.lesson.requestRun(this.cell));
  }

  // After a pause; the same key again restarts the pause (the last change wins).
  schedule(key, action) {
    this.cancel(key);
    this.timers[key] = setTimeout(() => {
      delete this.timers[key];
      action();
    }, DEBOUNCE_MS);
  }

  cancel(key) {
    if (this.timers[key] !== undefined) clearTimeout(this.timers[key]);
    delete this.timers[key];
  }

  current() {
    return Object.assign({}, this.values);
  }
}

// As the server's check (cells/parameters.py): the slack grows with the values' size, not only the steps'.
function onStep(value, low, step) {
  const steps = (value - low) / step;
  const slack =
    STEP_TOLERANCE * Math.max(1, Math.abs(steps)) +
    (4 * Number.EPSILON * Math.max(Math.abs(value), Math.abs(low))) / step;
  return Math.abs(steps - Math.round(steps)) <= slack;
}

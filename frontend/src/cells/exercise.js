// One graded exercise ([data-exercise] inside a [data-cells] container):
// a CodeMirror editor over its pre.exercise-source, Check (public tests, no
// attempt used) and Submit (uses an attempt), then polling of the
// submission until it is graded. Everything the server sends is shown with
// textContent only. The editor does not autosave: submissions are the record.
import { Api, HttpError, NetworkError } from "./api.js";
import { button, h, restoreMarkup, uniqueId } from "./dom.js";
import { createEditor, getCode } from "./editor.js";

const POLL_MS = 500;
const POLL_LIMIT_MS = 120000;
const POLL_MAX_ERRORS = 5;

function intOrNull(value) {
  if (value === undefined || value === null || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

// 2.5 -> "2.5", 1 -> "1", 0.3333 -> "0.33"
function formatPoints(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "?";
  return String(Math.round(value * 100) / 100);
}

function pointsText(points, possible) {
  if (typeof possible !== "number") return `${formatPoints(points)} points`;
  return `${formatPoints(points)} of ${formatPoints(possible)} ${possible === 1 ? "point" : "points"}`;
}

function text(value) {
  return value === undefined || value === null ? "" : String(value);
}

const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

export class Exercise {
  // options: api, canRun, why
  constructor(el, options) {
    this.el = el;
    this.api = options.api;
    this.canRun = options.canRun;
    this.why = options.why;
    this.id = el.dataset.exerciseId;
    this.used = intOrNull(el.dataset.attemptsUsed) || 0;
    this.max = intOrNull(el.dataset.maxAttempts);
    this.name = (el.getAttribute("aria-label") || "Exercise").trim();
    this.busy = false;
    this.added = [];
    this.view = null;
  }

  // The server's result area, or one added (and removed again on unmount).
  resultArea() {
    let result = this.el.querySelector(".exercise-result");
    if (!result) {
      result = h("div", { class: "exercise-result", "aria-live": "polite" });
      this.el.append(result);
      this.added.push(result);
    }
    return result;
  }

  mount() {
    const { el } = this;
    if (!this.id) throw new Error("the exercise has no data-exercise-id");
    const pre = el.querySelector(".exercise-source");
    if (!pre) throw new Error("the exercise has no .exercise-source");
    this.pre = pre;
    this.result = this.resultArea();

    const mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
    const hintId = uniqueId("exercise-hint");
    this.checkButton = button(
      "Check",
      "Check: runs the public tests, uses no attempt",
      () => this.run("check"),
      "exercise-check",
    );
    this.checkButton.title = "Runs the public tests, uses no attempt";
    this.submitButton = button("Submit", "Submit for grading", () => this.submit(), "exercise-submit");
    this.attemptsEl = h("span", { class: "exercise-attempts" });
    this.activityEl = h("span", { class: "exercise-activity", role: "status" });
    const toolbar = h(
      "div",
      { class: "exercise-toolbar", role: "group", "aria-label": this.name },
      this.checkButton,
      this.submitButton,
      this.activityEl,
      h("span", { class: "code-cell-spacer" }),
      this.attemptsEl,
    );
    let why = null;
    if (!this.canRun) {
      const whyId = uniqueId("exercise-why");
      why = h(
        "p",
        { class: "exercise-why cells-why", id: whyId },
        this.why || "Running code is not available here.",
      );
      for (const b of [this.checkButton, this.submitButton]) {
        b.setAttribute("aria-describedby", whyId);
      }
    }
    const hint = h(
      "p",
      { class: "exercise-hint", id: hintId },
      `${mac ? "⌘" : "Ctrl"}+Enter checks your code. Check runs the public tests and uses no attempt; ` +
        "Submit is graded and counts. In the editor Tab indents: press Escape, then Tab, to move on.",
    );
    const host = h("div", { class: "exercise-editor code-cell-editor" });
    const nodes = [toolbar, why, host, hint].filter(Boolean);
    pre.before(...nodes);
    this.added.push(...nodes);

    this.view = createEditor(host, {
      doc: pre.textContent,
      readOnly: false,
      label: `Code of ${this.name.replace(/^Exercise/, "exercise")}`,
      describedBy: hintId,
      onRun: () => this.run("check"),
      onRunAndAdvance: () => this.run("check"),
      onEdit: () => {},
    });
    pre.hidden = true;
    el.classList.add("exercise--live");
    this.renderAttempts();
    this.setButtons();
  }

  payload() {
    return { code: getCode(this.view) };
  }

  rollback(err) {
    restoreMarkup(this, { liveClass: "exercise--live", sourceSelector: ".exercise-source", what: "exercise" });
    if (window.console) console.warn("panlearn exercise failed to mount", this.el, err);
  }

  // ---------------------------------------------------------------- display

  attemptsLeft() {
    return this.max === null ? Infinity : Math.max(0, this.max - this.used);
  }

  renderAttempts() {
    let t;
    if (this.max === null) t = "Unlimited attempts";
    else if (this.used <= 0) t = `0 of ${this.max} attempts used`;
    else if (this.used >= this.max) t = `Attempt ${this.used} of ${this.max} used: no attempts left`;
    else t = `Attempt ${this.used} of ${this.max} used`;
    this.attemptsEl.textContent = t;
    this.el.dataset.attemptsUsed = String(this.used);
  }

  setButtons() {
    const off = !this.canRun || this.busy;
    this.checkButton.disabled = off;
    this.submitButton.disabled = off || this.attemptsLeft() <= 0;
  }

  setActivity(value, kind) {
    this.activityEl.textContent = value || "";
    if (kind) this.activityEl.dataset.kind = kind;
    else delete this.activityEl.dataset.kind;
  }

  updateAttempts(data) {
    if (!data || typeof data !== "object") return;
    if (typeof data.attempts_used === "number") this.used = data.attempts_used;
    if ("max_attempts" in data) {
      this.max = typeof data.max_attempts === "number" ? data.max_attempts : null;
      if (this.max === null) delete this.el.dataset.maxAttempts;
      else this.el.dataset.maxAttempts = String(this.max);
    }
    this.renderAttempts();
  }

  // ---------------------------------------------------------------- actions

  submit() {
    if (this.busy || !this.canRun) return;
    if (this.max !== null) {
      const n = this.used + 1;
      if (!window.confirm(`This uses attempt ${n} of ${this.max}. Submit?`)) return;
    }
    this.run("submit");
  }

  async run(kind) {
    if (this.busy || !this.canRun) return;
    if (kind === "submit" && this.attemptsLeft() <= 0) return;
    this.busy = true;
    this.el.dataset.state = "running";
    this.setButtons();
    this.setActivity(kind === "submit" ? "Submitting…" : "Sending your code…", "running");
    try {
      let answer;
      try {
        answer = await this.api.post(`${encodeURIComponent(this.id)}/${kind}`, this.payload());
      } catch (err) {
        if (err instanceof HttpError) this.updateAttempts(err.data);
        throw err;
      }
      this.updateAttempts(answer);
      const sid = answer && answer.submission;
      if (sid === undefined || sid === null) throw new Error("The server did not say which submission to follow.");
      const final = await this.poll(sid);
      if (!final) {
        this.setActivity(
          "Grading is taking longer than expected. Reload the page later to see the result.",
          "error",
        );
      } else if (final.status === "awaiting") {
        this.renderAwaiting(final);
        this.setActivity("Submitted", "ok");
      } else if (final.status === "failed") {
        this.renderFailed(final);
        this.setActivity("Grading failed", "error");
      } else {
        this.renderResult(final, kind);
        this.setActivity(kind === "submit" ? "Graded" : "Checked", "ok");
      }
    } catch (err) {
      const message =
        err instanceof HttpError || err instanceof NetworkError
          ? err.message
          : `Something went wrong: ${err && err.message ? err.message : err}`;
      this.setActivity(message, "error");
    } finally {
      this.busy = false;
      delete this.el.dataset.state;
      this.setButtons();
    }
  }

  // The final submission (graded or failed), or null after POLL_LIMIT_MS.
  async poll(sid) {
    const started = Date.now();
    let errors = 0;
    const path = `submissions/${encodeURIComponent(sid)}`;
    while (Date.now() - started < POLL_LIMIT_MS) {
      let data;
      try {
        data = await this.api.get(path);
        errors = 0;
      } catch (err) {
        // A lost connection may come back; an error answer will not.
        if (err instanceof NetworkError && ++errors < POLL_MAX_ERRORS) {
          await sleep(POLL_MS);
          continue;
        }
        throw err;
      }
      const status = data && data.status;
      if (status === "graded" || status === "failed" || status === "awaiting") return data;
      if (status === "grading") this.setActivity("Grading…", "running");
      else {
        const pos = data && typeof data.queue_position === "number" ? data.queue_position : null;
        this.setActivity(
          pos !== null ? `Waiting to be graded (number ${pos} in the queue)` : "Waiting to be graded",
          "queued",
        );
      }
      await sleep(POLL_MS);
    }
    return null;
  }

  renderAwaiting(data) {
    const attempt = typeof data.attempt === "number" ? ` (attempt ${data.attempt})` : "";
    this.result.replaceChildren(
      h("p", { class: "exercise-pending" }, `Your answer${attempt} is waiting to be graded by a trainer.`),
    );
  }

  renderFailed(data) {
    const message = text(data && data.message) || "Grading failed.";
    this.result.replaceChildren(h("p", { class: "exercise-failed" }, message));
  }

  renderResult(data, requested) {
    const kind = data.kind || requested;
    const label =
      kind === "submit" ? (typeof data.attempt === "number" ? `Attempt ${data.attempt}` : "Submission") : "Check";
    const score =
      typeof data.points === "number" ? `${label}: ${pointsText(data.points, data.possible)}` : `${label}: done`;
    const allPassed = typeof data.points === "number" && typeof data.possible === "number" && data.points >= data.possible;
    const nodes = [h("p", { class: "exercise-score", "data-passed": allPassed ? "true" : "false" }, score)];
    if (data.message) nodes.push(h("p", { class: "exercise-message" }, text(data.message)));

    const items = Array.isArray(data.feedback) ? data.feedback : [];
    const tests = items.filter((item) => item && item.kind === "test");
    const hidden = items.filter((item) => item && item.kind === "hidden");
    if (tests.length) {
      const list = h("ul", { class: "exercise-tests" });
      for (const item of tests) list.append(this.testItem(item));
      nodes.push(list);
    }
    for (const item of items) {
      if (item && item.kind === "comment") nodes.push(h("p", { class: "exercise-comment" }, `Trainer's comment: ${text(item.message)}`));
      if (item && item.kind === "policy") nodes.push(h("p", { class: "exercise-policy-note" }, text(item.message)));
    }
    for (const item of hidden) {
      let line = text(item.message);
      if (!line) {
        line = `Hidden tests: ${text(item.passed)} of ${text(item.count)} passed`;
        if (typeof item.points === "number") line += ` (${pointsText(item.points, item.possible)})`;
      }
      nodes.push(h("p", { class: "exercise-hidden" }, line));
    }
    this.result.replaceChildren(...nodes);
  }

  testItem(item) {
    const passed = !!item.passed;
    const status = passed ? "passed" : "not passed";
    const extra = !passed && item.status && item.status !== "failed" && item.status !== "passed" ? ` (${text(item.status)})` : "";
    const head = h(
      "div",
      { class: "exercise-test-head" },
      h("span", { class: "exercise-test-mark", "aria-hidden": "true" }, passed ? "✓" : "✗"),
      h("span", { class: "exercise-test-name" }, text(item.name) || "Test"),
      h("span", { class: "exercise-test-status" }, `${status}${extra}`),
      typeof item.points === "number"
        ? h("span", { class: "exercise-test-points" }, pointsText(item.points, item.possible))
        : null,
    );
    const li = h("li", { class: "exercise-test", "data-passed": passed ? "true" : "false" }, head);
    if (item.message) li.append(h("pre", { class: "exercise-test-message" }, text(item.message)));
    if (item.output) li.append(h("pre", { class: "exercise-test-output" }, text(item.output)));
    return li;
  }
}

// A quiz or a free response: the server renders the form controls (radio
// buttons, checkboxes, text inputs, a textarea); this sends them as JSON on
// submit and shows the per-question feedback without reloading the page.
export class FormExercise extends Exercise {
  mount() {
    const { el } = this;
    if (!this.id) throw new Error("the exercise has no data-exercise-id");
    const form = el.querySelector("[data-exercise-form]");
    if (!form) throw new Error("the exercise has no form");
    this.form = form;
    this.result = this.resultArea();
    this.submitButton = form.querySelector("button[type=submit]");
    this.attemptsEl = h("span", { class: "exercise-attempts" });
    this.activityEl = h("span", { class: "exercise-activity", role: "status" });
    const status = h("p", { class: "exercise-toolbar" }, this.activityEl, " ", this.attemptsEl);
    const nodes = [status];
    if (!this.canRun) {
      const whyId = uniqueId("exercise-why");
      nodes.push(h("p", { class: "exercise-why cells-why", id: whyId }, this.why || "Submitting is not available here."));
      this.submitButton.setAttribute("aria-describedby", whyId);
    }
    form.after(...nodes);
    this.added.push(...nodes);
    this.onSubmit = (event) => {
      event.preventDefault();
      this.submit();
    };
    form.addEventListener("submit", this.onSubmit);
    el.classList.add("exercise--live");
    this.renderAttempts();
    this.setButtons();
  }

  rollback(err) {
    if (this.form && this.onSubmit) this.form.removeEventListener("submit", this.onSubmit);
    for (const node of this.added) node.remove();
    this.el.classList.remove("exercise--live");
    if (window.console) console.warn("panlearn exercise failed to mount", this.el, err);
  }

  setButtons() {
    this.submitButton.disabled = !this.canRun || this.busy || this.attemptsLeft() <= 0;
  }

  payload() {
    if (this.el.dataset.kind === "free_response") {
      return { text: this.form.querySelector("[data-answer]").value };
    }
    const answers = {};
    for (const fieldset of this.form.querySelectorAll("[data-question-id]")) {
      const id = fieldset.dataset.questionId;
      const kind = fieldset.dataset.questionKind;
      if (kind === "multiple") {
        answers[id] = [...fieldset.querySelectorAll("input:checked")].map((input) => input.value);
      } else if (kind === "single") {
        const chosen = fieldset.querySelector("input:checked");
        answers[id] = chosen ? chosen.value : "";
      } else {
        const input = fieldset.querySelector("input");
        answers[id] = input ? input.value : "";
      }
    }
    return { answers };
  }

  submit() {
    if (this.busy || !this.canRun) return;
    if (this.el.dataset.kind === "free_response" && !this.payload().text.trim()) {
      this.setActivity("Write your answer before submitting.", "error");
      this.form.querySelector("[data-answer]").focus();
      return;
    }
    // An empty quiz is not an attempt (the server refuses it too): say so before asking to spend one.
    if (this.el.dataset.kind === "quiz" && !answeredAny(this.payload().answers)) {
      this.setActivity("Answer at least one question before submitting: no attempt was used.", "error");
      const first = this.form.querySelector("input");
      if (first) first.focus();
      return;
    }
    super.submit();
  }
}

function answeredAny(answers) {
  return Object.values(answers).some((answer) =>
    Array.isArray(answer) ? answer.some((item) => item.trim()) : Boolean(answer.trim()),
  );
}

// Mount every [data-exercise] of one [data-cells] container.
export function mountExercises(container) {
  const canRun = container.dataset.canRun !== "false";
  const why = container.dataset.why || "";
  const mounted = [];
  for (const el of container.querySelectorAll("[data-exercise]")) {
    if (el.dataset.exerciseMounted) continue;
    el.dataset.exerciseMounted = "true";
    const Kind = el.dataset.kind === "quiz" || el.dataset.kind === "free_response" ? FormExercise : Exercise;
    const exercise = new Kind(el, { api: new Api(container, el.dataset.baseUrl), canRun, why });
    try {
      exercise.mount();
      mounted.push(exercise);
    } catch (err) {
      exercise.rollback(err);
    }
  }
  return mounted;
}

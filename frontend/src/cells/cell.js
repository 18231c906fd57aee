// One code cell: editor, toolbar, output, autosave and history.
import { createEditor, getCode, setCode } from "./editor.js";
import { OutputArea } from "./output.js";
import { Params } from "./params.js";
import { readEvents } from "./sse.js";
import { HttpError, NetworkError, messageOf } from "./api.js";
import { button, formatDuration, formatTime, h, lowerFirst, restoreMarkup, uniqueId } from "./dom.js";

const SAVE_DELAY_MS = 800;

export const DROPPED = "The connection dropped; the kernel keeps its state. Run the cell again.";
const STALE_TEXT = "stale: ran in an earlier kernel";
// Kernel states that only a run brings about.
const RUN_STATES = new Set(["starting", "busy", "restarting"]);

function firstLine(code) {
  const line = code.split("\n").find((l) => l.trim() !== "") || "";
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

export class Cell {
  constructor(lesson, el, index) {
    this.lesson = lesson;
    this.el = el;
    this.index = index;
    this.id = el.dataset.cellId;
    this.readOnly = el.dataset.readonly === "true";
    this.name = el.getAttribute("aria-label") || `Code cell ${index + 1}`;
    this.added = []; // nodes this script inserted, removed again on failure
    this.view = null;

    // Running
    this.queued = false;
    this.running = false; // a run started by this tab
    this.remoteRun = false; // a run started by another tab, shown here
    this.abort = null;
    this.lastGeneration = null;

    // Saving
    this.version = null; // the server's version of savedCode (base_version)
    this.savedCode = "";
    this.savedAt = null;
    this.saveTimer = null;
    this.saving = false;
    this.saveAgain = false;
    this.saveFailed = false;
    this.conflict = null; // {code, version} of the other tab
  }

  // ---------------------------------------------------------------- mount

  mount() {
    const { el, lesson } = this;
    if (!this.id) throw new Error("the cell has no data-cell-id");
    const pre = el.querySelector(".code-cell-source");
    if (!pre) throw new Error("the cell has no .code-cell-source");
    this.pre = pre;
    const code = pre.textContent;
    this.savedCode = code;
    this.starter = null;
    const starter = el.querySelector("script.code-cell-starter");
    if (starter) {
      const value = JSON.parse(starter.textContent);
      if (typeof value === "string") this.starter = value;
    }

    let out = el.querySelector(".code-cell-output");
    if (!out) {
      out = h("div", { class: "code-cell-output", "aria-live": "polite" });
      el.append(out);
      this.added.push(out);
    }
    this.output = new OutputArea(out);
    this.hasRun = false;

    const lower = lowerFirst(this.name);
    this.countEl = h("span", { class: "code-cell-count", title: "Execution count" }, "[ ]");
    this.runButton = button("Run", `Run ${lower}`, () => lesson.requestRun(this), "code-cell-run");
    if (!lesson.canRun) {
      this.runButton.disabled = true;
      if (lesson.whyId) this.runButton.setAttribute("aria-describedby", lesson.whyId);
    }
    const editable = !this.readOnly;
    this.resetButton =
      editable && this.starter !== null
        ? button("Reset", `Reset ${lower} to the starter code`, () => this.reset())
        : null;
    this.historyId = uniqueId("code-cell-history");
    this.historyButton =
      editable && lesson.store
        ? button("History", `History of ${lower}`, () => this.toggleHistory())
        : null;
    if (this.historyButton) {
      this.historyButton.setAttribute("aria-expanded", "false");
      this.historyButton.setAttribute("aria-controls", this.historyId);
    }
    this.keepButton = lesson.canKeepExamples
      ? button("Keep as example output", `Keep this run's output as the example of ${lower}`, () =>
          this.keepExample(),
        )
      : null;
    this.activityEl = h("span", { class: "code-cell-activity" });
    this.staleEl = h("span", { class: "code-cell-stale-label", hidden: true }, STALE_TEXT);
    this.retryButton = button("Retry saving", `Retry saving ${lower}`, () => this.save(), "code-cell-retry");
    this.retryButton.hidden = true;
    this.saveEl = h("span", { class: "code-cell-save" });
    const toolbar = h(
      "div",
      { class: "code-cell-toolbar", role: "group", "aria-label": this.name },
      this.countEl,
      this.runButton,
      this.resetButton,
      this.historyButton,
      this.keepButton,
      this.readOnly ? h("span", { class: "code-cell-readonly" }, "read-only") : null,
      this.activityEl,
      this.staleEl,
      h("span", { class: "code-cell-spacer" }),
      this.saveEl,
      this.retryButton,
    );

    this.conflictText = h("span", {}, "This cell was changed in another tab.");
    this.conflictEl = h(
      "div",
      { class: "code-cell-conflict", hidden: true },
      this.conflictText,
      " ",
      button("Use theirs", "Use theirs: load the other tab's code", () => this.useTheirs()),
      " ",
      button("Keep mine", "Keep mine: save this tab's code", () => this.keepMine()),
    );
    this.historyEl = h("div", {
      class: "code-cell-history",
      id: this.historyId,
      role: "region",
      "aria-label": `History of ${lower}`,
      hidden: true,
    });
    this.historyEl.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.closeHistory(true);
      }
    });

    const host = h("div", { class: "code-cell-editor" });
    const nodes = [toolbar, host, this.conflictEl, this.historyEl];
    pre.before(...nodes);
    this.added.push(...nodes);

    this.view = createEditor(host, {
      doc: code,
      readOnly: this.readOnly,
      label: this.readOnly ? `Code of ${lower} (read-only)` : `Code of ${lower}`,
      describedBy: lesson.hintId,
      onRun: () => lesson.requestRun(this),
      onRunAndAdvance: () => lesson.requestRun(this, { advance: true }),
      onEdit: () => this.onEdit(),
    });
    pre.hidden = true;
    el.classList.add("code-cell--live");
    const fieldset = el.querySelector("fieldset[data-params]");
    this.params = fieldset ? new Params(this, fieldset) : null;
  }

  // Undo mount() after an error: the server markup comes back as it was,
  // with one line saying the cell is not interactive.
  rollback(err) {
    restoreMarkup(this, { liveClass: "code-cell--live", sourceSelector: ".code-cell-source", what: "code cell" });
    if (window.console) console.warn("panlearn code cell failed to mount", this.el, err);
  }

  focus() {
    if (!this.view) return;
    this.view.focus();
    this.view.dom.scrollIntoView({ block: "nearest" });
  }

  code() {
    return getCode(this.view);
  }

  // ---------------------------------------------------------------- display

  setCount(value) {
    this.countEl.textContent = typeof value === "number" ? `[${value}]` : value === "*" ? "[*]" : "[ ]";
  }

  setActivity(text, kind) {
    this.activityEl.textContent = text || "";
    if (kind) this.activityEl.dataset.kind = kind;
    else delete this.activityEl.dataset.kind;
  }

  setQueued(queued, why) {
    this.queued = queued;
    if (queued) this.setActivity("Queued", "queued");
    else if (!this.running) this.setActivity(why || "", why ? "cancelled" : null);
  }

  setStale(stale) {
    if (stale) this.el.dataset.stale = "true";
    else delete this.el.dataset.stale;
    this.staleEl.hidden = !stale;
  }

  // Clear the output (and the example output) when a run starts.
  startOutput(activity) {
    this.output.clear();
    this.hasRun = true;
    this.setCount("*");
    this.setActivity(activity, "running");
    this.el.dataset.running = "true";
  }

  // ---------------------------------------------------------------- running

  // A run started by this tab (the lesson's queue calls this). Resolves to
  // "ok", "error", "aborted", "failed", "dropped", "refused" or "cancelled".
  async run(code) {
    const { lesson } = this;
    this.queued = false;
    this.running = true;
    this.waiting = false;
    this.startOutput("Running…");
    lesson.announce(`Running ${lowerFirst(this.name)}.`);
    const state = { result: null, failed: null };
    let outcome;
    this.abort = new AbortController();
    try {
      const response = await lesson.api.request(
        "POST",
        "run",
        this.params
          ? { cell_id: this.id, code, tab: lesson.tab, params: this.params.current() }
          : { cell_id: this.id, code, tab: lesson.tab },
        { signal: this.abort.signal, accept: "text/event-stream" },
      );
      if (!response.ok) {
        outcome = "refused";
        const { data } = await messageOf(response);
        const message = data && typeof data.message === "string" && data.message ? data.message : "";
        let text;
        if (response.status === 429) {
          text = message || "You are running code too often. Wait a moment, then run the cell again.";
        } else if (response.status === 403) {
          text = message || "You may not run code in this lesson.";
        } else {
          text = message || `The server answered ${response.status}; the cell did not run.`;
        }
        this.output.error(text);
        this.setActivity(response.status === 429 ? "Rate limited" : "Not run", "error");
        lesson.announce(`${this.name} did not run: ${text}`);
      } else {
        await readEvents(response, (name, raw) => {
          let data;
          try {
            data = JSON.parse(raw);
          } catch (err) {
            return;
          }
          if (data && typeof data === "object") this.onRunEvent(name, data, state, true);
        });
      }
    } catch (err) {
      if (err && err.name === "AbortError") {
        outcome = "cancelled";
        this.output.notice("Stopped waiting for a kernel; the cell did not run.");
        this.setActivity("Cancelled", "cancelled");
      } else if (err instanceof NetworkError) {
        outcome = "failed";
        this.output.error(err.message);
        this.setActivity("Not run", "error");
        lesson.announce(`${this.name} did not run: ${err.message}`);
      }
      // Any other error while reading is a dropped stream, handled below.
    } finally {
      this.running = false;
      this.abort = null;
      delete this.el.dataset.running;
      lesson.setQueuePosition(null);
    }
    if (!outcome) {
      if (state.result) outcome = state.result.status === "ok" ? "ok" : state.result.status || "error";
      else if (state.failed) outcome = "failed";
      else {
        outcome = "dropped";
        this.output.error(DROPPED);
        this.setActivity("Connection dropped", "error");
        lesson.announce(`${this.name}: ${DROPPED}`);
      }
    }
    if (outcome !== "ok" && outcome !== "cancelled" && this.countEl.textContent === "[*]") this.setCount(null);
    if (outcome === "cancelled") this.setCount(null);
    return outcome;
  }

  // Stop waiting in the server's queue (Interrupt while queued).
  cancelWaiting() {
    if (this.abort && this.waiting) this.abort.abort();
  }

  // Events of a run, from this tab's POST run or another tab's (events
  // stream). `local`: this tab's run.
  onRunEvent(name, data, state, local) {
    const { lesson } = this;
    switch (name) {
      case "queue": {
        const position = Number(data.position);
        this.waiting = true;
        this.setActivity(
          local
            ? `Waiting for a free kernel: number ${position}`
            : `Waiting in another tab: number ${position}`,
          "queued",
        );
        if (local) lesson.setQueuePosition(position);
        break;
      }
      case "status":
        this.waiting = false;
        lesson.onStatus(data, local);
        if (data.state === "busy") this.setActivity(local ? "Running…" : "Running in another tab", "running");
        else if (data.state === "starting") this.setActivity("Starting a kernel…", "running");
        else if (data.state === "restarting") this.setActivity("Restarting the kernel…", "running");
        break;
      case "output":
        this.output.part(data.part);
        break;
      case "notice":
        this.output.notice(String(data.text || ""));
        if (data.stale) lesson.markAllStale();
        break;
      case "result":
        state.result = data;
        this.showResult(data, local);
        break;
      case "failed": {
        state.failed = data;
        const message = String(data.message || "The run could not happen.");
        this.output.error(message);
        this.setActivity("Not run", "error");
        this.setCount(null);
        lesson.announce(`${this.name} did not run: ${message}`);
        break;
      }
      default:
        break;
    }
  }

  showResult(data, local) {
    const { lesson } = this;
    this.waiting = false;
    this.setCount(typeof data.execution_count === "number" ? data.execution_count : null);
    if (typeof data.generation === "number") {
      this.lastGeneration = data.generation;
      this.setStale(false);
      lesson.setGeneration(data.generation);
    } else {
      this.lastGeneration = lesson.generation;
      this.setStale(false);
    }
    const status = data.status;
    const message = typeof data.message === "string" ? data.message : "";
    if (status !== "ok" && message) this.output.error(message);
    const where = local ? "" : " (in another tab)";
    if (status === "ok") {
      const took = formatDuration(data.duration_ms);
      this.setActivity(took ? `Done in ${took}${where}` : `Done${where}`, "ok");
      lesson.announce(`${this.name} finished${where}.`);
    } else if (status === "aborted") {
      this.setActivity(`Aborted${where}`, "error");
      lesson.announce(`${this.name} was aborted${where}.${message ? ` ${message}` : ""}`);
    } else {
      this.setActivity(`Error${where}`, "error");
      lesson.announce(`${this.name} stopped with an error${where}.${message ? ` ${message}` : ""}`);
    }
    lesson.onRunFinished();
  }

  // An event of another tab's run of this cell.
  onRemoteEvent(name, data) {
    if (this.running) {
      // This tab is running the cell too: keep its own output.
      if (name === "status") this.lesson.onStatus(data, false);
      else if (name === "result" && typeof data.generation === "number") {
        this.lesson.setGeneration(data.generation);
      }
      return;
    }
    if (!this.remoteRun) {
      // A state that starts no run (the "idle" that follows every result) is the kernel's, not a new
      // run's: starting one here cleared the output just shown and left the cell "running" for good.
      if (name === "status" && !RUN_STATES.has(data.state)) {
        this.lesson.onStatus(data, false);
        return;
      }
      this.remoteRun = true;
      this.startOutput("Running in another tab");
    }
    this.onRunEvent(name, data, {}, false);
    if (name === "result" || name === "failed") {
      this.remoteRun = false;
      this.waiting = false;
      delete this.el.dataset.running;
    }
  }

  // ---------------------------------------------------------------- saving

  hasLocalEdits() {
    return this.code() !== this.savedCode || this.saving || this.saveTimer !== null;
  }

  onEdit() {
    if (!this.lesson.store || this.readOnly) return;
    this.saveFailed = false;
    if (this.conflict) return; // saved once the student chooses
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, SAVE_DELAY_MS);
    this.refreshSave();
  }

  async save({ keepalive = false } = {}) {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const { lesson } = this;
    if (!lesson.store || this.readOnly || this.conflict) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    this.saving = true;
    this.refreshSave();
    try {
      // Learn the current version first, or the first save would conflict.
      if (!keepalive) await lesson.draftsLoaded;
      if (this.conflict) return;
      const code = this.code();
      if (code === this.savedCode) return;
      try {
        const data = await lesson.api.post(
          `drafts/${encodeURIComponent(this.id)}`,
          { code, base_version: this.version, tab: lesson.tab },
          { keepalive },
        );
        this.version = data.version;
        this.savedCode = code;
        this.savedAt = data.saved_at;
        this.saveFailed = false;
      } catch (err) {
        if (err instanceof HttpError && err.status === 409 && err.data && typeof err.data.code === "string") {
          this.showConflict(err.data.code, err.data.version);
        } else {
          this.saveFailed = true;
          this.saveError = err.message;
          lesson.announce(`${this.name} was not saved: ${err.message}`);
        }
      }
    } finally {
      this.saving = false;
      const again = this.saveAgain;
      this.saveAgain = false;
      this.refreshSave();
      if (again && !this.saveFailed && !this.conflict) this.save();
    }
  }

  refreshSave() {
    if (!this.lesson.store || this.readOnly) return;
    let text = "";
    let state = "";
    if (this.conflict) state = "conflict";
    else if (this.saving || this.saveTimer !== null) {
      text = "Saving…";
      state = "saving";
    } else if (this.saveFailed) {
      text = "Not saved";
      state = "failed";
    } else if (this.version !== null && this.code() === this.savedCode) {
      text = "Saved";
      state = "saved";
    }
    this.saveEl.textContent = text;
    this.saveEl.dataset.state = state;
    this.saveEl.title =
      state === "saved" && this.savedAt
        ? `Saved ${formatTime(this.savedAt)}`
        : state === "failed"
          ? this.saveError || ""
          : "";
    this.retryButton.hidden = state !== "failed";
  }

  showConflict(code, version) {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const first = !this.conflict;
    this.conflict = { code, version };
    this.conflictEl.hidden = false;
    this.refreshSave();
    if (first) this.lesson.announce(`${this.name} was changed in another tab. Use theirs or keep mine?`);
  }

  hideConflict() {
    this.conflict = null;
    this.conflictEl.hidden = true;
  }

  useTheirs() {
    if (!this.conflict) return;
    const { code, version } = this.conflict;
    this.hideConflict();
    setCode(this.view, code, { elsewhere: true });
    this.version = version;
    this.savedCode = code;
    this.saveFailed = false;
    this.refreshSave();
    this.view.focus();
  }

  keepMine() {
    if (!this.conflict) return;
    const { code, version } = this.conflict;
    this.hideConflict();
    this.version = version;
    this.savedCode = code;
    this.save();
    this.view.focus();
  }

  // A draft from the server: GET drafts (load, reconnect) or another tab's
  // `draft` event. An editor without local edits takes it; an edited one
  // asks.
  applyDraft(draft) {
    if (this.readOnly || !draft || typeof draft.code !== "string") return;
    const { code, version } = draft;
    if (this.version !== null && typeof version === "number" && version <= this.version) return;
    if (this.conflict) {
      if (typeof version !== "number" || version > this.conflict.version) this.conflict = { code, version };
      return;
    }
    if (!this.saving && code === this.code()) {
      if (this.saveTimer !== null) {
        clearTimeout(this.saveTimer);
        this.saveTimer = null;
      }
      this.version = version;
      this.savedCode = code;
    } else if (code === this.savedCode) {
      this.version = version;
    } else if (!this.hasLocalEdits()) {
      setCode(this.view, code, { elsewhere: true });
      this.version = version;
      this.savedCode = code;
      if (draft.saved_at) this.savedAt = draft.saved_at;
    } else {
      this.showConflict(code, version);
      return;
    }
    if (draft.saved_at) this.savedAt = draft.saved_at;
    this.refreshSave();
  }

  // ---------------------------------------------------------------- reset, history

  // Editors: the server keeps what this cell's last run showed as its example output, in a new
  // draft revision of the lesson (published with the lesson).
  async keepExample() {
    try {
      await this.lesson.api.post(`examples/${encodeURIComponent(this.id)}`, {});
      this.activityEl.textContent = "Kept as the example output: publish the lesson to show it.";
    } catch (err) {
      this.activityEl.textContent = err && err.message ? err.message : "Could not keep the example output.";
    }
  }

  reset() {
    if (this.starter === null) return;
    const ok = window.confirm(
      `Reset ${lowerFirst(this.name)} to the starter code? Your code in this cell is replaced` +
        (this.lesson.store ? " (earlier versions stay in History)." : "."),
    );
    if (!ok) return;
    setCode(this.view, this.starter);
    this.view.focus();
    this.lesson.announce(`${this.name} reset to the starter code.`);
  }

  closeHistory(returnFocus) {
    this.historyEl.hidden = true;
    this.historyEl.textContent = "";
    this.historyButton.setAttribute("aria-expanded", "false");
    if (returnFocus) this.historyButton.focus();
  }

  async toggleHistory() {
    if (!this.historyEl.hidden) {
      this.closeHistory(false);
      return;
    }
    const panel = this.historyEl;
    const status = h("p", { class: "code-cell-history-status" }, "Loading earlier versions…");
    const close = button("Close", "Close the history", () => this.closeHistory(true));
    panel.replaceChildren(h("p", { class: "code-cell-history-title" }, "Earlier versions"), status, close);
    panel.hidden = false;
    this.historyButton.setAttribute("aria-expanded", "true");
    let versions;
    try {
      const data = await this.lesson.api.get(`drafts/${encodeURIComponent(this.id)}/history`);
      versions = Array.isArray(data.versions) ? data.versions : [];
    } catch (err) {
      status.textContent = `The history could not be loaded: ${err.message}`;
      return;
    }
    if (panel.hidden) return;
    if (!versions.length) {
      status.textContent = "No saved versions yet.";
      return;
    }
    status.textContent = "Choose a version to load it into the editor (it is saved as the newest version).";
    const list = h("ol", { class: "code-cell-history-list" });
    for (const v of versions) {
      if (!v || typeof v.code !== "string") continue;
      const when = formatTime(v.saved_at);
      const choose = h(
        "button",
        {
          type: "button",
          class: "cells-button code-cell-history-item",
          onclick: () => this.restore(v),
        },
        h("span", { class: "code-cell-history-version" }, `Version ${v.version}`),
        " ",
        h("time", { datetime: v.saved_at }, when),
        " ",
        h("code", { class: "code-cell-history-preview" }, firstLine(v.code)),
      );
      list.append(h("li", {}, choose));
    }
    status.after(list);
    const firstButton = list.querySelector("button");
    if (firstButton) firstButton.focus();
  }

  restore(v) {
    this.closeHistory(false);
    setCode(this.view, v.code);
    this.save();
    this.view.focus();
    this.lesson.announce(`Version ${v.version} loaded into ${lowerFirst(this.name)}.`);
  }
}

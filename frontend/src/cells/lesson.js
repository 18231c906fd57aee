// The code cells of one lesson ([data-cells]): the kernel bar, the run
// queue, stale marking, and the cross-tab events stream.
import { Api } from "./api.js";
import { Cell } from "./cell.js";
import { button, h, randomId, uniqueId } from "./dom.js";

const STATE_TEXT = {
  none: "Kernel: not started (it starts when you run a cell)",
  starting: "Kernel: starting",
  idle: "Kernel: idle",
  busy: "Kernel: busy",
  restarting: "Kernel: restarting",
  dead: "Kernel: dead (run a cell to start a new one)",
  unknown: "Kernel: status unknown",
};

const RECONNECT_MIN_MS = 2000;
const RECONNECT_MAX_MS = 60000;

export class Lesson {
  constructor(container) {
    this.el = container;
    this.api = new Api(container);
    this.store = container.dataset.store === "true";
    this.canRun = container.dataset.canRun !== "false";
    this.why = container.dataset.why || "";
    // Course editors (in preview or on the live page) may keep a run's output as the example.
    this.canKeepExamples = container.dataset.canKeepExamples === "true";
    this.tab = randomId();
    this.cells = [];
    this.byId = new Map();
    this.generation = null;
    this.state = "none";
    this.queuePosition = null;
    this.queue = []; // [{cell, code, batch}]
    this.active = null;
    this.draftsLoaded = Promise.resolve();
    this.events = null;
    this.eventsBroken = false;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  mount() {
    this.buildBar();
    const elements = this.el.querySelectorAll("[data-code-cell]");
    elements.forEach((el, index) => {
      const cell = new Cell(this, el, index);
      try {
        cell.mount();
      } catch (err) {
        cell.rollback(err);
        return;
      }
      this.cells.push(cell);
      this.byId.set(cell.id, cell);
    });
    if (!this.cells.length) {
      this.bar.remove();
      return;
    }
    if (this.canRun) this.refreshStatus();
    if (this.store) {
      this.draftsLoaded = this.loadDrafts();
      this.openEvents();
      const flush = () => {
        for (const cell of this.cells) {
          if (cell.saveTimer !== null) cell.save({ keepalive: true });
        }
      };
      window.addEventListener("pagehide", flush);
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "hidden") flush();
      });
    }
  }

  // ---------------------------------------------------------------- the bar

  buildBar() {
    const mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
    this.hintId = uniqueId("cells-hint");
    this.runAllButton = button("Run all", "Run all cells", () => this.runAll(), "cells-run-all");
    this.interruptButton = button("Interrupt", "Interrupt the kernel", () => this.interrupt());
    this.restartButton = button("Restart kernel", null, () => this.restart());
    this.kernelText = h("span", { class: "cells-kernel-text" });
    this.kernelEl = h(
      "p",
      { class: "cells-kernel", role: "status" },
      h("span", { class: "cells-kernel-dot", "aria-hidden": "true" }),
      this.kernelText,
    );
    this.announcer = h("div", { class: "cells-visually-hidden", "aria-live": "polite" });
    const hint = h(
      "p",
      { class: "cells-hint", id: this.hintId },
      `Shift+Enter runs a cell and moves to the next one; ${mac ? "⌘" : "Ctrl"}+Enter runs it. ` +
        "In the editor Tab indents: press Escape, then Tab, to move on.",
    );
    let why = null;
    if (!this.canRun) {
      this.whyId = uniqueId("cells-why");
      why = h(
        "p",
        { class: "cells-why", id: this.whyId },
        this.why || "Running code is not available here.",
      );
      for (const b of [this.runAllButton, this.interruptButton, this.restartButton]) {
        b.disabled = true;
        b.setAttribute("aria-describedby", this.whyId);
      }
      this.kernelEl.hidden = true;
    }
    this.bar = h(
      "div",
      { class: "cells-bar", role: "region", "aria-label": "Code cells" },
      h(
        "div",
        { class: "cells-bar-row" },
        this.runAllButton,
        this.interruptButton,
        this.restartButton,
        this.kernelEl,
      ),
      why,
      hint,
      this.announcer,
    );
    this.renderKernel();
    this.el.prepend(this.bar);
  }

  renderKernel() {
    let state = this.state in STATE_TEXT ? this.state : "unknown";
    let text = STATE_TEXT[state];
    if (this.queuePosition !== null) {
      state = "queued";
      text = `Waiting for a free kernel: you are number ${this.queuePosition}`;
    }
    this.kernelEl.dataset.state = state;
    if (this.kernelText.textContent !== text) this.kernelText.textContent = text;
  }

  announce(text) {
    // Clear first so that the same sentence twice is read twice.
    this.announcer.textContent = "";
    window.setTimeout(() => {
      this.announcer.textContent = text;
    }, 50);
  }

  // ---------------------------------------------------------------- kernel state

  setState(state) {
    if (typeof state !== "string") return;
    this.state = state;
    this.renderKernel();
  }

  setQueuePosition(position) {
    this.queuePosition = typeof position === "number" && Number.isFinite(position) ? position : null;
    this.renderKernel();
  }

  onStatus(data, local) {
    if (local) this.queuePosition = null;
    this.setState(data.state);
    this.setGeneration(data.generation);
  }

  // A run ended: the kernel is free again unless something else said so.
  onRunFinished() {
    if (this.state === "busy") this.setState("idle");
  }

  setGeneration(generation) {
    if (typeof generation !== "number") return;
    if (this.generation !== null && generation <= this.generation) return;
    this.generation = generation;
    for (const cell of this.cells) {
      if (cell.lastGeneration !== null && cell.lastGeneration < generation) cell.setStale(true);
    }
  }

  // A notice with `stale`: everything run so far ran in an earlier kernel.
  markAllStale() {
    for (const cell of this.cells) {
      if (cell.lastGeneration !== null) cell.setStale(true);
    }
  }

  async refreshStatus() {
    try {
      const data = await this.api.get("status");
      // A run in progress reports its own states; don't overwrite them.
      if (!this.active) this.setState(data.state);
      this.setGeneration(data.generation);
    } catch (err) {
      if (!this.active) this.setState("unknown");
    }
  }

  async loadDrafts() {
    let data;
    try {
      data = await this.api.get("drafts");
    } catch (err) {
      return;
    }
    const drafts = (data && data.cells) || {};
    for (const cell of this.cells) {
      if (Object.prototype.hasOwnProperty.call(drafts, cell.id)) cell.applyDraft(drafts[cell.id]);
    }
  }

  // ---------------------------------------------------------------- the run queue

  requestRun(cell, { advance = false } = {}) {
    if (this.canRun) this.enqueue(cell, null);
    else this.announce(this.why || "Running code is not available here.");
    if (advance) {
      const next = this.cells[this.cells.indexOf(cell) + 1];
      if (next) next.focus();
    }
  }

  enqueue(cell, batch) {
    if (this.queue.some((job) => job.cell === cell)) return; // already waiting
    this.queue.push({ cell, code: cell.code(), batch });
    cell.setQueued(true);
    this.pump();
  }

  runAll() {
    if (!this.canRun) return;
    const batch = {};
    for (const cell of this.cells) this.enqueue(cell, batch);
  }

  async pump() {
    if (this.active) return;
    const job = this.queue.shift();
    if (!job) return;
    this.active = job;
    let outcome = "error";
    try {
      outcome = await job.cell.run(job.code);
    } catch (err) {
      if (window.console) console.warn("panlearn code cell run failed", err);
    } finally {
      this.active = null;
    }
    if (outcome !== "ok" && job.batch) {
      // Run all stops at the first cell that did not succeed.
      this.cancelPending((j) => j.batch === job.batch, "Not run: an earlier cell failed");
    }
    this.pump();
  }

  cancelPending(match, why) {
    const cancelled = this.queue.filter(match);
    this.queue = this.queue.filter((j) => !match(j));
    for (const job of cancelled) job.cell.setQueued(false, why);
    return cancelled.length;
  }

  async interrupt() {
    const cancelled = this.cancelPending(() => true, "Cancelled");
    if (this.active) this.active.cell.cancelWaiting();
    try {
      const data = await this.api.post("interrupt", {});
      if (data && data.state) this.setState(data.state);
      this.announce(
        `Interrupt sent to the kernel.${cancelled ? ` ${cancelled} queued run${cancelled > 1 ? "s" : ""} cancelled.` : ""}`,
      );
    } catch (err) {
      this.announce(`The interrupt failed: ${err.message}`);
    }
  }

  async restart() {
    const ok = window.confirm(
      "Restart the kernel? Every variable and import is lost; your code stays. " +
        "Run the cells again afterwards.",
    );
    if (!ok) return;
    this.cancelPending(() => true, "Cancelled");
    if (this.active) this.active.cell.cancelWaiting();
    this.setState("restarting");
    try {
      const data = await this.api.post("restart", {});
      this.setState(data.state || "idle");
      this.setGeneration(data.generation);
      this.announce("The kernel restarted. Cells run before are stale.");
    } catch (err) {
      this.announce(`The restart failed: ${err.message}`);
      this.refreshStatus();
    }
  }

  // ---------------------------------------------------------------- other tabs

  openEvents() {
    if (typeof window.EventSource !== "function") return;
    const source = new EventSource(this.api.url(`events?tab=${encodeURIComponent(this.tab)}`));
    this.events = source;
    for (const name of ["queue", "status", "output", "notice", "result", "failed", "draft"]) {
      source.addEventListener(name, (event) => this.onTabEvent(name, event.data));
    }
    source.onopen = () => {
      this.reconnectDelay = RECONNECT_MIN_MS;
      if (this.eventsBroken) {
        this.eventsBroken = false;
        // Whatever happened while we were away.
        if (this.canRun) this.refreshStatus();
        this.draftsLoaded = this.loadDrafts();
      }
    };
    source.onerror = () => {
      this.eventsBroken = true;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an error answer): try again later ourselves.
        source.close();
        const delay = this.reconnectDelay;
        this.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
        window.setTimeout(() => {
          if (this.events === source) this.openEvents();
        }, delay);
      }
    };
  }

  onTabEvent(name, raw) {
    let data;
    try {
      data = JSON.parse(raw);
    } catch (err) {
      return;
    }
    if (!data || typeof data !== "object") return;
    const cell = this.byId.get(data.cell_id);
    if (name === "draft") {
      if (cell) cell.applyDraft(data);
      return;
    }
    if (!cell) {
      if (name === "status") this.onStatus(data, false);
      else if (name === "result") this.setGeneration(data.generation);
      else if (name === "notice" && data.stale) this.markAllStale();
      return;
    }
    cell.onRemoteEvent(name, data);
  }
}

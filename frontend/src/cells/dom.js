// Tiny DOM helpers.

// h("button", { type: "button", class: "x", onclick: fn }, "text", child…)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value);
      } else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

// A real <button>; `label` is its accessible name when it should say more
// than the visible text (it always starts with that text).
export function button(text, label, onClick, className) {
  return h(
    "button",
    {
      type: "button",
      class: className ? `cells-button ${className}` : "cells-button",
      "aria-label": label && label !== text ? label : null,
      onclick: onClick,
    },
    text,
  );
}

export function randomId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let counter = 0;
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// "Code cell 2" -> "code cell 2", for names like "Run code cell 2".
export function lowerFirst(text) {
  return text ? text[0].toLowerCase() + text.slice(1) : text;
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso || "");
  try {
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  } catch (err) {
    return date.toLocaleString();
  }
}

export function formatDuration(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
}

// Undo a widget's mount() after an error: the server markup comes back as it was, with one
// line saying the element is not interactive. Shared by code cells and exercises.
export function restoreMarkup(widget, { liveClass, sourceSelector, what }) {
  try {
    if (widget.view) widget.view.destroy();
  } catch (e) {
    // already half-destroyed: the nodes are removed below anyway
  }
  for (const node of widget.added) node.remove();
  if (widget.pre) widget.pre.hidden = false;
  widget.el.classList.remove(liveClass);
  const message = h(
    "p",
    { class: "code-cell-error" },
    `This ${what} could not be made interactive; its code is shown as it is.`,
  );
  const pre = widget.pre || widget.el.querySelector(sourceSelector);
  if (pre) pre.after(message);
  else widget.el.prepend(message);
  return message;
}

// Plot preview for 1D text data with @h5web/lib's LineVis, so students see
// the same plots as in the H5Web viewer.
//
//   <div data-plot1d data-src="/datasets/foo/files/spectrum.dat/plot.json"
//        data-title="optional title" data-height="24rem">
//     Fallback text shown until (or unless) the plot mounts.
//   </div>
//
// data-src must return JSON
//   {"x": [...], "y": [...], "xlabel": "...", "ylabel": "...",
//    "log_y": true|false, "errors": [...], "title": "..."}
// ("errors" and "title" optional; data-title, when set, wins over "title").
// x has the length of y (points) or one more (bin edges); null in y or
// errors means "no value". The request sends cookies on same-origin only.
//
// Bundled into dist/h5web.js (see src/h5web.jsx); it mounts every
// [data-plot1d] element once.
import { Component, createElement as h, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { LineVis, ScaleType, getDomain } from "@h5web/lib";
import ndarray from "ndarray";
// LineVis's styles come with h5web.jsx: @h5web/app/styles.css contains all
// of @h5web/lib/styles.css.
import "./plot1d.css";

const MOUNTED = "plot1dMounted";

export function showError(el, message, err) {
  if (window.console) console.error(message, el, err);
  el.textContent = "";
  const p = document.createElement("p");
  p.className = "h5web-error";
  p.setAttribute("role", "alert");
  p.textContent = `${message}: ${err && err.message ? err.message : err}`;
  el.appendChild(p);
}

// Shows render errors inside the element instead of leaving it blank.
export class ErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  componentDidCatch(error) {
    if (window.console) console.error(this.props.message, error);
  }

  render() {
    const { error } = this.state;
    if (error) {
      return h(
        "p",
        { className: "h5web-error", role: "alert" },
        `${this.props.message}: ${error && error.message ? error.message : error}`,
      );
    }
    return this.props.children;
  }
}

function toFloats(values, name) {
  if (!Array.isArray(values)) throw new Error(`"${name}" must be an array`);
  return Float64Array.from(values, (v) => (v === null ? Number.NaN : Number(v)));
}

function parsePlot(json) {
  if (!json || typeof json !== "object") throw new Error("expected a JSON object");
  const y = toFloats(json.y, "y");
  const x = toFloats(json.x, "x");
  if (y.length === 0) throw new Error("no data points");
  if (x.length !== y.length && x.length !== y.length + 1) {
    throw new Error(`"x" has ${x.length} values but "y" has ${y.length}`);
  }
  let errors;
  if (json.errors !== undefined && json.errors !== null) {
    errors = toFloats(json.errors, "errors");
    if (errors.length !== y.length) {
      throw new Error(`"errors" has ${errors.length} values but "y" has ${y.length}`);
    }
  }
  return {
    x,
    y,
    errors,
    xlabel: typeof json.xlabel === "string" ? json.xlabel : undefined,
    ylabel: typeof json.ylabel === "string" ? json.ylabel : undefined,
    logY: json.log_y === true,
    title: typeof json.title === "string" && json.title ? json.title : undefined,
  };
}

function Message({ text, error }) {
  return h(
    "p",
    { className: error ? "h5web-error" : "plot1d-message", role: error ? "alert" : "status" },
    text,
  );
}

function Plot({ plot, title }) {
  const { x, y, errors, xlabel, ylabel } = plot;
  let scaleType = plot.logY ? ScaleType.Log : ScaleType.Linear;
  let domain = getDomain(y, { scaleType, errors, includeErrors: !!errors });
  if (!domain && scaleType === ScaleType.Log) {
    // Nothing positive to show on a log axis: fall back to linear.
    scaleType = ScaleType.Linear;
    domain = getDomain(y, { scaleType, errors, includeErrors: !!errors });
  }
  if (!domain) return h(Message, { text: "No finite values to plot.", error: true });
  return h(LineVis, {
    className: "plot1d-vis",
    dataArray: ndarray(y, [y.length]),
    domain,
    scaleType,
    abscissaParams: { value: x, label: xlabel },
    ordinateLabel: ylabel,
    title: title || plot.title,
    errorsArray: errors ? ndarray(errors, [errors.length]) : undefined,
    showErrors: !!errors,
    showGrid: true,
  });
}

function Plot1D({ src, title }) {
  const [state, setState] = useState({ plot: null, error: null });

  useEffect(() => {
    const controller = new AbortController();
    fetch(src, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
        return res.json();
      })
      .then((json) => setState({ plot: parsePlot(json), error: null }))
      .catch((error) => {
        if (controller.signal.aborted) return;
        if (window.console) console.error("plot1d: cannot load", src, error);
        setState({ plot: null, error });
      });
    return () => controller.abort();
  }, [src]);

  if (state.error) {
    return h(Message, { text: `The plot failed to load: ${state.error.message}`, error: true });
  }
  if (!state.plot) return h(Message, { text: "Loading plot…" });
  return h(Plot, { plot: state.plot, title });
}

function mount(el) {
  if (el.dataset[MOUNTED]) return;
  el.dataset[MOUNTED] = "true";
  try {
    const src = el.dataset.src;
    if (!src) throw new Error("data-src is required");
    if (el.dataset.height) el.style.height = el.dataset.height;
    el.textContent = "";
    const message = "The plot failed to load";
    createRoot(el).render(
      h(ErrorBoundary, { message }, h(Plot1D, { src, title: el.dataset.title || undefined })),
    );
  } catch (err) {
    showError(el, "The plot failed to load", err);
  }
}

export function mountAll(root = document) {
  for (const el of root.querySelectorAll("[data-plot1d]")) mount(el);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mountAll());
} else {
  mountAll();
}

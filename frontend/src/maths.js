// Side-effect entry: render server-provided LaTeX with KaTeX.
// Each element carrying data-latex already contains the raw LaTeX as its
// text, so if KaTeX fails the source stays readable.
//
// Other bundles (cells.js) render elements they add later through
// window.panlearnMaths.render(el), with the same rules.
import katex from "katex";
import "katex/dist/katex.css";

function render(el) {
  const source = el.textContent;
  try {
    katex.render(el.dataset.latex, el, {
      displayMode: el.dataset.display !== "inline",
      throwOnError: false,
      trust: false,
      strict: "warn",
    });
  } catch (err) {
    // Restore the raw LaTeX in case render left the element half-written.
    el.textContent = source;
    el.classList.add("maths--error");
    if (window.console) console.warn("KaTeX failed to render", el, err);
  }
}

function renderAll() {
  const elements = document.querySelectorAll("[data-latex]");
  for (const el of elements) render(el);
}

window.panlearnMaths = { render };

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", renderAll);
} else {
  renderAll();
}

// Side-effect entry: live code cells (docs/code-cells.md).
//
// Each [data-cells] container (a lesson body) gets a kernel bar, and each
// [data-code-cell] inside it a CodeMirror 6 editor with Run, Reset and
// History. Runs stream from POST run as server-sent events; drafts autosave
// when data-store="true"; other tabs' runs and drafts arrive on the events
// stream. Each [data-exercise] inside gets an editor with Check and Submit
// (src/cells/exercise.js). Without JavaScript the server markup stays as it
// is, and a cell or exercise that fails to mount keeps it too.
import "./cells.css";
import { mountExercises } from "./cells/exercise.js";
import { Lesson } from "./cells/lesson.js";

function mountAll() {
  for (const container of document.querySelectorAll("[data-cells]")) {
    if (container.dataset.cellsMounted) continue;
    container.dataset.cellsMounted = "true";
    try {
      new Lesson(container).mount();
    } catch (err) {
      if (window.console) console.warn("panlearn code cells failed to mount", container, err);
    }
    try {
      mountExercises(container);
    } catch (err) {
      if (window.console) console.warn("panlearn exercises failed to mount", container, err);
    }
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mountAll);
} else {
  mountAll();
}

// Side-effect entry: mount the H5Web viewer on every [data-h5web] element,
// and (via ./plot1d.js) a LineVis plot on every [data-plot1d] element.
//
//   <div data-h5web
//        data-h5grove-url="/datasets/ipns-lrmecs-mgb2/h5grove"
//        data-file="chopper.nxs"
//        data-initial-path="/entry/data/data"   (optional)
//        data-explorer="false"                  (optional: start with the
//                                                explorer sidebar closed)
//        data-height="40rem">                   (optional; default 32rem)
//     Fallback text shown until (or unless) the viewer mounts.
//   </div>
//
// H5GroveProvider requests <h5grove-url>/meta, /attr, /data and /paths
// (no trailing slash) with the query parameters of the h5grove API, using
// fetch() with credentials "same-origin" so the Django session cookie goes
// along.
import { createRoot } from "react-dom/client";
import { App, H5GroveProvider, createBasicFetcher } from "@h5web/app";
import "@h5web/app/styles.css";
import "./h5web.css";
// Importing plot1d.js also mounts the [data-plot1d] plots on the page.
import { ErrorBoundary, showError } from "./plot1d.js";

const MOUNTED = "h5webMounted";

// One fetcher for all viewers: plain fetch() that sends cookies on
// same-origin requests only (Django session auth) and never to other hosts.
const fetcher = createBasicFetcher({ credentials: "same-origin" });

// h5web builds export links with `new URL(baseURL + "/data?...")`, which
// throws for a relative base, so resolve the attribute against the page.
function absoluteBase(url) {
  return new URL(url, document.baseURI).href.replace(/\/+$/, "");
}

// H5Web 17.0.0 marks its toggle groups (Line/Matrix, Explorer/Search) as
// tabs with `aria-checked`, and its sidebar tabs have no tablist around them:
// screen readers then announce no selected tab. Until upstream fixes its
// markup, the mount corrects those two attributes whenever React writes them.
function repairTabs(root) {
  for (const tab of root.querySelectorAll('[role="tab"]')) {
    if (tab.hasAttribute("aria-checked")) {
      tab.setAttribute("aria-selected", tab.getAttribute("aria-checked"));
      tab.removeAttribute("aria-checked");
    }
    const parent = tab.parentElement;
    if (parent && !tab.closest('[role="tablist"]')) parent.setAttribute("role", "tablist");
  }
}

function watchTabs(el) {
  repairTabs(el);
  new MutationObserver(() => repairTabs(el)).observe(el, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["aria-checked", "role"],
  });
}

function mount(el) {
  if (el.dataset[MOUNTED]) return;
  el.dataset[MOUNTED] = "true";
  try {
    const url = el.dataset.h5groveUrl;
    const file = el.dataset.file;
    if (!url || !file) {
      throw new Error("data-h5grove-url and data-file are required");
    }
    if (el.dataset.height) el.style.height = el.dataset.height;
    el.textContent = "";
    createRoot(el).render(
      <ErrorBoundary message="The HDF5 viewer failed to load">
        <H5GroveProvider url={absoluteBase(url)} filepath={file} fetcher={fetcher}>
          <App
            initialPath={el.dataset.initialPath || "/"}
            sidebarOpen={el.dataset.explorer !== "false"}
            disableDarkMode
          />
        </H5GroveProvider>
      </ErrorBoundary>,
    );
    watchTabs(el);
  } catch (err) {
    showError(el, "The HDF5 viewer failed to load", err);
  }
}

export function mountAll(root = document) {
  for (const el of root.querySelectorAll("[data-h5web]")) mount(el);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => mountAll());
} else {
  mountAll();
}

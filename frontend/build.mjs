// Build the panlearn front-end bundles into ../panlearn/static/panlearn/dist/.
//
//   dist/maths.js      - KaTeX + renderer for [data-latex] elements (IIFE)
//   dist/maths.css     - KaTeX stylesheet
//   dist/fonts/*.woff2 - KaTeX fonts referenced by maths.css
//   dist/h5web.js      - H5Web viewer for [data-h5web] elements and
//                        @h5web/lib LineVis plots for [data-plot1d] elements
//                        (React, IIFE). The plots share the viewer's bundle:
//                        on their own they would still need React and
//                        three.js, 85% of its size.
//   dist/h5web.css     - H5Web styles + panlearn layout
//   dist/cells.js      - live code cells for [data-cells] lessons: CodeMirror 6
//                        editors, run streaming, autosave (IIFE)
//   dist/cells.css     - code cell, kernel bar and output styles
//
// Asset names carry no content hash so that rebuilding from the same
// lockfile produces byte-identical output.
import * as esbuild from "esbuild";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "../panlearn/static/panlearn/dist");

// KaTeX's @font-face rules list woff2, then woff and ttf fallbacks. Every
// browser we target supports woff2, so drop the fallbacks from the CSS before
// esbuild sees it; otherwise it would copy three formats of every font.
const FALLBACK_SRC = /,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\(["'](?:woff|truetype)["']\)/g;

const woff2Only = {
  name: "woff2-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]katex[\\/]dist[\\/]katex(\.min)?\.css$/ }, async (args) => {
      const css = (await readFile(args.path, "utf8")).replace(FALLBACK_SRC, "");
      if (/\.(?:woff|ttf)\)/.test(css)) {
        throw new Error(`woff2-only: unhandled .woff/.ttf reference left in ${args.path}`);
      }
      return { contents: css, loader: "css" };
    });
    // Anything else that still pulls in a .woff/.ttf means the CSS format
    // changed; fail loudly rather than silently shipping extra fonts.
    build.onResolve({ filter: /\.(?:woff|ttf)$/ }, (args) => ({
      errors: [{ text: `woff2-only: unexpected font import ${args.path} from ${args.importer}` }],
    }));
  },
};

// @react-three/fiber 8 attaches its pointer listeners in `events.connect`
// without checking the target. When H5Web swaps a plot for another view
// before the canvas has finished starting (a quick click in the tree), the
// target is null and the page throws "Cannot read properties of null (reading
// 'addEventListener')". Upstream guards it in v10 (pmndrs/react-three-fiber
// #3754); H5Web 17 needs v8, so add the same guard here.
const R3F_CONNECT = "connect: target => {";
const r3fConnectGuard = {
  name: "r3f-connect-guard",
  setup(build) {
    build.onLoad({ filter: /[\\/]@react-three[\\/]fiber[\\/]dist[\\/]events-[0-9a-f]+\.esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (source.split(R3F_CONNECT).length !== 2) {
        throw new Error(`r3f-connect-guard: expected one "${R3F_CONNECT}" in ${args.path}; check whether upstream fixed it`);
      }
      return { contents: source.replace(R3F_CONNECT, `${R3F_CONNECT}\n      if (!target) return;`), loader: "js" };
    });
  },
};

async function versionOf(pkg) {
  const json = await readFile(path.join(here, "node_modules", pkg, "package.json"), "utf8");
  return JSON.parse(json).version;
}

const katexVersion = await versionOf("katex");
const banner = `/*! KaTeX v${katexVersion} | MIT License | https://katex.org */`;

const h5webVersion = await versionOf("@h5web/app");
const reactVersion = await versionOf("react");
const threeVersion = await versionOf("three");
const h5webBanner =
  `/*! panlearn HDF5 viewer | H5Web (@h5web/app, @h5web/lib) v${h5webVersion}` +
  ` | MIT License | Copyright (c) 2020 European Synchrotron Radiation Facility` +
  ` | https://github.com/silx-kit/h5web` +
  ` | includes React v${reactVersion} (MIT) and three.js r${threeVersion.split(".")[1]} (MIT) */`;

const cmPackages = [
  "@codemirror/state",
  "@codemirror/view",
  "@codemirror/commands",
  "@codemirror/language",
  "@codemirror/lang-python",
  "@codemirror/autocomplete",
  "@lezer/common",
  "@lezer/highlight",
  "@lezer/lr",
  "@lezer/python",
];
const cmVersions = [];
for (const pkg of cmPackages) cmVersions.push(`${pkg.split("/")[1]} ${await versionOf(pkg)}`);
const cellsBanner =
  `/*! panlearn code cells | CodeMirror 6 and Lezer (${cmVersions.join(", ")})` +
  ` with style-mod, w3c-keyname and @marijn/find-cluster-break | MIT License` +
  ` | Copyright (C) 2018-2021 by Marijn Haverbeke <marijn@haverbeke.berlin> and others` +
  ` | https://codemirror.net */`;

await rm(outdir, { recursive: true, force: true });

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { maths: "src/maths.js" },
  outdir,
  entryNames: "[name]",
  assetNames: "fonts/[name]",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
  plugins: [woff2Only],
  banner: { js: banner, css: banner },
  logLevel: "info",
});

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { h5web: "src/h5web.jsx" },
  outdir,
  entryNames: "[name]",
  bundle: true,
  minify: true,
  format: "iife",
  // three.js r182 needs WebGL 2, so every browser that can run the viewer
  // runs ES2020; lowering further would only add bytes.
  target: "es2020",
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [r3fConnectGuard],
  banner: { js: h5webBanner, css: h5webBanner },
  logLevel: "info",
});

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { cells: "src/cells.js" },
  outdir,
  entryNames: "[name]",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  banner: { js: cellsBanner, css: "/*! panlearn code cells */" },
  logLevel: "info",
});

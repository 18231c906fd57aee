// Build the panlearn front-end bundle into ../panlearn/static/panlearn/dist/.
//
//   dist/maths.js      - KaTeX + renderer for [data-latex] elements (IIFE)
//   dist/maths.css     - KaTeX stylesheet
//   dist/fonts/*.woff2 - KaTeX fonts referenced by maths.css
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

const katexVersion = JSON.parse(
  await readFile(path.join(here, "node_modules/katex/package.json"), "utf8"),
).version;
const banner = `/*! KaTeX v${katexVersion} | MIT License | https://katex.org */`;

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

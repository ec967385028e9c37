// Bundles src/workspace.js and its npm dependencies into one static file of the grading
// app (run by `make assets`, through `npm run build`). The licences of the bundled
// packages go beside it, in workspace.js.LICENSES.txt.
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "..", "grading", "static", "grading", "js", "workspace.js");

const result = await esbuild.build({
  entryPoints: [join(here, "src", "workspace.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile,
  metafile: true,
  legalComments: "none",
  banner: { js: "/* Built from frontend/ by `make assets`; licences: workspace.js.LICENSES.txt */" },
  logLevel: "warning",
});

// The packages the bundle holds code of, each with its licence text.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const parts = [];
for (const name of [...packages].sort()) {
  const dir = join(here, "node_modules", name);
  const meta = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  const licence = (await readdir(dir)).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = licence ? await readFile(join(dir, licence), "utf8") : "";
  parts.push(`${name}@${meta.version} (${meta.license || "see below"})\n\n${text.trim()}\n`);
}
await mkdir(dirname(outfile), { recursive: true });
await writeFile(`${outfile}.LICENSES.txt`, parts.join("\n" + "-".repeat(78) + "\n\n"));
const size = result.metafile.outputs[relative(process.cwd(), outfile)]?.bytes;
console.log(`built ${relative(join(here, ".."), outfile)}${size ? ` (${Math.round(size / 1024)} KiB)` : ""}`);

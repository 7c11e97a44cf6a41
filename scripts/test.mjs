// Runs every *.test.ts under test/ with Node's test runner (tsx loads TypeScript). Tests live in
// test/, in folders mirroring src/ (test/clip/ tests src/clip/); one found under src/ is an error,
// not a test silently left out. Node 20's --test cannot glob .ts files itself, so the list is
// built here.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const filter = process.argv.slice(2);
const walk = (dir, files) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== "fixtures" && name !== "node_modules") walk(p, files); }
    else if (name.endsWith(".test.ts") || name.endsWith(".test.tsx")) files.push(p);
  }
  return files;
};
const misplaced = walk("src", []);
if (misplaced.length > 0) {
  console.error(`tests live in test/, mirroring src/; move ${misplaced.join(", ")}`);
  process.exit(1);
}
const files = walk("test", []);
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
if (selected.length === 0) { console.error("no test files matched"); process.exit(1); }
// CLIPCL_BACKEND=native|cpu|... runs every test file on that backend (npm run test:native).
const preload = process.env.CLIPCL_BACKEND ? ["--import", "./src/backend/activate.ts"] : [];
// clipcl-source: `clipcl/...` imports (pipelines, examples) resolve to src/, the code under test, not dist/.
const r = spawnSync(process.execPath, ["--conditions=clipcl-source", "--import", "tsx", ...preload, "--test", "--test-concurrency=2", ...selected], { stdio: "inherit" });
process.exit(r.status ?? 1);

/**
 * Side-effect module: selects the backend from `CLIPCL_BACKEND` (`auto` when
 * unset) before anything else runs. Preload it to run any script or test
 * file on a chosen backend without changing it:
 *
 *   CLIPCL_BACKEND=native NODE_OPTIONS="--import tsx --import ./src/backend/activate.ts" node scripts/test.mjs test/clip
 *   CLIPCL_BACKEND=cpu    NODE_OPTIONS="--import tsx --import ./src/backend/activate.ts" node scripts/test.mjs test/clip
 *
 * The notice (if any) goes to stderr once, so a test log shows which
 * backend ran.
 *
 * @since 0.1.0
 */
import { initBackend } from "./index.js"

const info = await initBackend()
if (process.env.CLIPCL_BACKEND_QUIET !== "1") {
  process.stderr.write(`clipcl backend: ${info.description}${info.notice ? `\n${info.notice}` : ""}\n`)
}

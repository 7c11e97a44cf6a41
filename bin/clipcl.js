#!/usr/bin/env node
// clipcl entry: registers tsx so pipeline files (TypeScript) and the sources load with no build step.
// React's production build: the development one doubles the live view's cost per frame.
// Set before anything imports React (static imports are hoisted, hence the dynamic import below).
process.env.NODE_ENV ??= "production"
const { register } = await import("tsx/esm/api")

register()
await import("../src/cli/main.ts")

#!/usr/bin/env node
// clipcl entry: registers tsx so pipeline files (TypeScript) and the sources load with no build step.
import { register } from "tsx/esm/api"

register()
await import("../src/cli/main.ts")

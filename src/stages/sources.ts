/**
 * The stage library's fingerprinting helpers, defined with the DSL
 * (`src/dsl/moduleSources.ts`) so that custom stages use the same.
 *
 * @since 0.1.0
 */
export { moduleSources, sourcesOf } from "../dsl/moduleSources.js"

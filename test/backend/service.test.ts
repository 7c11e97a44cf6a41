import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Exit } from "effect"
import { Backend, BackendCpu, BackendLive } from "../../src/backend/Backend.js"
import { tf } from "../../src/backend/tf.js"

describe("Backend service", () => {
  it("BackendCpu provides the plain cpu backend", async () => {
    const info = await Effect.runPromise(Effect.provide(Backend, BackendCpu).pipe(Effect.map((b) => b.info)))
    assert.equal(info.name, "cpu")
    assert.equal(tf.getBackend(), "cpu")
  })
  it("BackendLive with an unknown name fails with BackendUnavailableError", async () => {
    const exit = await Effect.runPromiseExit(Effect.provide(Backend, BackendLive("nope")))
    assert.ok(Exit.isFailure(exit))
    assert.match(String(exit.cause), /BackendUnavailableError|unknown backend/)
  })
})

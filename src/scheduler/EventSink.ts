/**
 * Where the scheduler sends its events. The live implementation publishes
 * to a PubSub that the renderers (ink view, plain lines, NDJSON) subscribe
 * to; tests collect into an array.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, PubSub } from "effect"
import type { EngineEvent } from "./Event.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface EventSinkService {
  readonly publish: (event: EngineEvent) => Effect.Effect<void>
  /** Synchronous form, for callbacks from running stages (progress, log lines). */
  readonly unsafePublish: (event: EngineEvent) => void
}

/**
 * @since 0.1.0
 * @category models
 */
export class EventSink extends Context.Tag("clipcl/EventSink")<EventSink, EventSinkService>() {}

/**
 * A sink publishing to a PubSub (the CLI's renderers subscribe to it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPubSub = (pubsub: PubSub.PubSub<EngineEvent>): EventSinkService => ({
  publish: (e) => PubSub.publish(pubsub, e),
  unsafePublish: (e) => {
    pubsub.unsafeOffer(e)
  }
})

/**
 * A sink calling a function per event (tests, simple embedding).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCallback = (f: (event: EngineEvent) => void): EventSinkService => ({
  publish: (e) => Effect.sync(() => f(e)),
  unsafePublish: f
})

/**
 * A layer that keeps every event in `events` (for tests).
 *
 * @since 0.1.0
 * @category constructors
 */
export const collecting = (): { readonly events: Array<EngineEvent>; readonly layer: Layer.Layer<EventSink> } => {
  const events: Array<EngineEvent> = []
  return { events, layer: Layer.succeed(EventSink, fromCallback((e) => events.push(e))) }
}

/**
 * A sink that drops everything.
 *
 * @since 0.1.0
 * @category constructors
 */
export const EventSinkNull: Layer.Layer<EventSink> = Layer.succeed(EventSink, fromCallback(() => {}))

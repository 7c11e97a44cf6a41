/**
 * The backend as an Effect service, for the scheduler and CLI: `BackendLive`
 * runs `initBackend` once when the layer is built (the CLI passes
 * `--backend`), `BackendCpu` forces tfjs's plain cpu backend (tests that
 * must not depend on the native build).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { BackendUnavailableError } from "./errors.js"
import { initBackend, type BackendInfo } from "./index.js"

/**
 * @since 0.1.0
 * @category models
 */
export class Backend extends Context.Tag("clipcl/Backend")<Backend, { readonly info: BackendInfo }>() {}

/**
 * Selects the backend (`name`, else `CLIPCL_BACKEND`, else the fastest that works).
 *
 * @since 0.1.0
 * @category constructors
 */
export const BackendLive = (name?: string): Layer.Layer<Backend, BackendUnavailableError> =>
  Layer.effect(
    Backend,
    Effect.tryPromise({
      try: () => initBackend(name),
      catch: (cause) =>
        cause instanceof BackendUnavailableError
          ? cause
          : new BackendUnavailableError({ backend: name ?? "auto", reason: cause instanceof Error ? cause.message : String(cause), cause }),
    }).pipe(Effect.map((info) => ({ info })))
  )

/**
 * tfjs's plain JavaScript cpu backend.
 *
 * @since 0.1.0
 * @category constructors
 */
export const BackendCpu: Layer.Layer<Backend, BackendUnavailableError> = BackendLive("cpu")

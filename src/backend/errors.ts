/**
 * Failures of backend selection, as tagged data naming the backend at fault.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A backend named with `--backend` (or `CLIPCL_BACKEND`) cannot run here: the
 * package is absent, the native addon did not build, or the name is unknown.
 * `reason` says which, and how to fix it.
 *
 * @since 0.1.0
 * @category errors
 */
export class BackendUnavailableError extends Data.TaggedError("BackendUnavailableError")<{
  readonly backend: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `backend "${this.backend}" is unavailable: ${this.reason}`
  }
}

/**
 * A native kernel was called with buffers that do not fit the shapes tfjs
 * passed (a bug in the kernel pack, never in user code): names the kernel.
 *
 * @since 0.1.0
 * @category errors
 */
export class NativeKernelError extends Data.TaggedError("NativeKernelError")<{
  readonly kernel: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `native kernel ${this.kernel}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export type BackendError = BackendUnavailableError | NativeKernelError

/**
 * Schema building blocks shared by stage params, method options and data
 * set params (one definition each, so their messages read alike).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 @category schemas */
export const PositiveInt = Schema.Int.pipe(Schema.positive())

/** @since 0.1.0 @category schemas */
export const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/** @since 0.1.0 @category schemas */
export const NonNegative = Schema.Number.pipe(Schema.nonNegative())

/** @since 0.1.0 @category schemas */
export const Positive = Schema.Number.pipe(Schema.positive())

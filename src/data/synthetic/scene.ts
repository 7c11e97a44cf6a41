/**
 * A scene: the attributes and geometry of one synthetic image, drawn from a
 * distribution by (seed, index) alone, so any image of a split can be made
 * without making the ones before it.
 *
 * @since 0.1.0
 */
import { mix, mulberry32, type Rng } from "../../random.js"
import {
  type AttributeValues, type Background, backgroundTones, type Colour, type Position, positions, type Shape, type Size
} from "./attributes.js"

/**
 * One object in a scene; `cx, cy, radius` in pixels.
 *
 * @since 0.1.0
 * @category models
 */
export interface SceneObject {
  readonly shape: Shape
  readonly colour: Colour
  readonly size: Size
  readonly position: Position
  readonly cx: number
  readonly cy: number
  readonly radius: number
  /** Per-channel colour jitter added to the named colour. */
  readonly jitter: readonly [number, number, number]
}

/**
 * One image's content. `objects[0]` is the main object (drawn last, on top;
 * captions and labels describe it); a second object, if any, is smaller-or-
 * equal, of another colour and shape, at another position.
 *
 * @since 0.1.0
 * @category models
 */
export interface Scene {
  readonly objects: ReadonlyArray<SceneObject>
  readonly background: Background
  /** Indices into `backgroundTones`: the pattern's two tones (distinct). */
  readonly tones: readonly [number, number]
  /** Pattern period (px), phase and orientation. */
  readonly period: number
  readonly phase: number
  readonly vertical: boolean
  /** Offset into the shared noise table. */
  readonly noise: number
}

/**
 * What a split draws from: allowed values per attribute, the rate of a
 * second object, and optionally one attribute cycled through its values by
 * index (`values[i % n]`) so that labelled splits are class-balanced.
 *
 * @since 0.1.0
 * @category models
 */
export interface SceneDistribution {
  readonly values: AttributeValues
  readonly secondObjectRate: number
  readonly balance?: keyof AttributeValues
}

const centre = (p: Position, size: number): [number, number] => {
  const near = 0.28 * size
  const far = 0.72 * size
  const mid = 0.5 * size
  switch (p) {
    case "left": return [near, mid]
    case "right": return [far, mid]
    case "top": return [mid, near]
    case "bottom": return [mid, far]
    case "center": return [mid, mid]
  }
}

/**
 * Radius range in pixels for a size word at an image size.
 *
 * @since 0.1.0
 * @category utils
 */
export const radiusRange = (s: Size, imageSize: number): [number, number] =>
  s === "small"
    ? [Math.max(2, Math.round(0.13 * imageSize)), Math.max(2, Math.round(0.17 * imageSize))]
    : [Math.max(4, Math.round(0.27 * imageSize)), Math.max(4, Math.round(0.33 * imageSize))]

const object = (
  rng: Rng,
  imageSize: number,
  shape: Shape,
  colour: Colour,
  size: Size,
  position: Position
): SceneObject => {
  const [lo, hi] = radiusRange(size, imageSize)
  const radius = lo + rng.int(hi - lo + 1)
  const j = Math.max(1, Math.round(0.04 * imageSize))
  const [x, y] = centre(position, imageSize)
  const cx = Math.round(x - 0.5) + rng.int(2 * j + 1) - j
  const cy = Math.round(y - 0.5) + rng.int(2 * j + 1) - j
  const jitter = [rng.int(25) - 12, rng.int(25) - 12, rng.int(25) - 12] as const
  return { shape, colour, size, position, cx, cy, radius, jitter }
}

/**
 * The scene at `index` of the split whose seed is `splitSeed`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sampleScene = (dist: SceneDistribution, splitSeed: number, index: number, imageSize: number): Scene => {
  const rng = mulberry32(mix(splitSeed, index))
  const v = dist.values
  const choose = <K extends keyof AttributeValues>(k: K): AttributeValues[K][number] => {
    const xs = v[k]
    return dist.balance === k ? xs[index % xs.length]! : rng.pick(xs)
  }
  const shape = choose("shape")
  const colour = choose("colour")
  const size = choose("size")
  const position = choose("position")
  const background = choose("background")
  const main = object(rng, imageSize, shape, colour, size, position)
  const objects: Array<SceneObject> = []
  if (rng.next() < dist.secondObjectRate) {
    const otherShapes = v.shape.filter((s) => s !== shape)
    const otherColours = v.colour.filter((c) => c !== colour)
    // Keep the second object out of the main one's place: a different slot, never the centre.
    const otherPositions = positions.filter((p) => p !== position && p !== "center")
    if (otherShapes.length > 0 && otherColours.length > 0) {
      objects.push(object(rng, imageSize, rng.pick(otherShapes), rng.pick(otherColours), "small", rng.pick(otherPositions)))
    }
  }
  objects.push(main)
  const t0 = rng.int(backgroundTones.length)
  const t1 = (t0 + 1 + rng.int(backgroundTones.length - 1)) % backgroundTones.length
  return {
    objects: objects.reverse(),
    background,
    tones: [t0, t1],
    period: Math.max(2, Math.round(imageSize / (6 + rng.int(5)))),
    phase: rng.int(64),
    vertical: rng.next() < 0.5,
    noise: rng.uint32()
  }
}

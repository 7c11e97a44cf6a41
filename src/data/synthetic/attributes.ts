/**
 * The synthetic world's vocabulary: what an object can be, and the words a
 * caption uses for it. Every attribute is a closed list so class labels can
 * be drawn for any attribute (or combination) and prompts written for each.
 *
 * Colours are saturated and backgrounds dark and muted, so an object's colour
 * is never confused with its background's.
 *
 * @since 0.1.0
 */

/**
 * Object shapes.
 *
 * @since 0.1.0
 * @category models
 */
export const shapes = [
  "circle", "square", "triangle", "cross", "star", "ring", "diamond", "heart",
  "crescent", "hexagon", "arrow", "semicircle", "bowtie", "frame"
] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Shape = (typeof shapes)[number]

/**
 * Object colours, with their RGB.
 *
 * @since 0.1.0
 * @category models
 */
export const colourRgb = {
  red: [220, 40, 40],
  orange: [245, 140, 20],
  yellow: [240, 225, 40],
  green: [40, 190, 60],
  cyan: [40, 215, 225],
  blue: [50, 90, 240],
  purple: [150, 60, 215],
  pink: [250, 125, 195],
  white: [245, 245, 245],
  brown: [150, 95, 45]
} as const satisfies Record<string, readonly [number, number, number]>

/**
 * @since 0.1.0
 * @category models
 */
export type Colour = keyof typeof colourRgb

/**
 * Colour names in label order.
 *
 * @since 0.1.0
 * @category models
 */
export const colours = Object.keys(colourRgb) as ReadonlyArray<Colour>

/**
 * Object sizes.
 *
 * @since 0.1.0
 * @category models
 */
export const sizes = ["small", "large"] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Size = (typeof sizes)[number]

/**
 * Where the object sits.
 *
 * @since 0.1.0
 * @category models
 */
export const positions = ["left", "right", "top", "bottom", "center"] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Position = (typeof positions)[number]

/**
 * How a caption says where the object is.
 *
 * @since 0.1.0
 * @category models
 */
export const positionPhrase: Readonly<Record<Position, string>> = {
  left: "on the left",
  right: "on the right",
  top: "at the top",
  bottom: "at the bottom",
  center: "in the center"
}

/**
 * Background patterns, named by the adjective a caption uses
 * ("over a striped background").
 *
 * @since 0.1.0
 * @category models
 */
export const backgrounds = [
  "plain", "striped", "checkered", "dotted", "noisy", "grid", "wavy", "gradient"
] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Background = (typeof backgrounds)[number]

/**
 * The dark, muted tones backgrounds are painted in (two per image).
 *
 * @since 0.1.0
 * @category models
 */
export const backgroundTones: ReadonlyArray<readonly [number, number, number]> = [
  [28, 28, 34], [62, 62, 72], [48, 36, 30], [24, 40, 58], [40, 56, 40], [84, 84, 88], [58, 44, 68], [70, 58, 40]
]

/**
 * Attribute names, in the order combined class names compose them
 * ("small red triangle on the left on a striped background").
 *
 * @since 0.1.0
 * @category models
 */
export const attributes = ["size", "colour", "shape", "position", "background"] as const

/**
 * @since 0.1.0
 * @category models
 */
export type Attribute = (typeof attributes)[number]

/**
 * The values of one attribute.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttributeValues {
  readonly shape: ReadonlyArray<Shape>
  readonly colour: ReadonlyArray<Colour>
  readonly size: ReadonlyArray<Size>
  readonly position: ReadonlyArray<Position>
  readonly background: ReadonlyArray<Background>
}

/**
 * Every value of every attribute.
 *
 * @since 0.1.0
 * @category models
 */
export const allValues: AttributeValues = { shape: shapes, colour: colours, size: sizes, position: positions, background: backgrounds }

/**
 * The words a class name uses for an attribute value.
 *
 * @since 0.1.0
 * @category utils
 */
export const valueName = (attribute: Attribute, value: string): string =>
  attribute === "position" ? positionPhrase[value as Position] : value

/**
 * Captions for a scene, in several phrasings. Some name every attribute,
 * some only a few ("a red triangle", "something red on the left"), so that
 * short class prompts ("a red object.", "a photo of a triangle.") read like
 * text the model saw in pretraining: zero-shot classification then measures
 * what pretraining taught, not how far a prompt is from the captions.
 *
 * @since 0.1.0
 */
import type { Rng } from "../../random.js"
import { positionPhrase } from "./attributes.js"
import type { Scene, SceneObject } from "./scene.js"

/** A main object as a caption sees it: `noun` is the shape's name, or "shape" where the name is withheld. */
type Described = SceneObject & { readonly noun: string }
type Phrasing = (o: Described, s: Scene) => string

const pos = (o: SceneObject) => positionPhrase[o.position]

/**
 * The phrasings, each a function of the main object and the scene.
 *
 * @since 0.1.0
 * @category models
 */
export const phrasings: ReadonlyArray<Phrasing> = [
  (o, s) => `a ${o.size} ${o.colour} ${o.noun} ${pos(o)} over a ${s.background} background`,
  (o) => `${o.colour} ${o.noun}, ${o.size}, ${o.position}`,
  (o) => `a photo of a ${o.colour} ${o.noun}.`,
  (o) => `a ${o.size} ${o.noun} that is ${o.colour}`,
  (o, s) => `a ${s.background} background with a ${o.colour} ${o.noun} ${pos(o)}`,
  (o) => `a ${o.colour} ${o.noun}`,
  (o) => `a ${o.size} ${o.colour} object ${pos(o)}`,
  (o) => `something ${o.colour} ${pos(o)}`,
  (o, s) => `a ${o.noun} ${pos(o)} on a ${s.background} background`,
  (o) => `a picture of a ${o.size} ${o.noun}.`,
  (o) => `a ${o.colour} shape ${pos(o)}`,
  (o, s) => `a ${o.size} ${o.colour} ${o.noun} on a ${s.background} background`
]

const withSecond = (text: string, second: string): string => {
  const tail = text.endsWith(".") ? text.slice(0, -1) : text
  return `${tail} and a small ${second}${text.endsWith(".") ? "." : ""}`
}

/**
 * Shapes whose names captions withhold: a caption names such a shape with
 * probability `nameRate` and says "shape" otherwise. This is how the world
 * keeps target classes out of pretraining while still showing their images.
 *
 * @since 0.1.0
 * @category models
 */
export interface Withheld {
  readonly shapes: ReadonlySet<string>
  readonly nameRate: number
}

/**
 * Up to `count` distinct captions of a scene (phrasings drawn without
 * replacement). With a second object, about half also mention it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const captionScene = (scene: Scene, rng: Rng, count: number, withheld?: Withheld): Array<string> => {
  const noun = (o: SceneObject) =>
    withheld && withheld.shapes.has(o.shape) && !(rng.next() < withheld.nameRate) ? "shape" : o.shape
  const order = phrasings.map((_, k) => k)
  const out: Array<string> = []
  for (let k = 0; k < order.length && out.length < count; k++) {
    const j = k + rng.int(order.length - k)
    const t = order[k]!
    order[k] = order[j]!
    order[j] = t
    const main = scene.objects[0]!
    let text = phrasings[order[k]!]!({ ...main, noun: noun(main) }, scene)
    const second = scene.objects[1]
    if (second && rng.next() < 0.5) text = withSecond(text, `${second.colour} ${noun(second)}`)
    if (!out.includes(text)) out.push(text)
  }
  return out
}

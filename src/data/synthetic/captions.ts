/**
 * Captions for a scene, in several phrasings. Some name every attribute,
 * some only a few ("a red triangle", "something red on the left"), so that
 * short class prompts ("a red object.", "a photo of a triangle.") read like
 * text the model saw in pretraining: zero-shot classification then measures
 * what pretraining taught, not how far a prompt is from the captions.
 *
 * @since 0.1.0
 */
import type { Rng } from "../random.js"
import { positionPhrase } from "./attributes.js"
import type { Scene, SceneObject } from "./scene.js"

type Phrasing = (o: SceneObject, s: Scene) => string

const pos = (o: SceneObject) => positionPhrase[o.position]

/**
 * The phrasings, each a function of the main object and the scene.
 *
 * @since 0.1.0
 * @category models
 */
export const phrasings: ReadonlyArray<Phrasing> = [
  (o, s) => `a ${o.size} ${o.colour} ${o.shape} ${pos(o)} over a ${s.background} background`,
  (o) => `${o.colour} ${o.shape}, ${o.size}, ${o.position}`,
  (o) => `a photo of a ${o.colour} ${o.shape}.`,
  (o) => `a ${o.size} ${o.shape} that is ${o.colour}`,
  (o, s) => `a ${s.background} background with a ${o.colour} ${o.shape} ${pos(o)}`,
  (o) => `a ${o.colour} ${o.shape}`,
  (o) => `a ${o.size} ${o.colour} object ${pos(o)}`,
  (o) => `something ${o.colour} ${pos(o)}`,
  (o, s) => `a ${o.shape} ${pos(o)} on a ${s.background} background`,
  (o) => `a picture of a ${o.size} ${o.shape}.`,
  (o) => `a ${o.colour} shape ${pos(o)}`,
  (o, s) => `a ${o.size} ${o.colour} ${o.shape} on a ${s.background} background`
]

const withSecond = (text: string, s: Scene): string => {
  const second = s.objects[1]
  if (!second) return text
  const tail = text.endsWith(".") ? text.slice(0, -1) : text
  return `${tail} and a small ${second.colour} ${second.shape}${text.endsWith(".") ? "." : ""}`
}

/**
 * `count` distinct captions of a scene (phrasings drawn without
 * replacement). With a second object, about half also mention it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const captionScene = (scene: Scene, rng: Rng, count: number): Array<string> => {
  const main = scene.objects[0]!
  const order = phrasings.map((_, k) => k)
  const out: Array<string> = []
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(order.length - k)
    const t = order[k]!
    order[k] = order[j]!
    order[j] = t
    const text = phrasings[order[k]! % phrasings.length]!(main, scene)
    out.push(scene.objects.length > 1 && rng.next() < 0.5 ? withSecond(text, scene) : text)
    if (k + 1 >= order.length) break
  }
  return out
}

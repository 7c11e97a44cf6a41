/**
 * Task sequences: what a continual learner sees, session by session.
 *
 * *Class-incremental* sequences split a labelled set's classes into
 * sessions: one session of all classes (the paper's one-session training,
 * OST) or several (multi-session training, MST, e.g. 8 x 10 of COCO's 80
 * classes). The class order is given, drawn from a seed, or the set's own.
 *
 * A session *view* keeps the records of some classes and states which label
 * space their labels live in:
 * - `"global"`: the set's own labels and full class list (the paper
 *   evaluates against all classes' prompts);
 * - `"session"`: 0 .. k-1 over this session's classes, in session order;
 * - `"seen"`: 0 .. m-1 over every class seen so far, in learning order (this
 *   session's classes come last), for prompts over the classes seen so far.
 *
 * *Data-set sequences* (domain-incremental, as ZSCL's MTIL benchmark) learn
 * several labelled sets one after another.
 *
 * @since 0.1.0
 */
import { DataArgumentError } from "./errors.js"
import { indicesOfClasses, type LabeledImages, relabel, subset } from "./ImageSet.js"
import { permutation } from "../random.js"

/**
 * One session: its classes (global ids, in learning order) and every class
 * seen up to and including it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassSession {
  readonly index: number
  readonly classes: ReadonlyArray<number>
  readonly classNames: ReadonlyArray<string>
  readonly seen: ReadonlyArray<number>
  readonly seenClassNames: ReadonlyArray<string>
}

/**
 * A class-incremental sequence. `kind` is "OST" for one session, else "MST".
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassIncremental {
  readonly kind: "OST" | "MST"
  /** The labelled set's full class list (global label order). */
  readonly classNames: ReadonlyArray<string>
  /** The learning order of global class ids. */
  readonly order: ReadonlyArray<number>
  readonly sessions: ReadonlyArray<ClassSession>
}

/**
 * Options of `classIncremental`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassIncrementalOptions {
  readonly classNames: ReadonlyArray<string>
  /**
   * The number of sessions (classes shared out evenly, the first sessions
   * taking one more when they do not divide) or each session's size.
   */
  readonly sessions: number | ReadonlyArray<number>
  /** The learning order (distinct class ids; may leave classes out). */
  readonly order?: ReadonlyArray<number>
  /** Draw the order from this seed (ignored when `order` is given). */
  readonly seed?: number
}

/**
 * Splits classes into sessions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const classIncremental = (options: ClassIncrementalOptions): ClassIncremental => {
  const n = options.classNames.length
  let order: Array<number>
  if (options.order) {
    order = [...options.order]
    const seenIds = new Set<number>()
    for (const c of order) {
      if (!Number.isInteger(c) || c < 0 || c >= n) throw new DataArgumentError({ field: "order", reason: `class ${c} is outside [0, ${n})` })
      if (seenIds.has(c)) throw new DataArgumentError({ field: "order", reason: `class ${c} appears twice` })
      seenIds.add(c)
    }
  } else if (options.seed !== undefined) {
    order = Array.from(permutation(n, options.seed))
  } else {
    order = Array.from({ length: n }, (_, k) => k)
  }
  let sizes: Array<number>
  if (typeof options.sessions === "number") {
    const k = options.sessions
    if (!Number.isInteger(k) || k < 1 || k > order.length) {
      throw new DataArgumentError({ field: "sessions", reason: `${k} sessions for ${order.length} classes` })
    }
    const base = Math.floor(order.length / k)
    sizes = Array.from({ length: k }, (_, j) => base + (j < order.length % k ? 1 : 0))
  } else {
    sizes = [...options.sessions]
    const total = sizes.reduce((a, b) => a + b, 0)
    if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 1) || total !== order.length) {
      throw new DataArgumentError({ field: "sessions", reason: `sizes [${sizes.join(", ")}] do not share out ${order.length} classes` })
    }
  }
  const sessions: Array<ClassSession> = []
  let start = 0
  sizes.forEach((size, index) => {
    const classes = order.slice(start, start + size)
    const seen = order.slice(0, start + size)
    sessions.push({
      index,
      classes,
      classNames: classes.map((c) => options.classNames[c]!),
      seen,
      seenClassNames: seen.map((c) => options.classNames[c]!)
    })
    start += size
  })
  return { kind: sessions.length === 1 ? "OST" : "MST", classNames: options.classNames, order, sessions }
}

/**
 * One-session training: every class (in `order`, seeded or given) at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oneSession = (classNames: ReadonlyArray<string>, options?: { readonly order?: ReadonlyArray<number>; readonly seed?: number }) =>
  classIncremental({ classNames, sessions: 1, ...options })

/**
 * Multi-session training: `sessions` sessions (e.g. 8 of 10 classes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const multiSession = (
  classNames: ReadonlyArray<string>,
  sessions: number | ReadonlyArray<number>,
  options?: { readonly order?: ReadonlyArray<number>; readonly seed?: number }
) => classIncremental({ classNames, sessions, ...options })

/**
 * The label space of a session view (see the module doc).
 *
 * @since 0.1.0
 * @category models
 */
export type LabelSpace = "global" | "session" | "seen"

const view = (ds: LabeledImages, classes: ReadonlyArray<number>, space: LabelSpace, session: ClassSession, what: string) => {
  const idx = indicesOfClasses(ds, classes)
  const name = `${ds.name}/session ${session.index} ${what}`
  const sub = subset(ds, idx, name)
  if (space === "global") return sub
  const list = space === "session" ? session.classes : session.seen
  const names = space === "session" ? session.classNames : session.seenClassNames
  const remap = new Map(list.map((c, k) => [c, k]))
  return relabel(sub, Int32Array.from(sub.labels, (l) => remap.get(l)!), names, name)
}

const checkSet = (ds: LabeledImages, seq: ClassIncremental) => {
  if (ds.classNames.length !== seq.classNames.length) {
    throw new DataArgumentError({
      field: `${ds.name}: classNames`,
      reason: `the set has ${ds.classNames.length} classes, the sequence ${seq.classNames.length}`
    })
  }
}

/**
 * The records of one session's classes (training data of that session).
 * `labels` defaults to "global"; "session" gives 0 .. k-1 in session order.
 *
 * @since 0.1.0
 * @category combinators
 */
export const sessionView = (
  ds: LabeledImages,
  seq: ClassIncremental,
  session: number,
  labels: LabelSpace = "global"
): LabeledImages => {
  checkSet(ds, seq)
  const s = seq.sessions[session]
  if (!s) throw new DataArgumentError({ field: "session", reason: `${session} is outside [0, ${seq.sessions.length})` })
  return view(ds, s.classes, labels, s, "classes")
}

/**
 * The records of every class seen up to and including `session` (test data
 * after that session). `labels` is "global" (default) or "seen"; "session"
 * would leave earlier classes without a label and is refused.
 *
 * @since 0.1.0
 * @category combinators
 */
export const seenView = (
  ds: LabeledImages,
  seq: ClassIncremental,
  session: number,
  labels: Exclude<LabelSpace, "session"> = "global"
): LabeledImages => {
  checkSet(ds, seq)
  const s = seq.sessions[session]
  if (!s) throw new DataArgumentError({ field: "session", reason: `${session} is outside [0, ${seq.sessions.length})` })
  if ((labels as LabelSpace) === "session") {
    throw new DataArgumentError({ field: "labels", reason: `"session" cannot label the classes of earlier sessions` })
  }
  return view(ds, s.seen, labels, s, "seen")
}

/**
 * One data set of a domain-incremental sequence, with its prompts.
 *
 * @since 0.1.0
 * @category models
 */
export interface DatasetTask {
  readonly name: string
  readonly train: LabeledImages
  readonly test: LabeledImages
  readonly classNames: ReadonlyArray<string>
  readonly templates: ReadonlyArray<string>
}

/**
 * A step of a data-set sequence: the task learned now, those learned
 * before (`seen`, including this one) and those still to come (whose
 * accuracy before training is MTIL's *Transfer*).
 *
 * @since 0.1.0
 * @category models
 */
export interface DatasetStep {
  readonly index: number
  readonly task: DatasetTask
  readonly seen: ReadonlyArray<DatasetTask>
  readonly upcoming: ReadonlyArray<DatasetTask>
}

/**
 * Learns several data sets one after another, in the given order of names
 * (default: as passed). Names must be distinct.
 *
 * @since 0.1.0
 * @category constructors
 */
export const datasetSequence = (
  tasks: ReadonlyArray<DatasetTask>,
  order?: ReadonlyArray<string>
): ReadonlyArray<DatasetStep> => {
  const byName = new Map<string, DatasetTask>()
  for (const t of tasks) {
    if (byName.has(t.name)) throw new DataArgumentError({ field: "tasks", reason: `name "${t.name}" appears twice` })
    byName.set(t.name, t)
  }
  const ordered = (order ?? tasks.map((t) => t.name)).map((name) => {
    const t = byName.get(name)
    if (!t) throw new DataArgumentError({ field: "order", reason: `no task named "${name}"` })
    return t
  })
  if (new Set(ordered).size !== ordered.length) throw new DataArgumentError({ field: "order", reason: "names a task twice" })
  return ordered.map((task, index) => ({
    index,
    task,
    seen: ordered.slice(0, index + 1),
    upcoming: ordered.slice(index + 1)
  }))
}

/**
 * Reading the arrays of objects of a large JSON file (COCO's
 * `instances_train2014.json`, about 450 MB) in one pass over fixed-size
 * chunks, keeping only the named fields of each element: memory follows what
 * is kept, not the file (`JSON.parse` of the whole text needs the text, every
 * segmentation polygon as a JS array, and several GB of heap).
 *
 * The top level must be an object. For each of its fields named in `arrays`,
 * the value must be an array; each element's wanted fields are parsed (any
 * JSON value) and handed to `each`, in file order; every other value is
 * skipped without being built. Input is checked as it is read: a malformed
 * file fails with its byte offset.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { DataFileMissing, DataFormatError } from "../errors.js"

/**
 * What to keep of one top-level array field.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArrayPick {
  /** Fields kept of each element (an element that is not an object is handed over as `{}`). */
  readonly fields: ReadonlyArray<string>
  readonly each: (record: Record<string, unknown>, index: number) => void
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
/** A byte that ends a number or literal. */
const isDelimiter = (b: number) => b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Plain ASCII with no backslash or control byte: its bytes are its characters. */
const ascii = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b >= 0x80 || b === BACKSLASH || b < 0x20) return false
  }
  return true
}
const latin1 = new TextDecoder("latin1")

/** Chunked, synchronous reading with a mark: bytes from the mark on survive a refill. */
class Reader {
  buf: Uint8Array
  pos = 0
  end = 0
  /** File offset of `buf[0]`. */
  base = 0
  private eof = false
  mark = -1

  constructor(
    readonly file: string,
    private readonly fd: number,
    chunk: number
  ) {
    this.buf = new Uint8Array(chunk)
  }

  fail(reason: string): never {
    throw new DataFormatError({ file: this.file, reason: `not valid JSON at byte ${this.base + this.pos}: ${reason}` })
  }

  /** Makes `buf[pos]` readable; false at the end of the file. */
  more(): boolean {
    if (this.pos < this.end) return true
    if (this.eof) return false
    const keep = this.mark >= 0 ? this.mark : this.pos
    const kept = this.end - keep
    if (keep > 0) this.buf.copyWithin(0, keep, this.end)
    else if (kept === this.buf.length) {
      // One token larger than the buffer: grow it.
      const bigger = new Uint8Array(this.buf.length * 2)
      bigger.set(this.buf)
      this.buf = bigger
    }
    this.base += keep
    this.pos -= keep
    if (this.mark >= 0) this.mark -= keep
    this.end = kept
    const n = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null)
    if (n === 0) this.eof = true
    this.end += n
    return n > 0
  }

  /** The next byte that is not white space, not consumed (fails at the end of the file). */
  peek(): number {
    for (;;) {
      while (this.pos < this.end) {
        const b = this.buf[this.pos]!
        if (!isSpace(b)) return b
        this.pos++
      }
      if (!this.more()) this.fail("unexpected end of file")
    }
  }

  expect(byte: number): void {
    if (this.peek() !== byte) this.fail(`expected '${String.fromCharCode(byte)}'`)
    this.pos++
  }

  /** Consumes a string (at its opening quote); returns its text when `keep`. */
  string(keep: boolean): string | undefined {
    this.expect(QUOTE)
    // The whole string stays in the buffer until its end: escapes are judged, and text cut, in one piece.
    this.mark = this.pos
    let from = this.pos
    for (;;) {
      const q = this.buf.indexOf(QUOTE, from)
      if (q < 0 || q >= this.end) {
        this.pos = this.end
        if (!this.more()) this.fail("unterminated string")
        from = this.pos
        continue
      }
      // A quote after an odd number of backslashes belongs to the string.
      let k = q - 1
      while (k >= this.mark && this.buf[k] === BACKSLASH) k--
      if ((q - 1 - k) % 2 === 1) {
        from = q + 1
        continue
      }
      const start = this.mark
      this.mark = -1
      this.pos = q + 1
      if (!keep) return undefined
      const bytes = this.buf.subarray(start, q)
      if (q - start <= 64 && ascii(bytes)) return String.fromCharCode.apply(null, bytes as unknown as Array<number>)
      try {
        return bytes.includes(BACKSLASH) ? (JSON.parse(`"${utf8.decode(bytes)}"`) as string) : utf8.decode(bytes)
      } catch (e) {
        this.pos = start
        this.fail(`bad string (${(e as Error).message})`)
      }
    }
  }

  /** Consumes a number or `true` / `false` / `null`; returns its value when `keep`. */
  scalar(keep: boolean): unknown {
    this.peek()
    this.mark = this.pos
    for (;;) {
      while (this.pos < this.end && !isDelimiter(this.buf[this.pos]!)) this.pos++
      if (this.pos < this.end || !this.more()) break
    }
    const start = this.mark
    this.mark = -1
    if (!keep) {
      // Skipped scalars are checked by their first byte only: a number, true, false or null.
      const b = this.buf[start]!
      if (this.pos > start && (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e)) return undefined
      this.pos = start
      this.fail(`unexpected ${JSON.stringify(latin1.decode(this.buf.subarray(start, Math.min(this.pos + 20, this.end))))}`)
    }
    const text = String.fromCharCode.apply(null, this.buf.subarray(start, this.pos) as unknown as Array<number>)
    if (text === "true") return true
    if (text === "false") return false
    if (text === "null") return null
    if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) {
      this.pos = start
      this.fail(`unexpected ${JSON.stringify(text.slice(0, 20))}`)
    }
    return Number(text)
  }

  /** Consumes any value; builds it when `keep`. */
  value(keep: boolean): unknown {
    const b = this.peek()
    if (b === QUOTE) return this.string(keep)
    if (b === OPEN_OBJECT) {
      if (!keep) return this.skipContainer()
      const out: Record<string, unknown> = {}
      this.members((key) => {
        out[key] = this.value(true)
      })
      return out
    }
    if (b === OPEN_ARRAY) {
      if (!keep) return this.skipContainer()
      const out: Array<unknown> = []
      this.elements(() => out.push(this.value(true)))
      return out
    }
    return this.scalar(keep)
  }

  /** An object's members, each handed to `member` with the reader at its value. */
  members(member: (key: string) => void): void {
    this.expect(OPEN_OBJECT)
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++
      return
    }
    for (;;) {
      const key = this.string(true)!
      this.expect(COLON)
      member(key)
      const b = this.peek()
      this.pos++
      if (b === CLOSE_OBJECT) return
      if (b !== COMMA) {
        this.pos--
        this.fail("expected ',' or '}'")
      }
    }
  }

  /** An array's elements, `element` called with the reader at each. */
  elements(element: (index: number) => void): void {
    this.expect(OPEN_ARRAY)
    if (this.peek() === CLOSE_ARRAY) {
      this.pos++
      return
    }
    for (let i = 0; ; i++) {
      element(i)
      const b = this.peek()
      this.pos++
      if (b === CLOSE_ARRAY) return
      if (b !== COMMA) {
        this.pos--
        this.fail("expected ',' or ']'")
      }
    }
  }

  /** Skips an object or array, checking its brackets and strings but building nothing. */
  skipContainer(): undefined {
    const stack: Array<number> = []
    for (;;) {
      if (this.pos >= this.end && !this.more()) this.fail("unexpected end of file")
      const b = this.buf[this.pos]!
      if (b === QUOTE) {
        this.string(false)
        continue
      }
      this.pos++
      if (b === OPEN_OBJECT || b === OPEN_ARRAY) stack.push(b === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (stack.pop() !== b) {
          this.pos--
          this.fail(`unexpected '${String.fromCharCode(b)}'`)
        }
        if (stack.length === 0) return undefined
      }
    }
  }
}

/**
 * Streams the named top-level arrays of a JSON file (see the module
 * comment). Returns the names of the fields it found as arrays; a named
 * field that is present but not an array fails.
 *
 * @since 0.1.0
 * @category utils
 */
export const streamJsonArrays = (file: string, arrays: Readonly<Record<string, ArrayPick>>, options: { readonly chunkBytes?: number } = {}): ReadonlySet<string> => {
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch (cause) {
    throw new DataFileMissing({ file, cause })
  }
  const found = new Set<string>()
  try {
    const r = new Reader(file, fd, options.chunkBytes ?? 4 << 20)
    r.members((key) => {
      const pick = Object.hasOwn(arrays, key) ? arrays[key] : undefined
      if (pick === undefined) return void r.value(false)
      if (r.peek() !== OPEN_ARRAY) throw new DataFormatError({ file, reason: `field "${key}" is not an array` })
      found.add(key)
      const wanted = new Set(pick.fields)
      r.elements((index) => {
        if (r.peek() !== OPEN_OBJECT) {
          r.value(false)
          return pick.each({}, index)
        }
        const record: Record<string, unknown> = {}
        r.members((field) => {
          if (wanted.has(field)) record[field] = r.value(true)
          else r.value(false)
        })
        pick.each(record, index)
      })
    })
    for (;;) {
      while (r.pos < r.end && isSpace(r.buf[r.pos]!)) r.pos++
      if (r.pos < r.end) r.fail("unexpected data after the top-level object")
      if (!r.more()) break
    }
    return found
  } finally {
    fs.closeSync(fd)
  }
}

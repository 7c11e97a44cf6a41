/**
 * The tokenizer's failures, as tagged data naming what is at fault (the
 * file and line, the text and its length, the argument, the id). Plain
 * `Error` subclasses too, so the synchronous API throws them.
 *
 * @internal
 */
import { Data } from "effect"

/**
 * The merges file (or the HTML entity table beside it) is missing, unreadable
 * or malformed. `line` is the 1-based line of the merges text at fault.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenizerFileError extends Data.TaggedError("TokenizerFileError")<{
  readonly file: string
  readonly reason: string
  readonly line?: number
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.file}${this.line === undefined ? "" : `:${this.line}`}: ${this.reason}`
  }
}

/**
 * A text does not fit the context length (start and end ids included) and
 * `truncate` was not asked for. `text` is shortened to 60 characters;
 * `characters` is the full length.
 *
 * @since 0.1.0
 * @category errors
 */
export class TextTooLongError extends Data.TaggedError("TextTooLongError")<{
  readonly index: number
  readonly text: string
  readonly characters: number
  readonly tokens: number
  readonly contextLength: number
}> {
  override get message(): string {
    return (
      `tokenize: text ${this.index} (${JSON.stringify(this.text)}, ${this.characters} characters) is ` +
      `${this.tokens} tokens with start and end, over the context length ${this.contextLength}; ` +
      `pass { truncate: true } to keep the first ${this.contextLength}`
    )
  }
}

/**
 * An argument the tokenizer cannot take: a text that is not a string, a
 * context length that is not an integer of at least 2, an option value it
 * does not know. `argument` names it (e.g. `texts[3]`, `contextLength`).
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenizerInputError extends Data.TaggedError("TokenizerInputError")<{
  readonly argument: string
  readonly reason: string
}> {
  override get message(): string {
    return `tokenizer: ${this.argument}: ${this.reason}`
  }
}

/**
 * `decodeTokens` got an id outside the vocabulary (or not an integer);
 * `position` is its index in the array.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenIdError extends Data.TaggedError("TokenIdError")<{
  readonly id: number
  readonly position: number
  readonly vocabSize: number
}> {
  override get message(): string {
    return `decodeTokens: ids[${this.position}] = ${this.id} is not a token id (0 .. ${this.vocabSize - 1})`
  }
}

/**
 * Every failure of this module.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenizerError = TokenizerFileError | TextTooLongError | TokenizerInputError | TokenIdError


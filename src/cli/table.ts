/**
 * Result rows as text for `clipcl results`: the shared table renderer of
 * `src/ui` (as the live view draws tables), column by column.
 *
 * @since 0.1.0
 */
import { renderTable, tableFromRecords } from "../ui/render.js"

/**
 * Rows as a text table. `width` bounds the line length (default: wide
 * enough never to cut a cell).
 *
 * @since 0.1.0
 * @category utils
 */
export const formatTable = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, width = 1000): string =>
  rows.length === 0 ? "(no runs)\n" : renderTable(tableFromRecords(rows), { width })

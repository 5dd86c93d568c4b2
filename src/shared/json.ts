/** JSON helpers every runtime needs (browser, Node relay, Web-API webhook core, journey): pure ES. */

/** The result of {@link parseJson}: the value, or why the text is not JSON. */
export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: string }

/** JSON.parse that reports failure instead of throwing. */
export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `v` when it is a plain object, else an empty one (for reading optional nested objects). */
export function recordOf(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {}
}

/**
 * A pre-parse bound on JSON nesting. V8's `JSON.parse` needs ~80 bytes of memory per open
 * bracket of a deeply nested value (10 MB of `[` peaks at ~800 MiB RSS; the 16 MiB manifest limit
 * at ~1.3 GiB), so untrusted JSON is scanned once before parsing: brackets outside strings
 * (escapes handled) counted, refused past a maximum depth.
 */

/** The index of the first bracket that opens a level deeper than `max`, or -1. Not a validator: JSON.parse still is. */
export function jsonTooDeep(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

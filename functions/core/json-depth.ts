/**
 * The deepest nesting of `[` and `{` outside strings in JSON text, read without parsing it: Node's
 * `JSON.parse` and `JSON.stringify` (and anything recursive that walks the result) overflow the stack near
 * 4,100 levels, so input is measured before it is parsed.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

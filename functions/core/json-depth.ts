/**
 * True when JSON text nests arrays and objects (`[` and `{` outside strings) deeper than `limit`; the root
 * object is level 1. Read without parsing, and stops at the first level over the limit: Node's `JSON.stringify`
 * (and anything recursive that walks a parsed value) overflows the stack near 4,100 levels, so input is
 * measured before it is parsed. Text that is not JSON may pass; the parser that runs next refuses it.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if ((code === 0x5d || code === 0x7d) && depth > 0) depth--;
  }
  return false;
}

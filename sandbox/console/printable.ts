/**
 * Text from the functions' records made safe to print on a terminal. Names, reasons and response excerpts come
 * from users and from the endpoints they point at: an ESC in them would start a control sequence (`\u001b[2J`
 * clears the screen, OSC sequences set the window's title or write links), a carriage return would overwrite
 * the line, a bidirectional override would reorder what follows. Each such character is shown as its escape
 * instead, so the reader sees it was there and nothing acts on it; line breaks and tabs become one space.
 */

/** Line breaks and tabs, with the blanks around them: one space in a one-line rendering. */
const breaks = /\s*[\t\n\v\f\r\u0085\u2028\u2029]\s*/g;

/**
 * Every C0 control, DEL, every C1 control (U+0080–U+009F: U+009B is a one-character CSI to some terminals), and
 * the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its job.
const controls = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` on one line, each control character shown as its escape (`\x1b`, `\u202e`), never sent as it is. */
export function printable(text: string): string {
  return text.replace(breaks, ' ').replace(controls, (control) => {
    const code = control.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** A record with every string in it, at any depth, made {@link printable}; numbers and the rest as they are. */
export function printableRecord<T>(record: T): T {
  return printableValue(record) as T;
}

function printableValue(value: unknown): unknown {
  if (typeof value === 'string') return printable(value);
  if (Array.isArray(value)) return value.map(printableValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, printableValue(inner)]));
  }
  return value;
}

/**
 * Colour for the sandbox's console: whether to use it (the conventions terminals and CI agree on), and the
 * few tones it uses, as ANSI escapes (node:util's styleText decides by itself, from the process's own stdout
 * from Node 22, which a pure line renderer must not).
 */

/** What a part of a line says: went well, will be tried again, went wrong, or a detail. */
export type Tone = 'good' | 'retry' | 'bad' | 'dim';

const codes: Record<Tone, readonly [number, number]> = {
  good: [32, 39],
  retry: [33, 39],
  bad: [31, 39],
  dim: [2, 22],
};

/** `text` in `tone` when colour is on, else as it is. */
export function paint(tone: Tone, text: string, colour: boolean): string {
  if (!colour || text === '') return text;
  const [on, off] = codes[tone];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/**
 * Whether to colour: `FORCE_COLOR` decides when set (`0` or `false` off, anything else on, as Node reads it);
 * then a non-empty `NO_COLOR` turns it off (no-color.org); else only a terminal gets colour, unless it is `dumb`.
 */
export function colourWanted(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

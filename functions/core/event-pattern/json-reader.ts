import { InvalidEventPatternError } from './errors.ts';

/** Kinds of token the reader hands out, named as AWS's JSON parser names them. */
export type TokenKind =
  | 'START_OBJECT'
  | 'END_OBJECT'
  | 'START_ARRAY'
  | 'END_ARRAY'
  | 'FIELD_NAME'
  | 'VALUE_STRING'
  | 'VALUE_NUMBER'
  | 'VALUE_TRUE'
  | 'VALUE_FALSE'
  | 'VALUE_NULL'
  | 'EOF';

interface Token {
  kind: TokenKind;
  /** String content, field name, or the literal text of a number. */
  text: string;
  /** Offset just past the token; for strings, just past the opening quote until the text is read. */
  end: number;
  /** Offset just past the closing quote of a string. */
  fullEnd: number;
}

interface Context {
  kind: 'object' | 'array';
  entries: number;
  start: number;
}

const VALUE_EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const MAX_SOURCE_IN_LOCATION = 500;

/**
 * A streaming JSON reader over a pattern's text that reports errors, and where they are, the way the
 * Jackson parser behind EventBridge does (`at [Source: (String)"..."; line: 1, column: 11]`), so that
 * validation can stop at the same token, with the same message, as AWS.
 */
export class JsonReader {
  private pos = 0;
  private loc = 0;
  private readonly stack: Context[] = [];
  private pending: Token | undefined;
  private current: Token = { kind: 'EOF', text: '', end: 0, fullEnd: 0 };
  private rootDone = false;

  constructor(private readonly source: string) {}

  /** Advances to the next token and returns its kind. */
  next(): TokenKind {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      this.current = pending;
      this.push(pending);
      return pending.kind;
    }
    const token = this.readToken();
    this.current = token;
    this.loc = token.end;
    this.push(token);
    return token.kind;
  }

  /** The text of the current token; reading a string's text moves the location past its closing quote. */
  text(): string {
    if (this.current.kind === 'VALUE_STRING' || this.current.kind === 'FIELD_NAME') {
      if (this.current.kind === 'VALUE_STRING') this.loc = Math.max(this.loc, this.current.fullEnd);
    }
    return this.current.text;
  }

  /** The current token's text as the parser shows it in messages (`]` for an end of array, and so on). */
  displayText(): string {
    switch (this.current.kind) {
      case 'START_OBJECT':
        return '{';
      case 'END_OBJECT':
        return '}';
      case 'START_ARRAY':
        return '[';
      case 'END_ARRAY':
        return ']';
      case 'VALUE_TRUE':
        return 'true';
      case 'VALUE_FALSE':
        return 'false';
      case 'VALUE_NULL':
        return 'null';
      case 'EOF':
        return 'null';
      default:
        return this.text();
    }
  }

  /** Throws the AWS error for `reason`, located at the current token. */
  fail(reason: string): never {
    throw new InvalidEventPatternError(reason, this.location());
  }

  /** The ` at [Source: ...]` suffix for the current location. */
  location(): string {
    return this.locationAt(this.loc);
  }

  private locationAt(offset: number): string {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < this.source.length; i++) {
      if (this.source.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    const shown =
      this.source.length > MAX_SOURCE_IN_LOCATION
        ? `"${this.source.slice(0, MAX_SOURCE_IN_LOCATION)}"[truncated ${this.source.length - MAX_SOURCE_IN_LOCATION} chars]`
        : `"${this.source}"`;
    return `\n at [Source: (String)${shown}; line: ${line}, column: ${offset - lineStart + 1}]`;
  }

  private syntaxError(reason: string, offset: number): never {
    throw new InvalidEventPatternError(reason, this.locationAt(offset));
  }

  private push(token: Token): void {
    if (token.kind === 'START_OBJECT') this.stack.push({ kind: 'object', entries: 0, start: token.end - 1 });
    else if (token.kind === 'START_ARRAY')
      this.stack.push({ kind: 'array', entries: 0, start: token.end - 1 });
    else if (token.kind === 'END_OBJECT' || token.kind === 'END_ARRAY') this.stack.pop();
  }

  private skipWhitespace(): void {
    const s = this.source;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  private readToken(): Token {
    this.skipWhitespace();
    const top = this.stack[this.stack.length - 1];
    if (this.pos >= this.source.length) {
      if (top) {
        const name = top.kind === 'object' ? 'Object' : 'Array';
        const start = this.locationAt(top.start).replace('\n at ', '');
        this.syntaxError(
          `Unexpected end-of-input: expected close marker for ${name} (start marker at ${start})`,
          this.pos,
        );
      }
      return { kind: 'EOF', text: '', end: this.pos, fullEnd: this.pos };
    }
    if (!top) {
      if (this.rootDone) return { kind: 'EOF', text: '', end: this.pos, fullEnd: this.pos };
      this.rootDone = true;
      return this.readValue();
    }
    const c = this.source[this.pos] as string;
    if (top.kind === 'object') {
      if (c === '}') {
        this.pos++;
        return { kind: 'END_OBJECT', text: '}', end: this.pos, fullEnd: this.pos };
      }
      if (top.entries > 0) {
        if (c !== ',') this.unexpected('was expecting comma to separate Object entries');
        this.pos++;
        this.skipWhitespace();
      }
      if (this.source[this.pos] !== '"') {
        if (this.pos >= this.source.length) this.readToken();
        this.unexpected('was expecting double-quote to start field name');
      }
      const name = this.readString();
      this.skipWhitespace();
      if (this.source[this.pos] !== ':') {
        if (this.pos >= this.source.length) this.readToken();
        this.unexpected('was expecting a colon to separate field name and value');
      }
      this.pos++;
      this.skipWhitespace();
      top.entries++;
      // The parser reads the value's first token together with the field name.
      const value = this.readValue();
      this.pending = value;
      return { kind: 'FIELD_NAME', text: name, end: value.end, fullEnd: value.end };
    }
    if (c === ']') {
      this.pos++;
      return { kind: 'END_ARRAY', text: ']', end: this.pos, fullEnd: this.pos };
    }
    if (top.entries > 0) {
      if (c !== ',') this.unexpected('was expecting comma to separate Array entries');
      this.pos++;
    }
    top.entries++;
    return this.readValue();
  }

  private readValue(): Token {
    this.skipWhitespace();
    if (this.pos >= this.source.length) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return { kind: 'EOF', text: '', end: this.pos, fullEnd: this.pos };
      this.readToken();
    }
    const c = this.source[this.pos] as string;
    const start = this.pos;
    switch (c) {
      case '{':
        this.pos++;
        return { kind: 'START_OBJECT', text: '{', end: this.pos, fullEnd: this.pos };
      case '[':
        this.pos++;
        return { kind: 'START_ARRAY', text: '[', end: this.pos, fullEnd: this.pos };
      case '"': {
        const text = this.readString();
        return { kind: 'VALUE_STRING', text, end: start + 1, fullEnd: this.pos };
      }
      case 't':
      case 'f':
      case 'n': {
        const word = this.readWord();
        const kind =
          word === 'true'
            ? 'VALUE_TRUE'
            : word === 'false'
              ? 'VALUE_FALSE'
              : word === 'null'
                ? 'VALUE_NULL'
                : null;
        if (!kind)
          this.syntaxError(`Unrecognized token '${word}': was expecting ${VALUE_EXPECTED}`, this.pos);
        return { kind, text: word, end: this.pos, fullEnd: this.pos };
      }
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.readNumber();
        if (isIdentifierPart(c)) {
          const word = this.readWord();
          this.syntaxError(`Unrecognized token '${word}': was expecting ${VALUE_EXPECTED}`, this.pos);
        }
        this.unexpected(`expected a valid value ${VALUE_EXPECTED}`);
    }
  }

  private readWord(): string {
    const start = this.pos;
    while (this.pos < this.source.length && isIdentifierPart(this.source[this.pos] as string)) this.pos++;
    return this.source.slice(start, this.pos);
  }

  private readNumber(): Token {
    const s = this.source;
    const start = this.pos;
    if (s[this.pos] === '-') this.pos++;
    const intStart = this.pos;
    while (this.pos < s.length && isDigit(s[this.pos])) this.pos++;
    if (this.pos === intStart) {
      this.unexpected('expected digit (0-9) to follow minus sign, for valid numeric value');
    }
    if (this.pos - intStart > 1 && s[intStart] === '0') {
      this.syntaxError('Invalid numeric value: Leading zeroes not allowed', intStart + 1);
    }
    if (s[this.pos] === '.') {
      this.pos++;
      const fracStart = this.pos;
      while (this.pos < s.length && isDigit(s[this.pos])) this.pos++;
      if (this.pos === fracStart) this.unexpected('Decimal point not followed by a digit');
    }
    if (s[this.pos] === 'e' || s[this.pos] === 'E') {
      this.pos++;
      if (s[this.pos] === '+' || s[this.pos] === '-') this.pos++;
      const expStart = this.pos;
      while (this.pos < s.length && isDigit(s[this.pos])) this.pos++;
      if (this.pos === expStart) this.unexpected('Exponent indicator not followed by a digit');
    }
    const text = s.slice(start, this.pos);
    return { kind: 'VALUE_NUMBER', text, end: this.pos, fullEnd: this.pos };
  }

  private readString(): string {
    const s = this.source;
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    while (true) {
      if (this.pos >= s.length) {
        this.syntaxError('Unexpected end-of-input: was expecting closing quote for a string value', this.pos);
      }
      const code = s.charCodeAt(this.pos);
      if (code === 34) {
        out += s.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (code < 32) {
        this.syntaxError(
          `Illegal unquoted character (${charDescription(code)}): has to be escaped using backslash to be included in string value`,
          this.pos,
        );
      }
      if (code === 92) {
        out += s.slice(chunkStart, this.pos);
        const escaped = s[this.pos + 1];
        this.pos += 2;
        switch (escaped) {
          case '"':
          case '\\':
          case '/':
            out += escaped;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.syntaxError(
                'Unexpected character: expected a hex-digit for character escape sequence',
                this.pos,
              );
            }
            out += String.fromCharCode(Number.parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default: {
            if (escaped === undefined) {
              this.syntaxError('Unexpected end-of-input in character escape sequence', this.pos);
            }
            this.syntaxError(
              `Unrecognized character escape ${charDescription(escaped.charCodeAt(0))}`,
              this.pos,
            );
          }
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private unexpected(expectation: string): never {
    const code = this.source.codePointAt(this.pos) ?? 0;
    this.syntaxError(`Unexpected character (${charDescription(code)}): ${expectation}`, this.pos);
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentifierPart(c: string): boolean {
  return /[\p{L}\p{N}_$]/u.test(c);
}

function charDescription(code: number): string {
  if (code < 32) return `(CTRL-CHAR, code ${code})`;
  const c = String.fromCodePoint(code);
  if (code > 255) return `'${c}' (code ${code} / 0x${code.toString(16)})`;
  return `'${c}' (code ${code})`;
}

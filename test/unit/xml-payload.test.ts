import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { eventTypeDocuments, testEventTypeDocument } from '#core/events/event-types.ts';
import { maxXmlDepth, toXml, XmlPayloadError, xmlContentType } from '#core/payloads/xml-payload.ts';

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
const root = '<webhook xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">';

/** The XML body of an envelope whose `data` is `data`, without the declaration and root element. */
function dataXml(data: Record<string, unknown>): string {
  const xml = toXml({ id: 'evt_1', data });
  const start = `${declaration}${root}<id>evt_1</id>`;
  expect(xml.startsWith(start)).toBe(true);
  expect(xml.endsWith('</webhook>')).toBe(true);
  return xml.slice(start.length, -'</webhook>'.length);
}

// A receiver's decoder for the documented mapping, on a general-purpose XML parser.

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  // Decodes character references (`&#xD;`) as well as the five predefined entities.
  htmlEntities: true,
  maxNestedTags: 1000,
});

type ParsedNode = Record<string, unknown>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const nameOf = (node: ParsedNode): string => Object.keys(node).find((key) => key !== ':@') ?? '';
const attributesOf = (node: ParsedNode) => (node[':@'] ?? {}) as Record<string, string>;

function memberName(element: ParsedNode): string {
  const { key, 'key-encoding': keyEncoding } = attributesOf(element);
  if (key === undefined) return nameOf(element);
  return keyEncoding === 'json' ? (JSON.parse(key) as string) : key;
}

function decode(element: ParsedNode): Json {
  const children = element[nameOf(element)] as ParsedNode[];
  const elements = children.filter((child) => nameOf(child) !== '#text');
  const text = children.map((child) => child['#text'] ?? '').join('');
  const attributes = attributesOf(element);
  const members = () => Object.fromEntries(elements.map((child) => [memberName(child), decode(child)]));
  if (attributes['xsi:nil'] === 'true') return null;
  switch (attributes.type) {
    case 'number':
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new Error(`not a boolean: ${text}`);
      return text === 'true';
    case 'array':
      return elements.map(decode);
    case 'object':
      return members();
    case undefined:
      if (elements.length > 0) return members();
      return attributes.encoding === 'json' ? (JSON.parse(text) as string) : text;
    default:
      throw new Error(`unknown type ${attributes.type}`);
  }
}

/** The JSON an XML body stands for. */
function fromXml(xml: string): Json {
  const roots = (parser.parse(xml) as ParsedNode[]).filter((node) => nameOf(node) !== '?xml');
  expect(roots.map(nameOf)).toEqual(['webhook']);
  return decode(roots[0] as ParsedNode);
}

// fast-xml-parser's validator is lenient (it accepts U+0000 or `<` in an attribute), so the bodies are also
// checked against the grammar the encoder promises: XML 1.0 characters only, the eight references, no raw `>`
// or CR in text, no raw tab, LF or CR in attributes, balanced tags, unique attributes, one root.

const xmlChars = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const reference = '&(?:amp|lt|gt|quot|apos|#x9|#xA|#xD);';
const xmlName = '[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?';
const startTag = `<(${xmlName})((?: ${xmlName}="(?:[^<&"\\t\\n\\r]|${reference})*")*)(/?)>`;
const endTag = `</(${xmlName})>`;
const characterData = `((?:[^<&>\\r]|${reference})+)`;
const token = new RegExp(`${startTag}|${endTag}|${characterData}`, 'y');

function expectWellFormed(xml: string): void {
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(xmlChars.test(xml)).toBe(true);
  expect(xml.startsWith(declaration)).toBe(true);
  const body = xml.slice(declaration.length);
  const open: string[] = [];
  let roots = 0;
  token.lastIndex = 0;
  while (token.lastIndex < body.length) {
    const at = token.lastIndex;
    const match = token.exec(body);
    if (match === null) throw new Error(`not well-formed at ${at}: ${body.slice(at, at + 40)}`);
    const [, start, attributes = '', selfClosing, end, text] = match;
    if (start !== undefined) {
      const names = [...attributes.matchAll(/ ([^=]+)="/g)].map((m) => m[1]);
      expect(new Set(names).size).toBe(names.length);
      if (open.length === 0) roots++;
      if (selfClosing === '') open.push(start);
    } else if (end !== undefined) {
      expect(open.pop()).toBe(end);
    } else {
      expect(open.length > 0 && text !== undefined).toBe(true);
    }
  }
  expect(open).toEqual([]);
  expect(roots).toBe(1);
}

/** Asserts that `envelope` becomes well-formed XML that decodes to its JSON. */
function expectRoundTrip(envelope: unknown): string {
  const xml = toXml(envelope);
  expectWellFormed(xml);
  expect(fromXml(xml)).toEqual(JSON.parse(JSON.stringify(envelope)));
  return xml;
}

describe('the XML payload', () => {
  it('is sent as application/xml', () => {
    expect(xmlContentType).toBe('application/xml');
  });

  it.each([...eventTypeDocuments(), testEventTypeDocument()].map((document) => [document.type, document]))(
    'carries the %s example as well-formed XML that decodes to the same JSON',
    (_type, document) => {
      expectRoundTrip(document.example);
    },
  );

  it('writes an order envelope in the documented form', () => {
    const envelope = {
      id: 'evt_01m8e71ts07jzxh5cbdrd06z1m',
      type: 'order.created',
      occurred_at: '2026-11-27T09:58:12Z',
      data: {
        id: 'ord_01JD4X7K2M',
        status: 'Initiated',
        totals: { total: '32.39' },
        line_items: [{ sku: 'MUG-BLUE', quantity: 2, gift: false }],
        shipments: [],
        cancelled_at: null,
      },
    };

    expect(expectRoundTrip(envelope)).toBe(
      `${declaration}${root}<id>evt_01m8e71ts07jzxh5cbdrd06z1m</id><type>order.created</type>` +
        '<occurred_at>2026-11-27T09:58:12Z</occurred_at>' +
        '<data><id>ord_01JD4X7K2M</id><status>Initiated</status>' +
        '<totals><total>32.39</total></totals><line_items type="array"><item><sku>MUG-BLUE</sku>' +
        '<quantity type="number">2</quantity><gift type="boolean">false</gift></item></line_items>' +
        '<shipments type="array"/><cancelled_at xsi:nil="true"/></data></webhook>',
    );
  });

  it('tells strings, numbers, booleans, null, empty and one-item arrays and empty objects apart', () => {
    const data = {
      s42: '42',
      n42: 42,
      strue: 'true',
      btrue: true,
      snull: 'null',
      nil: null,
      empty: '',
      obj: {},
      arr: [],
      one: [{ a: 1 }],
      single: { a: 1 },
      nested: [[], {}, [null]],
      numbers: [-0.5, 1e21, 5e-324, -0],
    };

    expect(dataXml(data)).toBe(
      '<data><s42>42</s42><n42 type="number">42</n42><strue>true</strue><btrue type="boolean">true</btrue>' +
        '<snull>null</snull><nil xsi:nil="true"/><empty/><obj type="object"/><arr type="array"/>' +
        '<one type="array"><item><a type="number">1</a></item></one><single><a type="number">1</a></single>' +
        '<nested type="array"><item type="array"/><item type="object"/>' +
        '<item type="array"><item xsi:nil="true"/></item></nested>' +
        '<numbers type="array"><item type="number">-0.5</item><item type="number">1e+21</item>' +
        '<item type="number">5e-324</item><item type="number">0</item></numbers></data>',
    );
    expectRoundTrip({ id: 'evt_1', data });
  });

  it('escapes markup in text and keeps every quote as it is', () => {
    const data = { s: ' <a href="x">&amp;</a> it\'s ]]> ' };

    expect(dataXml(data)).toBe(`<data><s> &lt;a href="x"&gt;&amp;amp;&lt;/a&gt; it's ]]&gt; </s></data>`);
    expectRoundTrip({ id: 'evt_1', data });
  });

  it.each([
    ['leading and trailing spaces', '  padded  '],
    ['only a space', ' '],
    ['only a line feed', '\n'],
    ['tabs and line feeds', '\tline 1\n\tline 2\n'],
    ['CRLF', 'line 1\r\nline 2'],
    ['a lone CR', 'a\rb'],
    ['a reference written as text', '&#xD; &lt; &amp;'],
  ])('keeps whitespace and text exactly: %s', (_case, text) => {
    const xml = expectRoundTrip({ id: 'evt_1', data: { text } });

    expect(xml).not.toContain('\r');
  });

  it('writes CR as a character reference, so XML end-of-line handling cannot turn it into LF', () => {
    expect(dataXml({ text: 'a\r\nb' })).toBe('<data><text>a&#xD;\nb</text></data>');
  });

  it.each([
    '',
    ' ',
    'a b',
    '1st',
    '-x',
    '.x',
    'a:b',
    'x<y',
    'a"b',
    "it's",
    'a&b',
    'tab\tkey',
    'line\nkey',
    'cr\rkey',
    'é',
    'prénom',
    'ключ',
    '😀',
    'e\u0301',
    'xml',
    'XML_id',
    'xmlns',
    'xMl-thing',
    '#text',
    ':@',
    '?xml',
    '@_id',
  ])('sends the key %j, which is not a plain XML name, as an entry', (key) => {
    const envelope = { id: 'evt_1', data: { [key]: 'value' } };
    const xml = expectRoundTrip(envelope);

    expect(xml).toMatch(/<data><entry key="[^"]*">value<\/entry><\/data>/);
  });

  it('escapes quotes, markup, tabs and line breaks in an entry key', () => {
    expect(dataXml({ 'a "q" & <t>\t\n\r\'': 1 })).toBe(
      '<data><entry key="a &quot;q&quot; &amp; &lt;t&gt;&#x9;&#xA;&#xD;&apos;" type="number">1</entry>' +
        '</data>',
    );
  });

  it.each([
    'a',
    '_',
    'A1',
    'line_items',
    'a-b',
    'a.b',
    'x',
    'xm',
    'xm_l',
    'hello_xml',
    'item',
    'entry',
    'key',
    'type',
    'encoding',
  ])('uses the key %j as the element name', (key) => {
    const xml = expectRoundTrip({ id: 'evt_1', data: { [key]: 'value' } });

    expect(xml).toContain(`<data><${key}>value</${key}></data>`);
  });

  it('reads a key attribute as the member name, even on an element named after another member', () => {
    const data = { entry: 'plain', 'entry ': 'spaced', item: [{ item: 1 }] };

    expect(dataXml(data)).toBe(
      '<data><entry>plain</entry><entry key="entry ">spaced</entry>' +
        '<item type="array"><item><item type="number">1</item></item></item></data>',
    );
    expectRoundTrip({ id: 'evt_1', data });
  });

  it('sends prototype keys as entries, which decode to own members and pollute nothing', () => {
    const envelope = JSON.parse(
      '{"id":"evt_1","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},' +
        '"toString":"x","hasOwnProperty":1,"valueOf":null}}',
    );
    const xml = expectRoundTrip(envelope);

    expect(xml).not.toMatch(/<(__proto__|constructor|prototype|toString|hasOwnProperty|valueOf)\b/);
    expect(xml).toContain('<entry key="__proto__"><polluted type="boolean">true</polluted></entry>');
    const decoded = fromXml(xml) as { data: object };
    expect(Object.keys(decoded.data)).toEqual([
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
    ]);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    // A receiver on fast-xml-parser's default object form can read it too (it refuses `<constructor>`).
    expect(() => new XMLParser({ ignoreAttributes: false }).parse(xml)).not.toThrow();
  });

  it.each([
    ['NUL', '\u0000'],
    ['a C0 control', '\u0008'],
    ['vertical tab', '\u000B'],
    ['form feed', '\u000C'],
    ['shift out', '\u000E'],
    ['unit separator', '\u001F'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate', '\uDC00'],
    ['a high surrogate before a letter', '\uDBFFA'],
    ['a low surrogate before a high one', '\uDE00\uD83D'],
  ])('sends a string with %s, which XML 1.0 cannot carry, as a JSON literal', (_case, character) => {
    const text = `a${character}b <&>"`;
    const xml = expectRoundTrip({ id: 'evt_1', data: { text, [`key${character}`]: text } });

    expect(xml).toContain('<text encoding="json">"a');
    expect(xml).toMatch(/<entry key="&quot;key[^"]+&quot;" key-encoding="json" encoding="json">/);
  });

  it('writes the JSON literal with JSON escapes and XML escapes', () => {
    expect(dataXml({ note: 'a\u0000b\uFFFF\uD800 & "c"' })).toBe(
      '<data><note encoding="json">"a\\u0000b\\uffff\\ud800 &amp; \\"c\\""</note></data>',
    );
  });

  it.each([
    ['tab', '\t'],
    ['DEL', '\u007F'],
    ['a C1 control', '\u0085'],
    ['line separator', '\u2028'],
    ['byte order mark', '\uFEFF'],
    ['U+FFFD', '\uFFFD'],
    ['an astral character', '😀'],
    ['the last code point', '\u{10FFFF}'],
  ])('sends %s, which XML 1.0 allows, as text', (_case, character) => {
    const xml = expectRoundTrip({ id: 'evt_1', data: { text: `a${character}b` } });

    expect(xml).toContain(`<text>a${character}b</text>`);
  });

  it('leaves out members whose value is undefined, as JSON does', () => {
    expect(dataXml({ a: undefined, b: 1 })).toBe('<data><b type="number">1</b></data>');
  });

  it(`accepts objects and arrays nested ${maxXmlDepth} levels below the envelope`, () => {
    let data: unknown = {};
    for (let containers = 1; containers < maxXmlDepth; containers++) {
      data = containers % 2 === 0 ? { a: data } : [data];
    }

    const xml = expectRoundTrip({ id: 'evt_1', data });
    expect(xml.match(/type="array"/g)).toHaveLength(maxXmlDepth / 2);
  });

  it(`refuses objects and arrays nested deeper than ${maxXmlDepth} levels, and cycles`, () => {
    let data: Record<string, unknown> = {};
    for (let level = 1; level <= maxXmlDepth; level++) data = { a: data };
    const cyclic: Record<string, unknown> = { id: 'evt_1' };
    cyclic.data = cyclic;

    expect(() => toXml({ id: 'evt_1', data })).toThrow(
      new XmlPayloadError(`data${'.a'.repeat(maxXmlDepth)} nests objects and arrays deeper than 100 levels`),
    );
    expect(() => toXml(cyclic)).toThrow(XmlPayloadError);
  });

  it.each([
    ['NaN', Number.NaN, 'data.value is NaN, which JSON has no form for'],
    ['Infinity', Number.POSITIVE_INFINITY, 'data.value is Infinity, which JSON has no form for'],
    ['a bigint', 10n, 'data.value is a bigint, not JSON'],
    ['a function', () => 1, 'data.value is a function, not JSON'],
    ['a symbol', Symbol('s'), 'data.value is a symbol, not JSON'],
    ['a Date', new Date(0), 'data.value is a Date object, not JSON'],
    ['a Map', new Map(), 'data.value is a Map object, not JSON'],
    ['undefined in an array', [1, undefined], 'data.value[1] is undefined, not JSON'],
    ['an odd key', { 'a b': Number.NaN }, 'data.value["a b"] is NaN, which JSON has no form for'],
  ])('refuses %s, naming where it is', (_case, value, message) => {
    expect(() => toXml({ id: 'evt_1', data: { value } })).toThrow(new XmlPayloadError(message));
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', '{}'],
    ['a Date', new Date(0)],
  ])('refuses an envelope that is %s', (_case, envelope) => {
    expect(() => toXml(envelope)).toThrow(new XmlPayloadError('the envelope must be a JSON object'));
  });

  it('writes an envelope without members as an empty object', () => {
    expect(toXml({})).toBe(
      `${declaration}<webhook xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" type="object"/>`,
    );
    expect(fromXml(toXml({}))).toEqual({});
  });
});

describe('the XML payload, for any JSON', () => {
  // Single characters that XML treats specially, cannot carry, or normalizes, mixed with arbitrary ones.
  const awkward = fc.constantFrom(
    ' ',
    '\t',
    '\n',
    '\r',
    '\r\n',
    '&',
    '<',
    '>',
    '"',
    "'",
    ']]>',
    '&amp;',
    '&#xD;',
    '\u0000',
    '\u0001',
    '\u000B',
    '\u001F',
    '\u007F',
    '\u0085',
    '\u2028',
    '\uFEFF',
    '\uFFFE',
    '\uFFFF',
    '\uD800',
    '\uDFFF',
    'e\u0301',
    ':',
    'xml',
  );
  const one = (unit: 'grapheme' | 'binary' | 'binary-ascii') =>
    fc.string({ unit, minLength: 1, maxLength: 1 });
  const unit = fc.oneof(awkward, one('grapheme'), one('binary'), one('binary-ascii'));
  const text = fc.string({ unit, maxLength: 12 });
  const key = fc.oneof(
    text,
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'item',
      'entry',
      'key',
      'type',
      'a1',
    ),
  );
  const json = fc.jsonValue({ maxDepth: 5, stringUnit: unit });
  const state = fc.dictionary(key, fc.oneof(json, text), { maxKeys: 8 });
  const envelope = fc.record(
    {
      id: text,
      type: fc.constantFrom('order.created', 'shipment.delivered', 'webhook.test'),
      occurred_at: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      data: state,
      previous: state,
      extra: json,
    },
    { requiredKeys: ['id', 'type', 'occurred_at', 'data'] },
  );

  it('is always well-formed and decodes to the same JSON', () => {
    fc.assert(
      fc.property(envelope, (value) => {
        expectRoundTrip(value);
      }),
      { numRuns: 500 },
    );
  });
});

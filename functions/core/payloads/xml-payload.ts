/*
 * The webhook body for subscriptions whose format is `xml`: the same envelope as the JSON body, as XML 1.0,
 * built with fast-xml-parser's `XMLBuilder` in its ordered mode. The builder only concatenates: names,
 * attributes and escaping are decided here, so that every body is well-formed and decodes back to exactly the
 * JSON the envelope is.
 */
import { XMLBuilder, type XmlBuilderOptions } from 'fast-xml-parser';

/** The `Content-Type` of an XML webhook body; the body is UTF-8, as its declaration says. */
export const xmlContentType = 'application/xml';

/** The namespace of `xsi:nil`, declared on the root element of every body. */
export const xmlSchemaInstanceNamespace = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * How deep objects and arrays may nest below the envelope (`data` is level 1). The API bounds nesting at 64;
 * this bound only keeps a malformed event from recursing without end (a cycle hits it too).
 */
export const maxXmlDepth = 100;

/** An envelope that has no XML form: not a JSON object, a value JSON has no form for, or nested too deep. */
export class XmlPayloadError extends Error {
  override name = 'XmlPayloadError';
}

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
const rootName = 'webhook';
/** The element of a member whose key is not used as an element name. */
const entryName = 'entry';
/** The element of each value in an array. */
const itemName = 'item';

/**
 * The names of `Object.prototype`'s members, and `prototype`: XML-to-object converters on the receiving side
 * would write them onto a prototype, refuse them (fast-xml-parser throws on `<constructor>`) or rename them
 * (`<toString>` becomes `__toString`), so they are always sent as `<entry key="...">`.
 */
const prototypeKeys = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * A key that is sent as the element name: ASCII letters, digits, `_`, `-` and `.`, not starting with a
 * digit, `-` or `.`, and not starting with `xml` in any case (reserved by the XML specification). A subset of
 * XML 1.0's `Name` without `:`, so every XML parser, namespace-aware or not, reads it the same way.
 */
const elementNamePattern = /^(?![Xx][Mm][Ll])[A-Za-z_][A-Za-z0-9_.-]*$/;

function isElementName(key: string): boolean {
  return elementNamePattern.test(key) && !prototypeKeys.has(key);
}

/**
 * Whether `text` has a code unit that XML 1.0 cannot carry in any form, not even as a character reference:
 * C0 controls other than tab, line feed and carriage return; U+FFFE and U+FFFF; a surrogate not in a pair.
 */
function hasNonXmlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20) {
      if (unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) return true;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (unit === 0xfffe || unit === 0xffff) {
      return true;
    }
  }
  return false;
}

/**
 * A JSON string literal (quotes included) for `text` that uses only XML characters: `JSON.stringify` already
 * escapes controls and lone surrogates; U+FFFE and U+FFFF are escaped here.
 */
function jsonLiteral(text: string): string {
  return JSON.stringify(text).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

const textEscapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  // A literal CR would reach the receiver as LF (XML end-of-line handling); a reference keeps it.
  '\r': '&#xD;',
};
const attributeEscapes: Readonly<Record<string, string>> = {
  ...textEscapes,
  '"': '&quot;',
  "'": '&apos;',
  // Attribute-value normalization would turn these into spaces; references keep them.
  '\t': '&#x9;',
  '\n': '&#xA;',
};

/** Character data: `&`, `<`, `>` (so `]]>` never appears) and CR as references; everything else as is. */
function escapeText(text: string): string {
  return /[&<>\r]/.test(text) ? text.replace(/[&<>\r]/g, (c) => textEscapes[c] ?? c) : text;
}

/** A double-quoted attribute value: as `escapeText`, plus both quotes, tab and line feed. */
function escapeAttribute(text: string): string {
  return /[&<>"'\t\n\r]/.test(text) ? text.replace(/[&<>"'\t\n\r]/g, (c) => attributeEscapes[c] ?? c) : text;
}

const builderOptions = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  format: false,
  suppressEmptyNode: true,
  // Never write an attribute bare (`<x nil>`), which is not XML; values here are strings, so this is a guard.
  suppressBooleanAttributes: false,
  // Escaping is done by the two processors, each with the rules of its context (the builder's own entity pass
  // would use one rule for both and leave CR, tab and line feed to be normalized away).
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeText(String(value)),
  attributeValueProcessor: (_name: string, value: unknown) => escapeAttribute(String(value)),
  // The depth is checked (with a better message) before the builder is called.
  maxNestedTags: maxXmlDepth + 4,
  // Names are chosen above; should one ever be invalid, fail rather than send ill-formed XML.
  sanitizeName: (name: string): string => {
    throw new XmlPayloadError(`${JSON.stringify(name)} is not an XML name`);
  },
} satisfies XmlBuilderOptions & { sanitizeName: (name: string) => string };

const builder = new XMLBuilder(builderOptions);

/** A node of the builder's ordered form: `{ [name]: children, ':@': attributes }` or `{ '#text': text }`. */
type OrderedNode = Record<string, unknown>;
type Attributes = Record<string, string>;
type Path = (string | number)[];

function pathOf(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? 'the envelope' : text;
}

function refuse(path: Path, problem: string): never {
  throw new XmlPayloadError(`${pathOf(path)} ${problem}`);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function node(name: string, attributes: Attributes | undefined, children: OrderedNode[]): OrderedNode {
  // A computed key makes an own property even for a name like `__proto__`.
  return attributes === undefined ? { [name]: children } : { [name]: children, ':@': attributes };
}

/** `attributes` (the member's key, if any: a fresh object) with one more. */
function plus(attributes: Attributes | undefined, name: string, value: string): Attributes {
  if (attributes === undefined) return { [name]: value };
  attributes[name] = value;
  return attributes;
}

function textChildren(text: string): OrderedNode[] {
  return text === '' ? [] : [{ '#text': text }];
}

/** The element `name` for `value`; `attributes` (the member's key, if any) come first. */
function valueNode(
  name: string,
  attributes: Attributes | undefined,
  value: unknown,
  path: Path,
  depth: number,
): OrderedNode {
  switch (typeof value) {
    case 'string':
      return hasNonXmlChar(value)
        ? node(name, plus(attributes, 'encoding', 'json'), textChildren(jsonLiteral(value)))
        : node(name, attributes, textChildren(value));
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `is ${value}, which JSON has no form for`);
      return node(name, plus(attributes, 'type', 'number'), textChildren(String(value)));
    case 'boolean':
      return node(name, plus(attributes, 'type', 'boolean'), textChildren(value ? 'true' : 'false'));
    case 'object': {
      if (value === null) return node(name, plus(attributes, 'xsi:nil', 'true'), []);
      if (depth > maxXmlDepth) refuse(path, `nests objects and arrays deeper than ${maxXmlDepth} levels`);
      if (Array.isArray(value)) {
        const items: OrderedNode[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          items[i] = valueNode(itemName, undefined, value[i], path, depth + 1);
          path.pop();
        }
        return node(name, plus(attributes, 'type', 'array'), items);
      }
      if (!isPlainObject(value)) {
        refuse(path, `is a ${value.constructor?.name ?? 'non-plain'} object, not JSON`);
      }
      const members = membersOf(value, path, depth + 1);
      return node(name, members.length === 0 ? plus(attributes, 'type', 'object') : attributes, members);
    }
    default:
      return refuse(path, `is ${value === undefined ? 'undefined' : `a ${typeof value}`}, not JSON`);
  }
}

/** One element per own enumerable member, in order; a member whose value is `undefined` is left out. */
function membersOf(object: Record<string, unknown>, path: Path, depth: number): OrderedNode[] {
  const members: OrderedNode[] = [];
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === undefined) continue;
    path.push(key);
    if (isElementName(key)) members.push(valueNode(key, undefined, value, path, depth));
    else {
      const attributes: Attributes = hasNonXmlChar(key)
        ? { key: jsonLiteral(key), 'key-encoding': 'json' }
        : { key };
      members.push(valueNode(entryName, attributes, value, path, depth));
    }
    path.pop();
  }
  return members;
}

/**
 * The XML webhook body for an envelope (`{ id, type, occurred_at, data, previous? }`, or any JSON object):
 * the same data as its JSON body, in a mapping a receiver can decode back to exactly that JSON.
 *
 * The body is `<?xml version="1.0" encoding="UTF-8"?>` and one root element, `<webhook>`, which declares
 * `xmlns:xsi` and holds the envelope's members. No whitespace is added between elements. A value is one
 * element:
 *
 * - **object**: one child element per member, in order. A key made of ASCII letters, digits, `_`, `-`, `.`
 *   that does not start with a digit, `-`, `.` or `xml` (any case) is the element's name: `<status>`. Any
 *   other key (empty, with a space, `:` or non-ASCII letters, `xml...`), and the names of
 *   `Object.prototype`'s members and `prototype` (`__proto__`, `constructor`, `toString`...), go in
 *   `<entry key="the key">`. A `key` attribute, where there is one, is always the member's name. An object
 *   with no members (the root included) is `<x type="object"/>`.
 * - **array**: `type="array"`, one `<item>` per value, in order: `<line_items type="array"><item>…</item>
 *   </line_items>`, so a one-item array is never confused with an object; `[]` is `<x type="array"/>`.
 * - **string**: its text, exactly; no attribute. `""` is `<x/>`. Leading, trailing and inner whitespace are
 *   content (decode without trimming); CR is sent as `&#xD;` so it survives XML's end-of-line handling.
 * - **number**: `type="number"`, the text JSON would write (`2`, `0.9`, `1e+21`). Decimal strings such as
 *   `"24.00"` are strings in JSON and stay strings here.
 * - **boolean**: `type="boolean"`, `true` or `false`.
 * - **null**: `xsi:nil="true"`, no content.
 *
 * A string or key holding a character XML 1.0 cannot carry at all (controls other than tab, LF, CR; U+FFFE,
 * U+FFFF; a lone surrogate) is sent as a JSON string literal instead, marked `encoding="json"` on the
 * element (`key-encoding="json"` for a key): `<note encoding="json">"a\u0000b"</note>`; decode it with any
 * JSON parser. The only references used are `&amp; &lt; &gt; &quot; &apos; &#x9; &#xA; &#xD;`, so any XML
 * 1.0 parser reads the body.
 *
 * @param envelope - A JSON object: plain objects, arrays, strings, finite numbers, booleans and null.
 *   Members whose value is `undefined` are left out, as `JSON.stringify` does.
 * @throws {@link XmlPayloadError} if it is not a JSON object, holds a value JSON has no form for (NaN, a
 *   bigint, a Date, `undefined` in an array...), or nests objects and arrays more than {@link maxXmlDepth}
 *   levels below the envelope.
 */
export function toXml(envelope: unknown): string {
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    Array.isArray(envelope) ||
    !isPlainObject(envelope)
  ) {
    throw new XmlPayloadError('the envelope must be a JSON object');
  }
  const members = membersOf(envelope, [], 1);
  const attributes: Attributes = { 'xmlns:xsi': xmlSchemaInstanceNamespace };
  if (members.length === 0) attributes.type = 'object';
  return declaration + builder.build([node(rootName, attributes, members)]);
}

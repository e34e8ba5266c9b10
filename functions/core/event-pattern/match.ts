import { type FieldMatcher, type Leaf, matchesLeaf } from './operators.ts';
import type { Branch } from './parse.ts';

/** A node of a compiled branch: the condition on this path, if any, and the fields below it. */
export interface PatternNode {
  matcher: FieldMatcher | undefined;
  readonly children: ChildNode[];
}

interface ChildNode {
  readonly key: string;
  /** The key names an `Object.prototype` member, so a lookup must check own properties. */
  readonly guarded: boolean;
  readonly node: PatternNode;
}

type JsonObject = Record<string, unknown>;

const EMPTY: JsonObject = Object.freeze(Object.create(null));
const dottedKeysCache = new WeakMap<object, string[]>();

/**
 * Turns a branch (dotted path -> condition) into a tree. Paths are split on `.`, because AWS joins field
 * names with `.` and so treats `{"a.b": ...}` and `{"a": {"b": ...}}` alike, in patterns and in events.
 */
export function buildTree(branch: Branch): PatternNode {
  const root: PatternNode = { matcher: undefined, children: [] };
  for (const [path, matcher] of branch) {
    let node = root;
    for (const key of path.split('.')) {
      let child = node.children.find((c) => c.key === key);
      if (!child) {
        child = { key, guarded: key in Object.prototype, node: { matcher: undefined, children: [] } };
        node.children.push(child);
      }
      node = child.node;
    }
    node.matcher = matcher;
  }
  return root;
}

/** True when the event (any JSON value, normally an object) satisfies the branch. */
export function matchesTree(root: PatternNode, event: unknown): boolean {
  return matchChildren(root, event);
}

function matchNode(node: PatternNode, value: unknown): boolean {
  if (node.matcher && !matchField(node.matcher, value)) return false;
  return node.children.length === 0 || matchChildren(node, value);
}

/**
 * Fields below a node are matched against one object. When the value is an array, some one element must
 * match all of them together (fields from different elements of one array never combine, as in AWS).
 */
function matchChildren(node: PatternNode, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return matchFields(node, EMPTY);
  if (!Array.isArray(value)) return matchFields(node, value as JsonObject);
  const found = matchElements(node, value);
  return found === undefined ? matchFields(node, EMPTY) : found;
}

/** true: an object element matched; false: there were objects, none matched; undefined: no objects. */
function matchElements(node: PatternNode, array: unknown[]): boolean | undefined {
  let sawObject = false;
  for (let i = 0; i < array.length; i++) {
    const element = array[i];
    if (element === null || typeof element !== 'object') continue;
    if (Array.isArray(element)) {
      const nested = matchElements(node, element);
      if (nested) return true;
      if (nested === false) sawObject = true;
      continue;
    }
    if (matchFields(node, element as JsonObject)) return true;
    sawObject = true;
  }
  return sawObject ? false : undefined;
}

function matchFields(node: PatternNode, object: JsonObject): boolean {
  const children = node.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i] as ChildNode;
    if (!matchNode(child.node, lookup(object, child))) return false;
  }
  return true;
}

function lookup(object: JsonObject, child: ChildNode): unknown {
  const value = object[child.key];
  if (value !== undefined && (!child.guarded || Object.hasOwn(object, child.key))) return value;
  return dottedLookup(object, child.key);
}

/** `{"a.b": 1}` seen from field `a` is `{"b": 1}`. */
function dottedLookup(object: JsonObject, key: string): JsonObject | undefined {
  let dotted = dottedKeysCache.get(object);
  if (!dotted) {
    dotted = Object.keys(object).filter((k) => k.includes('.'));
    dottedKeysCache.set(object, dotted);
  }
  if (dotted.length === 0) return undefined;
  const prefix = `${key}.`;
  let virtual: JsonObject | undefined;
  for (const k of dotted) {
    if (k.startsWith(prefix)) {
      virtual ??= {};
      virtual[k.slice(prefix.length)] = object[k];
    }
  }
  return virtual;
}

/**
 * A field's condition against the field's value. Only leaves count: an object is no value, an array's
 * leaves (at any depth) are its values, and a field with no leaf value matches only `exists: false`.
 */
function matchField(m: FieldMatcher, value: unknown): boolean {
  if (value === undefined) return m.existsFalse;
  if (value === null || typeof value !== 'object') return matchesLeaf(m, value as Leaf);
  if (!Array.isArray(value)) return m.existsFalse;
  const found = matchArray(m, value);
  return found === undefined ? m.existsFalse : found;
}

/** true: a leaf matched; false: there were leaves, none matched; undefined: no leaves at all. */
function matchArray(m: FieldMatcher, array: unknown[]): boolean | undefined {
  let sawLeaf = false;
  for (let i = 0; i < array.length; i++) {
    const element = array[i];
    if (element !== null && typeof element === 'object') {
      if (!Array.isArray(element)) continue;
      const nested = matchArray(m, element);
      if (nested) return true;
      if (nested === false) sawLeaf = true;
      continue;
    }
    if (matchesLeaf(m, element as Leaf)) return true;
    sawLeaf = true;
  }
  return sawLeaf ? false : undefined;
}

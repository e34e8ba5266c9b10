import type { Plan } from './alternatives.ts';
import { MatchBudgetExceededError } from './errors.ts';
import { MATCH_STEPS_BASE, MATCH_STEPS_PER_UNIT } from './limits.ts';
import { type FieldMatcher, type Leaf, matchesLeaf } from './operators.ts';

/**
 * A node of a compiled pattern: the condition on this path, if any, the fields below it, and the `$or` groups
 * tried on the object here (each a list of alternatives, every one a node standing for this same object).
 */
export interface PatternNode {
  matcher: FieldMatcher | undefined;
  readonly children: ChildNode[];
  readonly groups: PatternNode[][];
}

interface ChildNode {
  readonly key: string;
  /** The key names an `Object.prototype` member, so a lookup must check own properties. */
  readonly guarded: boolean;
  readonly node: PatternNode;
}

type JsonObject = Record<string, unknown>;

const EMPTY: JsonObject = Object.freeze(Object.create(null));

/**
 * Per object of an event, what its dotted keys look like from each first segment: `{"a.b": 1, "a.c": 2}` gives
 * `a -> {"b": 1, "c": 2}` (null when it has no dotted key). Built once per object in one pass over its keys
 * and kept while the event lives, so every pattern matched against the same event (fan-out's subscriptions, a
 * bus's rules) shares it, and a lookup costs one map read however many alternatives repeat it.
 */
const dottedViews = new WeakMap<object, Map<string, JsonObject> | null>();

/** How many values (objects, arrays, leaves) and keys an event holds, counted once per event. */
const eventSizes = new WeakMap<object, number>();

/** Steps taken by the match under way and the most it may take (matching is synchronous, one at a time). */
let steps = 0;
let budget = 0;

/**
 * Turns a plan into a tree. Paths are split on `.`, because AWS joins field names with `.` and so treats
 * `{"a.b": ...}` and `{"a": {"b": ...}}` alike, in patterns and in events. The tree has a node per distinct
 * path of the plan and per alternative, so it grows with the pattern, never with its `$or` combinations.
 */
export function buildTree(plan: Plan): PatternNode {
  return new TreeBuilder().build(plan, 0);
}

/** How many nodes a tree holds, alternatives' included. */
export function countNodes(root: PatternNode): number {
  let count = 0;
  const pending = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    count++;
    for (const child of node.children) pending.push(child.node);
    for (const group of node.groups) for (const alternative of group) pending.push(alternative);
  }
  return count;
}

class TreeBuilder {
  private readonly index = new Map<PatternNode, Map<string, PatternNode>>();

  /** The plan's tree, its paths read from `depth` on (an alternative's node stands for its group's anchor). */
  build(plan: Plan, depth: number): PatternNode {
    const root = newNode();
    for (const field of plan.fields) this.at(root, field.segments, depth).matcher = field.matcher;
    for (const group of plan.groups) {
      const anchor = group.anchor.length;
      this.at(root, group.anchor, depth).groups.push(
        group.alternatives.map((alternative) => this.build(alternative, anchor)),
      );
    }
    return root;
  }

  private at(root: PatternNode, segments: readonly string[], from: number): PatternNode {
    let node = root;
    for (let i = from; i < segments.length; i++) {
      const key = segments[i] as string;
      let children = this.index.get(node);
      if (children === undefined) {
        children = new Map();
        this.index.set(node, children);
      }
      let child = children.get(key);
      if (child === undefined) {
        child = newNode();
        children.set(key, child);
        node.children.push({ key, guarded: key in Object.prototype, node: child });
      }
      node = child;
    }
    return node;
  }
}

function newNode(): PatternNode {
  return { matcher: undefined, children: [], groups: [] };
}

/**
 * The most steps matching a pattern of `nodes` nodes against `event` may take: a constant plus a constant
 * times (pattern nodes + event values). Counting the event's values walks it once; the count is kept for
 * every later pattern matched against the same object.
 */
export function matchBudget(nodes: number, event: unknown): number {
  return MATCH_STEPS_BASE + MATCH_STEPS_PER_UNIT * (nodes + sizeOf(event));
}

function sizeOf(event: unknown): number {
  if (event === null || typeof event !== 'object') return 1;
  const known = eventSizes.get(event);
  if (known !== undefined) return known;
  let size = 0;
  const pending: unknown[] = [event];
  for (let i = 0; i < pending.length; i++) {
    const value = pending[i];
    size++;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let j = 0; j < value.length; j++) pending.push(value[j]);
      continue;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      size++;
      pending.push((value as JsonObject)[key]);
    }
  }
  eventSizes.set(event, size);
  return size;
}

/**
 * True when the event (any JSON value, normally an object) satisfies the pattern. Every field looked up,
 * alternative tried and array element visited is a step; past `maxSteps` the match stops.
 *
 * @throws MatchBudgetExceededError - when the match would take more than `maxSteps` steps.
 */
export function matchesTree(root: PatternNode, event: unknown, maxSteps = Number.POSITIVE_INFINITY): boolean {
  steps = 0;
  budget = maxSteps;
  return matchChildren(root, event);
}

/** Steps the last call of {@link matchesTree} took (for tests and benchmarks). */
export function lastMatchSteps(): number {
  return steps;
}

function step(): void {
  if (++steps > budget) throw new MatchBudgetExceededError(budget);
}

function matchNode(node: PatternNode, value: unknown): boolean {
  if (node.matcher && !matchField(node.matcher, value)) return false;
  return (node.children.length === 0 && node.groups.length === 0) || matchChildren(node, value);
}

/**
 * Fields below a node, and its `$or` groups, are matched against one object. When the value is an array, some
 * one element must match all of them together (fields from different elements of one array never combine, as
 * in AWS).
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
    step();
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
    step();
    if (!matchNode(child.node, lookup(object, child))) return false;
  }
  const groups = node.groups;
  for (let i = 0; i < groups.length; i++) {
    if (!matchesOne(groups[i] as PatternNode[], object)) return false;
  }
  return true;
}

/** An `$or` group on one object: its alternatives are tried in turn, each on that same object. */
function matchesOne(alternatives: PatternNode[], object: JsonObject): boolean {
  for (let i = 0; i < alternatives.length; i++) {
    step();
    if (matchFields(alternatives[i] as PatternNode, object)) return true;
  }
  return false;
}

function lookup(object: JsonObject, child: ChildNode): unknown {
  const value = object[child.key];
  if (value !== undefined && (!child.guarded || Object.hasOwn(object, child.key))) return value;
  return dottedLookup(object, child.key);
}

/** `{"a.b": 1}` seen from field `a` is `{"b": 1}` (field names never hold a `.`: patterns are split on it). */
function dottedLookup(object: JsonObject, key: string): JsonObject | undefined {
  let views = dottedViews.get(object);
  if (views === undefined) {
    views = dottedViewsOf(object);
    dottedViews.set(object, views);
  }
  return views?.get(key);
}

function dottedViewsOf(object: JsonObject): Map<string, JsonObject> | null {
  let views: Map<string, JsonObject> | null = null;
  for (const k of Object.keys(object)) {
    const dot = k.indexOf('.');
    if (dot < 0) continue;
    views ??= new Map();
    const first = k.slice(0, dot);
    let view = views.get(first);
    if (view === undefined) {
      view = Object.create(null) as JsonObject;
      views.set(first, view);
    }
    view[k.slice(dot + 1)] = object[k];
  }
  return views;
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
    step();
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

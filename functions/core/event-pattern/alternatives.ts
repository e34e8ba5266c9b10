import { InvalidEventPatternError } from './errors.ts';
import {
  MAX_COMBINED_CONDITIONS,
  MAX_OR_COMBINATIONS,
  TOO_MANY_COMBINATIONS,
  TOO_MANY_COMBINED_CONDITIONS,
} from './limits.ts';
import type { FieldCondition, Term } from './parse.ts';

/**
 * A pattern (or one `$or` alternative) ready to match: conditions that must all hold, and `$or` groups each of
 * which must have an alternative that holds. No two of its parts constrain the same field or fields below the
 * same nested object (below a group's anchor), so each part is evaluated on its own, and a group's alternatives
 * are tried one after the other where the group is anchored: nothing is multiplied out.
 */
export interface Plan {
  readonly fields: readonly FieldCondition[];
  readonly groups: readonly Group[];
}

/** An `$or` to try at one object of the event: the event matches if one alternative holds there. */
export interface Group {
  /** The path of the deepest object that holds every field the alternatives name. */
  readonly anchor: readonly string[];
  readonly alternatives: readonly Plan[];
}

/**
 * How many rules the pattern's `$or`s make when multiplied out as EventBridge's matcher does (one per pick of an
 * alternative from every `$or` reached), counted without building them and saturated at `cap + 1`.
 */
export function countCombinations(terms: readonly Term[], cap: number): number {
  let product = 1;
  for (const term of terms) {
    if (term.kind !== 'or') continue;
    let sum = 0;
    for (const alternative of term.alternatives) {
      sum += countCombinations(alternative, cap);
      if (sum > cap) break;
    }
    product = Math.min(product * sum, cap + 1);
  }
  return product;
}

/**
 * Plans how to match the parsed pattern, refusing one whose `$or`s combine in more than
 * {@link MAX_OR_COMBINATIONS} ways or need more than {@link MAX_COMBINED_CONDITIONS} combined conditions.
 *
 * The result means exactly what AWS's expansion of the pattern into one rule per combination means, and holds
 * no more than the pattern's own conditions, except where an `$or` cannot be tried on its own: when its
 * alternatives and conditions outside it reach below one nested object (an array's element must satisfy them
 * together, so a choice of alternative and a choice of element interact) or name one field (the later condition
 * replaces the earlier one, so which one holds depends on the alternative). Only those parts are combined.
 *
 * @throws InvalidEventPatternError - when the pattern is over either limit.
 */
export function planPattern(terms: readonly Term[]): Plan {
  if (countCombinations(terms, MAX_OR_COMBINATIONS) > MAX_OR_COMBINATIONS) {
    throw new InvalidEventPatternError(TOO_MANY_COMBINATIONS);
  }
  return new Planner().plan(terms);
}

/** A condition outside any `$or` of this level. */
interface FieldPart {
  readonly kind: 'field';
  readonly order: number;
  readonly condition: FieldCondition;
  readonly leaves: readonly FieldCondition[];
}

/** An `$or` of this level, its alternatives planned. */
interface GroupPart {
  readonly kind: 'group';
  readonly order: number;
  readonly alternatives: readonly Plan[];
  readonly leaves: readonly FieldCondition[];
}

/** Parts that interact, to be combined in the order the pattern gives them. */
interface BundlePart {
  readonly kind: 'bundle';
  readonly order: number;
  readonly members: readonly (FieldPart | GroupPart)[];
  readonly leaves: readonly FieldCondition[];
}

type Part = FieldPart | GroupPart | BundlePart;

/** A branch of a combination: path -> the condition that holds for it. */
type Branch = Map<string, FieldCondition>;

interface Measure {
  readonly count: number;
  readonly size: number;
}

const CAP = MAX_COMBINED_CONDITIONS + 1;

class Planner {
  /** Ids of the objects that fields sit in (path prefixes), the event's root being 0. */
  private readonly nodeIds = new Map<string, number>();
  /** For each condition, the ids of the objects from the root down to the one holding its field. */
  private readonly chains = new Map<FieldCondition, Int32Array>();
  private combined = 0;

  plan(terms: readonly Term[]): Plan {
    let parts: Part[] = terms.map((term) =>
      term.kind === 'field'
        ? { kind: 'field', order: term.order, condition: term, leaves: [term] }
        : {
            kind: 'group',
            order: term.order,
            alternatives: term.alternatives.map((alternative) => this.plan(alternative)),
            leaves: leavesOf(term.alternatives),
          },
    );
    // Bundling moves an anchor up, which can make the bundle interact with more parts: repeat until none do.
    for (let merged = this.bundle(parts); merged; merged = this.bundle(parts)) parts = merged;
    const fields: FieldCondition[] = [];
    const groups: Group[] = [];
    for (const part of parts) {
      if (part.kind === 'field') fields.push(part.condition);
      else {
        const anchor = this.anchorOf(part.leaves);
        const alternatives = part.kind === 'group' ? part.alternatives : this.combine(part.members);
        groups.push({ anchor, alternatives });
      }
    }
    return { fields, groups };
  }

  /** Parts (in pattern order) with the interacting ones bundled, or undefined when no two interact. */
  private bundle(parts: readonly Part[]): Part[] | undefined {
    if (parts.length < 2) return undefined;
    const root = parts.map((_, i) => i);
    const find = (i: number): number => {
      let at = i;
      while (root[at] !== at) {
        const up = root[at] as number;
        root[at] = root[up] as number;
        at = up;
      }
      return at;
    };
    let joined = false;
    const join = (a: number, b: number) => {
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) return;
      // The smaller index stays the root, so components keep the pattern's order.
      if (ra < rb) root[rb] = ra;
      else root[ra] = rb;
      joined = true;
    };

    // Below its anchor, an $or's alternatives bind array elements of their own; any other part reaching below
    // the same child of that anchor would need the same elements.
    const entries = new Map<number, number[]>();
    const entryDepths = new Set<number>();
    parts.forEach((part, index) => {
      if (part.kind === 'field') return;
      const depth = this.anchorDepth(part.leaves);
      for (const leaf of part.leaves) {
        const chain = this.chainOf(leaf);
        if (chain.length - 1 <= depth) continue;
        const id = chain[depth + 1] as number;
        const owners = entries.get(id);
        if (owners === undefined) entries.set(id, [index]);
        else if (owners[owners.length - 1] !== index) owners.push(index);
      }
      entryDepths.add(depth + 1);
    });
    for (const owners of entries.values()) {
      for (const owner of owners) join(owner, owners[0] as number);
    }
    if (entries.size > 0) {
      const depths = [...entryDepths];
      parts.forEach((part, index) => {
        for (const leaf of part.leaves) {
          const chain = this.chainOf(leaf);
          for (const depth of depths) {
            if (depth >= chain.length) continue;
            const owners = entries.get(chain[depth] as number);
            if (owners !== undefined && (owners.length > 1 || owners[0] !== index)) {
              join(index, owners[0] as number);
            }
          }
        }
      });
    }

    // One field named by an $or and by another part: which condition holds depends on the alternative.
    const holders = new Map<string, number[]>();
    parts.forEach((part, index) => {
      for (const leaf of part.leaves) {
        const seen = holders.get(leaf.path);
        if (seen === undefined) holders.set(leaf.path, [index]);
        else if (seen[seen.length - 1] !== index) seen.push(index);
      }
    });
    for (const seen of holders.values()) {
      // Two plain conditions on one field need nothing: the later one holds.
      if (seen.length > 1 && seen.some((index) => (parts[index] as Part).kind !== 'field')) {
        for (const index of seen) join(index, seen[0] as number);
      }
    }

    if (!joined) return undefined;
    const components = new Map<number, Part[]>();
    parts.forEach((part, index) => {
      const at = find(index);
      const component = components.get(at);
      if (component === undefined) components.set(at, [part]);
      else component.push(part);
    });
    return [...components.values()].map((component) => {
      if (component.length === 1) return component[0] as Part;
      const members = component.flatMap((part) => (part.kind === 'bundle' ? part.members : [part]));
      members.sort((a, b) => a.order - b.order);
      return {
        kind: 'bundle',
        order: (members[0] as FieldPart | GroupPart).order,
        members,
        leaves: members.flatMap((member) => member.leaves),
      };
    });
  }

  /** Multiplies bundled parts out, as AWS does, into the alternatives of one group. */
  private combine(members: readonly (FieldPart | GroupPart)[]): Plan[] {
    let measure: Measure = { count: 1, size: 0 };
    for (const member of members) {
      measure = times(
        measure,
        member.kind === 'field' ? { count: 1, size: 1 } : measureAlternatives(member.alternatives),
      );
    }
    this.combined += measure.size;
    if (this.combined > MAX_COMBINED_CONDITIONS) {
      throw new InvalidEventPatternError(TOO_MANY_COMBINED_CONDITIONS);
    }
    let branches: Branch[] = [new Map()];
    for (const member of members) {
      if (member.kind === 'field') {
        for (const branch of branches) branch.set(member.condition.path, member.condition);
      } else {
        branches = cross(branches, member.alternatives.flatMap(expand));
      }
    }
    return branches.map((branch) => ({ fields: [...branch.values()], groups: [] }));
  }

  private chainOf(condition: FieldCondition): Int32Array {
    const known = this.chains.get(condition);
    if (known !== undefined) return known;
    const { segments } = condition;
    const chain = new Int32Array(segments.length);
    for (let depth = 1; depth < segments.length; depth++) {
      const key = `${chain[depth - 1]}/${segments[depth - 1]}`;
      let id = this.nodeIds.get(key);
      if (id === undefined) {
        id = this.nodeIds.size + 1;
        this.nodeIds.set(key, id);
      }
      chain[depth] = id;
    }
    this.chains.set(condition, chain);
    return chain;
  }

  /** Depth of the deepest object that holds every one of the fields. */
  private anchorDepth(leaves: readonly FieldCondition[]): number {
    const first = this.chainOf(leaves[0] as FieldCondition);
    let depth = first.length - 1;
    for (const leaf of leaves) {
      const chain = this.chainOf(leaf);
      depth = Math.min(depth, chain.length - 1);
      while (chain[depth] !== first[depth]) depth--;
    }
    return depth;
  }

  private anchorOf(leaves: readonly FieldCondition[]): string[] {
    return (leaves[0] as FieldCondition).segments.slice(0, this.anchorDepth(leaves));
  }
}

function leavesOf(alternatives: readonly (readonly Term[])[]): FieldCondition[] {
  const leaves: FieldCondition[] = [];
  const pending = [...alternatives];
  for (let terms = pending.pop(); terms !== undefined; terms = pending.pop()) {
    for (const term of terms) {
      if (term.kind === 'field') leaves.push(term);
      else for (const alternative of term.alternatives) pending.push(alternative);
    }
  }
  return leaves;
}

function times(a: Measure, b: Measure): Measure {
  return {
    count: Math.min(a.count * b.count, CAP),
    size: Math.min(a.size * b.count + b.size * a.count, CAP),
  };
}

function measureAlternatives(alternatives: readonly Plan[]): Measure {
  let count = 0;
  let size = 0;
  for (const alternative of alternatives) {
    let measure: Measure = { count: 1, size: alternative.fields.length };
    for (const group of alternative.groups) measure = times(measure, measureAlternatives(group.alternatives));
    count = Math.min(count + measure.count, CAP);
    size = Math.min(size + measure.size, CAP);
  }
  return { count, size };
}

/** Every branch of a plan, its groups multiplied out. */
function expand(plan: Plan): Branch[] {
  let branches: Branch[] = [new Map(plan.fields.map((field) => [field.path, field]))];
  for (const group of plan.groups) branches = cross(branches, group.alternatives.flatMap(expand));
  return branches;
}

/** Each branch extended by each alternative; the alternative's conditions come later, so they hold. */
function cross(branches: readonly Branch[], alternatives: readonly Branch[]): Branch[] {
  const result: Branch[] = [];
  for (const branch of branches) {
    for (const alternative of alternatives) {
      const combined = new Map(branch);
      for (const [path, condition] of alternative) combined.set(path, condition);
      result.push(combined);
    }
  }
  return result;
}

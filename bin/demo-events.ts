/**
 * The demo's events: for every type of the catalog, the catalog's own example (functions/core/events/examples.ts,
 * paired with its type in event-types.ts) as the order, shipment and draft services would publish it in a run of
 * the demo: its ids numbered for the run's `n`th resource and its times moved so that the event happens now.
 */
import {
  type EventDetail,
  type eventCatalog,
  eventTypes,
  isEventType,
  resourceOf,
} from '../functions/core/events/catalog.ts';
import { eventTypeDefinition } from '../functions/core/events/event-types.ts';

type Catalog = typeof eventCatalog;
/** Every event type of the catalog, as a union. */
export type DemoEventType = { [R in keyof Catalog]: `${R}.${Catalog[R][number]}` }[keyof Catalog];

type State = Record<string, unknown>;

/** The service that publishes each resource's events. */
const sources = {
  order: 'shipping.orders',
  shipment: 'shipping.shipments',
  draft: 'shipping.drafts',
} as const satisfies Record<keyof Catalog, string>;

// The nth resource of a run (0, 1, ...): order 1042 + n, its draft, its shipment and their parts. Each example
// event is about one order, so every example id with the same prefix becomes the same demo id.
const demoIds: Record<string, (n: number) => string> = {
  ord: (n) => `ord_${1042 + n}`,
  li: (n) => `li_${1042 + n}_1`,
  pay: (n) => `pay_${1042 + n}_1`,
  ful: (n) => `ful_${1042 + n}_1`,
  dft: (n) => `dft_${5120 + n}`,
  shp: (n) => `shp_${7301 + n}`,
  pkg: (n) => `pkg_${7301 + n}_1`,
};
const exampleId = /\b(ord|li|pay|ful|dft|shp|pkg)_01[0-9A-Z]{8}\b/g;
const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// A tracking number's first 8 characters name the carrier and account; the serial after them counts up per run.
const demoTrackingNumber = (example: string, n: number) =>
  `${example.slice(0, 8)}${Number(example.slice(8)) + n}`;

/** A copy of an example state with the run's ids, tracking number and order number, and its times shifted. */
function renumber(value: unknown, n: number, shift: number, trackingNumbers: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renumber(item, n, shift, trackingNumbers));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        key === 'order_number' ? String(1042 + n) : renumber(field, n, shift, trackingNumbers),
      ]),
    );
  }
  if (typeof value !== 'string') return value;
  if (timestamp.test(value)) return new Date(Date.parse(value) + shift).toISOString();
  let renumbered = value.replace(exampleId, (id, prefix: string) => demoIds[prefix]?.(n) ?? id);
  for (const [example, demo] of trackingNumbers) renumbered = renumbered.replaceAll(example, demo);
  return renumbered;
}

/** The event types the demo can publish: every type of the catalog, in its order. */
export const demoEventTypes: readonly string[] = eventTypes;

/** True for a type the demo can publish: every catalog type has an example to publish. */
export function isDemoEventType(type: string): type is DemoEventType {
  return isEventType(type);
}

/** What a publisher puts on the bus for one event: the source, the type and the `detail`. */
export interface DemoEvent {
  readonly source: string;
  readonly type: DemoEventType;
  readonly detail: EventDetail;
}

/** The demo event of this type about the `n`th resource of a run (0 for the first), happening at `at`. */
export function demoEvent(
  type: DemoEventType,
  accountId: string,
  n = 0,
  at = new Date().toISOString(),
): DemoEvent {
  const example = eventTypeDefinition(type)?.example;
  if (example === undefined) throw new Error(`${type} has no example in the event catalog`);
  const shift = Date.parse(at) - Date.parse(example.occurred_at);
  const trackingNumber = example.data.tracking_number;
  const trackingNumbers = new Map(
    typeof trackingNumber === 'string' ? [[trackingNumber, demoTrackingNumber(trackingNumber, n)]] : [],
  );
  const copy = (state: State) => renumber(state, n, shift, trackingNumbers) as State;
  const data = copy(example.data);
  return {
    source: sources[resourceOf(type) as keyof Catalog],
    type,
    detail: {
      account_id: accountId,
      id: String(data.id),
      occurred_at: at,
      data,
      ...(example.previous === undefined ? {} : { previous: copy(example.previous) }),
    },
  };
}

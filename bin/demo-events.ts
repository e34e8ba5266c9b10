/**
 * The demo's events: for every type of the catalog, a plausible event of the shipping platform, as its order,
 * shipment and draft services would publish it. Each resource has one base state (amounts as decimal strings,
 * weights and lengths with their unit); each event type says how the state differs from it and, for changes,
 * what the changed fields were before.
 */
import {
  type EventDetail,
  type eventCatalog,
  eventTypes,
  isEventType,
  resourceOf,
} from '../functions/core/events/catalog.ts';

type Catalog = typeof eventCatalog;
/** Every event type of the catalog, as a union: the table below must have them all. */
export type DemoEventType = { [R in keyof Catalog]: `${R}.${Catalog[R][number]}` }[keyof Catalog];

type State = Record<string, unknown>;

// The nth resource of a run (0, 1, ...): order 1042 + n, its draft, its shipment.
const orderId = (n: number) => `ord_${1042 + n}`;
const shipmentId = (n: number) => `shp_${7301 + n}`;
const trackingNumber = (n: number) => `1Z999AA1${123456784 + n}`;

const warehouse = {
  company: 'Acme Goods',
  line1: '400 Warehouse Way',
  city: 'Columbus',
  state: 'OH',
  postal_code: '43215',
  country: 'US',
};
const buyer = {
  name: 'Ada Lovelace',
  line1: '12 Example Street',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62704',
  country: 'US',
};
const mugPackage = {
  weight: { value: 0.9, unit: 'kg' },
  dimensions: { length: 20, width: 15, height: 12, unit: 'cm' },
};
const placedTotals = {
  subtotal: '24.00',
  shipping: '5.99',
  tax: '2.40',
  total: '32.39',
  paid: '0.00',
  refunded: '0.00',
};
const paidTotals = { ...placedTotals, paid: '32.39' };
const departed = (at: string) => ({
  occurred_at: at,
  status: 'InTransit',
  description: 'Departed from facility',
  location: { city: 'Columbus', state: 'OH', country: 'US' },
});

/** Each resource's publishing service and its state. */
const resources = {
  order: {
    source: 'shipping.orders',
    state: (n: number): State => ({
      id: orderId(n),
      order_number: String(1042 + n),
      status: 'Initiated',
      payment_status: 'authorized',
      fulfillment_status: 'unfulfilled',
      store_id: 'store_55',
      currency: 'USD',
      totals: placedTotals,
      customer: { id: 'cus_8812', name: 'Ada Lovelace', email: 'ada@example.com' },
      shipping_address: buyer,
      line_items: [
        { id: `li_${1042 + n}_1`, sku: 'MUG-BLUE', name: 'Blue mug', quantity: 2, unit_price: '12.00' },
      ],
    }),
  },
  shipment: {
    source: 'shipping.shipments',
    state: (n: number): State => ({
      id: shipmentId(n),
      order_id: orderId(n),
      carrier: 'UPS',
      service: 'Ground',
      tracking_number: trackingNumber(n),
      status: 'LabelCreated',
      ship_from: warehouse,
      ship_to: buyer,
      packages: [mugPackage],
      rate: { amount: '8.42', currency: 'USD' },
      tracking_events: [],
    }),
  },
  draft: {
    source: 'shipping.drafts',
    state: (n: number): State => ({
      id: `dft_${5120 + n}`,
      order_id: orderId(n),
      status: 'Open',
      carrier: 'UPS',
      service: 'Ground',
      ship_from: warehouse,
      ship_to: buyer,
      packages: [mugPackage],
      rate: { amount: '8.42', currency: 'USD' },
    }),
  },
} as const satisfies Record<keyof Catalog, { source: string; state: (n: number) => State }>;

/**
 * How an event type's `data` differs from its resource's base state (given the resource's number and the
 * event's time), and for a change the `previous` values of the fields that changed.
 */
interface Change {
  readonly data?: (n: number, at: string) => State;
  readonly previous?: State;
}

const changes: Record<DemoEventType, Change> = {
  'order.created': {},
  'order.status_updated': { data: () => ({ status: 'Shipped' }), previous: { status: 'Initiated' } },
  'order.fulfillment_created': {
    data: (n, at) => ({
      fulfillment_status: 'fulfilled',
      fulfillments: [
        {
          id: `ful_${1042 + n}_1`,
          status: 'open',
          line_items: [{ line_item_id: `li_${1042 + n}_1`, quantity: 2 }],
          created_at: at,
        },
      ],
    }),
    previous: { fulfillment_status: 'unfulfilled', fulfillments: [] },
  },
  'order.shipment_created': {
    data: (n) => ({
      shipments: [
        { id: shipmentId(n), carrier: 'UPS', tracking_number: trackingNumber(n), status: 'LabelCreated' },
      ],
    }),
    previous: { shipments: [] },
  },
  'order.payment_captured': {
    data: () => ({ payment_status: 'paid', totals: paidTotals }),
    previous: { payment_status: 'authorized', totals: placedTotals },
  },
  'order.payment_voided': {
    data: () => ({ payment_status: 'voided' }),
    previous: { payment_status: 'authorized' },
  },
  'order.payment_refunded': {
    data: () => ({ payment_status: 'refunded', totals: { ...paidTotals, refunded: '32.39' } }),
    previous: { payment_status: 'paid', totals: paidTotals },
  },
  'order.deleted': { data: () => ({ status: 'Cancelled', payment_status: 'voided' }) },
  'shipment.created': {},
  'shipment.cancelled': {
    data: (_, at) => ({
      status: 'Cancelled',
      cancelled_at: at,
      cancellation_reason: 'Order cancelled by the buyer',
    }),
    previous: { status: 'LabelCreated' },
  },
  'shipment.tracking_updated': {
    data: (_, at) => ({ status: 'InTransit', tracking_events: [departed(at)] }),
    previous: { status: 'LabelCreated', tracking_events: [] },
  },
  'shipment.delivered': {
    data: (_, at) => ({
      status: 'Delivered',
      delivered_at: at,
      tracking_events: [
        {
          occurred_at: at,
          status: 'Delivered',
          description: 'Delivered, left at front door',
          location: { city: 'Springfield', state: 'IL', country: 'US' },
        },
        departed(new Date(Date.parse(at) - 20 * 3600_000).toISOString()),
      ],
    }),
    previous: { status: 'InTransit' },
  },
  'draft.created': {},
  'draft.shipment_created': {
    data: (n) => ({ status: 'Converted', shipment_id: shipmentId(n) }),
    previous: { status: 'Open' },
  },
  'draft.deleted': {},
};

/** The event types the demo can publish: every type of the catalog, in its order. */
export const demoEventTypes: readonly string[] = eventTypes;

/** True for a type the demo can publish; `changes` has an entry for each, or this module would not compile. */
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
  const resource = resources[resourceOf(type) as keyof Catalog];
  const { data, previous } = changes[type];
  const state = { ...resource.state(n), ...data?.(n, at) };
  return {
    source: resource.source,
    type,
    detail: {
      account_id: accountId,
      id: String(state.id),
      occurred_at: at,
      data: state,
      ...(previous === undefined ? {} : { previous }),
    },
  };
}

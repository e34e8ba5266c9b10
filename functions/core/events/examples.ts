/*
 * Example states of the shipping platform's resources, for the event catalog's examples: one order (1042)
 * followed from creation to delivery and a partial refund, and one (1043) cancelled before it shipped. Plain
 * data; `event-types.ts` pairs them with their event types, and the demo (bin/demo-events.ts) publishes those
 * examples with its own ids and times.
 */

const warehouse = {
  company: 'Acme Goods',
  line1: '400 Warehouse Way',
  city: 'Columbus',
  state: 'OH',
  postal_code: '43215',
  country: 'US',
  phone: '+1 614 555 0199',
};

const ada = {
  name: 'Ada Lovelace',
  line1: '12 Example Street',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62704',
  country: 'US',
  phone: '+1 217 555 0100',
  email: 'ada@example.com',
};

const grace = {
  name: 'Grace Hopper',
  line1: '7 Harbor Road',
  line2: 'Apt 3',
  city: 'Arlington',
  state: 'VA',
  postal_code: '22201',
  country: 'US',
};

const mugPackage = {
  id: 'pkg_01JD4XB3QG',
  weight: { value: 0.9, unit: 'kg' },
  dimensions: { length: 20, width: 15, height: 12, unit: 'cm' },
};

const teePackage = {
  id: 'pkg_01JD5A7P3D',
  weight: { value: 0.3, unit: 'kg' },
  dimensions: { length: 30, width: 25, height: 3, unit: 'cm' },
};

// Order 1042: placed, paid, fulfilled, shipped, delivered, partly refunded.

const placedTotals = {
  subtotal: '24.00',
  shipping: '5.99',
  tax: '2.40',
  discount: '0.00',
  total: '32.39',
  paid: '0.00',
  refunded: '0.00',
};
const authorizedPayment = { id: 'pay_01JD4X7K3A', status: 'authorized', amount: '32.39', method: 'card' };

export const orderPlaced = {
  id: 'ord_01JD4X7K2M',
  order_number: '1042',
  status: 'Initiated',
  payment_status: 'authorized',
  fulfillment_status: 'unfulfilled',
  store_id: 'store_55',
  currency: 'USD',
  totals: placedTotals,
  customer: { id: 'cus_8812', name: 'Ada Lovelace', email: 'ada@example.com' },
  shipping_address: ada,
  line_items: [
    {
      id: 'li_01JD4X7K2N',
      sku: 'MUG-BLUE',
      name: 'Blue mug',
      quantity: 2,
      unit_price: '12.00',
      weight: { value: 350, unit: 'g' },
    },
  ],
  payments: [authorizedPayment],
  fulfillments: [],
  shipments: [],
  created_at: '2026-11-27T09:58:11Z',
  updated_at: '2026-11-27T09:58:11Z',
};

const paidTotals = { ...placedTotals, paid: '32.39' };
const capturedPayment = { ...authorizedPayment, status: 'captured', captured_at: '2026-11-27T10:02:40Z' };

export const orderPaid = {
  ...orderPlaced,
  payment_status: 'paid',
  totals: paidTotals,
  payments: [capturedPayment],
  updated_at: '2026-11-27T10:02:40Z',
};

const fulfillment = {
  id: 'ful_01JD4XA1ZP',
  status: 'open',
  line_items: [{ line_item_id: 'li_01JD4X7K2N', quantity: 2 }],
  created_at: '2026-11-27T10:12:30Z',
};

export const orderFulfilled = {
  ...orderPaid,
  fulfillment_status: 'fulfilled',
  fulfillments: [fulfillment],
  updated_at: '2026-11-27T10:12:30Z',
};

export const orderWithShipment = {
  ...orderFulfilled,
  fulfillments: [{ ...fulfillment, status: 'shipped' }],
  shipments: [
    {
      id: 'shp_01JD4XB3QF',
      carrier: 'UPS',
      tracking_number: '1Z999AA10123456784',
      status: 'LabelCreated',
    },
  ],
  updated_at: '2026-11-27T10:20:01Z',
};

export const orderShipped = { ...orderWithShipment, status: 'Shipped', updated_at: '2026-11-27T10:20:02Z' };

const refundedPayment = { ...capturedPayment, status: 'partially_refunded', refunded_amount: '13.20' };

export const orderRefunded = {
  ...orderShipped,
  status: 'Delivered',
  payment_status: 'partially_refunded',
  totals: { ...paidTotals, refunded: '13.20' },
  payments: [refundedPayment],
  updated_at: '2026-12-02T08:30:00Z',
};

// Draft and shipment of order 1042.

export const draftOpen = {
  id: 'dft_01JD4X9R7T',
  order_id: 'ord_01JD4X7K2M',
  status: 'Open',
  carrier: 'UPS',
  service: 'Ground',
  ship_from: warehouse,
  ship_to: ada,
  packages: [mugPackage],
  rate: { amount: '8.42', currency: 'USD' },
  created_at: '2026-11-27T10:05:03Z',
  updated_at: '2026-11-27T10:05:03Z',
};

export const draftConverted = {
  ...draftOpen,
  status: 'Converted',
  shipment_id: 'shp_01JD4XB3QF',
  updated_at: '2026-11-27T10:19:57Z',
};

export const shipmentLabelled = {
  id: 'shp_01JD4XB3QF',
  order_id: 'ord_01JD4X7K2M',
  draft_id: 'dft_01JD4X9R7T',
  carrier: 'UPS',
  service: 'Ground',
  tracking_number: '1Z999AA10123456784',
  tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
  status: 'LabelCreated',
  ship_from: warehouse,
  ship_to: ada,
  packages: [mugPackage],
  rate: { amount: '8.42', currency: 'USD' },
  label_url: 'https://labels.example.com/shp_01JD4XB3QF.pdf',
  estimated_delivery_at: '2026-11-30T20:00:00Z',
  tracking_events: [],
  created_at: '2026-11-27T10:19:58Z',
  updated_at: '2026-11-27T10:19:58Z',
};

const departed = {
  occurred_at: '2026-11-27T18:40:00Z',
  status: 'InTransit',
  description: 'Departed from facility',
  location: { city: 'Columbus', state: 'OH', country: 'US' },
};

export const shipmentInTransit = {
  ...shipmentLabelled,
  status: 'InTransit',
  estimated_delivery_at: '2026-11-29T20:00:00Z',
  tracking_events: [departed],
  updated_at: '2026-11-27T18:42:10Z',
};

const outForDelivery = {
  occurred_at: '2026-11-29T08:05:00Z',
  status: 'OutForDelivery',
  description: 'Out for delivery',
  location: { city: 'Springfield', state: 'IL', country: 'US' },
};

export const shipmentOutForDelivery = {
  ...shipmentInTransit,
  status: 'OutForDelivery',
  tracking_events: [outForDelivery, departed],
  updated_at: '2026-11-29T08:06:00Z',
};

export const shipmentDelivered = {
  ...shipmentOutForDelivery,
  status: 'Delivered',
  delivered_at: '2026-11-29T14:02:37Z',
  tracking_events: [
    {
      occurred_at: '2026-11-29T14:02:37Z',
      status: 'Delivered',
      description: 'Delivered, left at front door',
      location: { city: 'Springfield', state: 'IL', postal_code: '62704', country: 'US' },
    },
    outForDelivery,
    departed,
  ],
  updated_at: '2026-11-29T14:03:11Z',
};

// Order 1043: cancelled by the buyer after its label was bought, then deleted.

const authorizedTee = { id: 'pay_01JD5B2W9A', status: 'authorized', amount: '24.79', method: 'paypal' };

export const orderCancelled = {
  id: 'ord_01JD5B2W8N',
  order_number: '1043',
  status: 'Cancelled',
  payment_status: 'authorized',
  fulfillment_status: 'unfulfilled',
  store_id: 'store_55',
  currency: 'USD',
  totals: {
    subtotal: '18.00',
    shipping: '4.99',
    tax: '1.80',
    discount: '0.00',
    total: '24.79',
    paid: '0.00',
    refunded: '0.00',
  },
  customer: { id: 'cus_9120', name: 'Grace Hopper', email: 'grace@example.com' },
  shipping_address: grace,
  line_items: [
    { id: 'li_01JD5B2W8P', sku: 'TEE-BLACK-M', name: 'Black T-shirt (M)', quantity: 1, unit_price: '18.00' },
  ],
  payments: [authorizedTee],
  created_at: '2026-11-28T09:12:44Z',
  updated_at: '2026-11-28T16:39:50Z',
};

export const orderVoided = {
  ...orderCancelled,
  payment_status: 'voided',
  payments: [{ ...authorizedTee, status: 'voided' }],
  updated_at: '2026-11-28T16:45:20Z',
};

export const shipmentCancelled = {
  id: 'shp_01JD5A7P3C',
  order_id: 'ord_01JD5B2W8N',
  carrier: 'USPS',
  service: 'Priority Mail',
  tracking_number: '9405511899223197428490',
  status: 'Cancelled',
  ship_from: warehouse,
  ship_to: grace,
  packages: [teePackage],
  rate: { amount: '9.35', currency: 'USD' },
  cancelled_at: '2026-11-28T16:40:05Z',
  cancellation_reason: 'Order cancelled by the buyer',
  created_at: '2026-11-28T09:30:12Z',
  updated_at: '2026-11-28T16:40:05Z',
};

export const draftAbandoned = {
  id: 'dft_01JD59QK4E',
  order_id: 'ord_01JD5B2W8N',
  status: 'Open',
  carrier: 'USPS',
  ship_from: warehouse,
  ship_to: grace,
  packages: [teePackage],
  created_at: '2026-11-28T09:20:31Z',
  updated_at: '2026-11-28T09:20:31Z',
};

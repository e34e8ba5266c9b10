import * as z from 'zod/mini';
import {
  amount,
  count,
  country,
  currency,
  described,
  identifier,
  list,
  measure,
  oneOf,
  record,
  text,
  timestamp,
} from './fields.ts';

/*
 * The state of the shipping platform's resources as its services publish it in an event's `data` (and, partly,
 * in `previous`). Only `id` is required: publishers send what they know, so every other field is optional, and
 * every object is loose, so a publisher may add fields before this schema knows them. Amounts are decimal
 * strings in the currency's major unit (see `amount`); weights and lengths are plain numbers with a unit.
 *
 * Each schema is built the first time it is used (`z.lazy`), not when the module loads: Lambda functions that
 * import the catalog but check no event of a resource do not pay for its few hundred schema objects.
 */

/** The value `build` returns, built on the first call and kept. */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

const address = (description: string) =>
  record(
    {
      name: z.optional(text('Full name of the recipient or sender.')),
      company: z.optional(text('Company name.')),
      line1: z.optional(text('First line of the street address.')),
      line2: z.optional(text('Second line of the street address (apartment, suite, unit).')),
      city: z.optional(text('City or locality.')),
      state: z.optional(text('State, province or region, e.g. IL.')),
      postal_code: z.optional(text('Postal or ZIP code.')),
      country: z.optional(country('Country, as an ISO 3166-1 alpha-2 code.')),
      phone: z.optional(text('Phone number, for the carrier.')),
      email: z.optional(text('Email address, for delivery notifications.')),
    },
    description,
  );

const weight = (description: string) =>
  record(
    {
      value: measure('The weight, in `unit`.'),
      unit: oneOf(['g', 'kg', 'oz', 'lb'], 'Unit of `value`.'),
    },
    description,
  );

const dimensions = (description: string) =>
  record(
    {
      length: measure('Length, in `unit`.'),
      width: measure('Width, in `unit`.'),
      height: measure('Height, in `unit`.'),
      unit: oneOf(['mm', 'cm', 'in'], 'Unit of the three lengths.'),
    },
    description,
  );

const money = (description: string) =>
  record(
    {
      amount: amount('The amount, as a decimal string in the major unit of `currency`.'),
      currency: currency('ISO 4217 currency code of `amount`.'),
    },
    description,
  );

const packages = (description: string) =>
  list(
    record(
      {
        id: z.optional(identifier("The package's id.")),
        weight: z.optional(weight('Weight of the package, contents included.')),
        dimensions: z.optional(dimensions('Outer dimensions of the package.')),
        tracking_number: z.optional(
          text("The carrier's tracking number of this package, when it has its own."),
        ),
      },
      'One package (parcel) of the shipment.',
    ),
    description,
  );

const createdAt = (resource: string) => z.optional(timestamp(`When the ${resource} was created.`));
const updatedAt = (resource: string) => z.optional(timestamp(`When the ${resource} last changed.`));

const order = once(() =>
  record(
    {
      id: identifier("The order's id, e.g. `ord_01JD4X7K2M`."),
      order_number: z.optional(text('The order number the buyer sees, e.g. on the packing slip.', ['1042'])),
      status: z.optional(
        text("The order's status in the shipping platform.", [
          'Initiated',
          'Processing',
          'Shipped',
          'Delivered',
          'Cancelled',
        ]),
      ),
      payment_status: z.optional(
        text("Where the order's payment stands.", [
          'authorized',
          'paid',
          'partially_refunded',
          'refunded',
          'voided',
        ]),
      ),
      fulfillment_status: z.optional(
        text('How much of the order has been fulfilled.', [
          'unfulfilled',
          'partially_fulfilled',
          'fulfilled',
        ]),
      ),
      store_id: z.optional(identifier('The store (sales channel) the order came from.')),
      currency: z.optional(currency("ISO 4217 code of the currency of all the order's amounts.")),
      totals: z.optional(
        record(
          {
            subtotal: z.optional(amount('Sum of the line items, before shipping, tax and discounts.')),
            shipping: z.optional(amount('Shipping charged to the buyer.')),
            tax: z.optional(amount('Tax charged.')),
            discount: z.optional(amount('Discounts applied, as a positive amount.')),
            total: z.optional(amount('What the buyer pays: subtotal + shipping + tax - discount.')),
            paid: z.optional(amount('What has been captured so far.')),
            refunded: z.optional(amount('What has been refunded so far.')),
          },
          "The order's amounts, as decimal strings in `currency`.",
        ),
      ),
      customer: z.optional(
        record(
          {
            id: z.optional(identifier("The customer's id in the store.")),
            name: z.optional(text("The customer's name.")),
            email: z.optional(text("The customer's email address.")),
            phone: z.optional(text("The customer's phone number.")),
          },
          'Who placed the order.',
        ),
      ),
      shipping_address: z.optional(address('Where the order ships to.')),
      billing_address: z.optional(address('The billing address of the payment.')),
      line_items: z.optional(
        list(
          record(
            {
              id: z.optional(identifier("The line item's id.")),
              sku: z.optional(text('Stock keeping unit of the product.', ['MUG-BLUE'])),
              name: z.optional(text('Product name, as the buyer saw it.')),
              quantity: z.optional(count('How many units were ordered.')),
              unit_price: z.optional(amount('Price of one unit, in `currency`.')),
              weight: z.optional(weight('Weight of one unit.')),
              hs_code: z.optional(text('Harmonized System tariff code, for customs.')),
              origin_country: z.optional(country('Country of manufacture, for customs.')),
            },
            'One product line of the order.',
          ),
          'The products ordered.',
        ),
      ),
      payments: z.optional(
        list(
          record(
            {
              id: z.optional(identifier("The payment's id.")),
              status: z.optional(
                text('State of the payment.', [
                  'authorized',
                  'captured',
                  'voided',
                  'refunded',
                  'partially_refunded',
                ]),
              ),
              amount: z.optional(amount('Amount authorized or captured, in `currency`.')),
              refunded_amount: z.optional(amount('Amount refunded from this payment, in `currency`.')),
              method: z.optional(text('How the buyer paid.', ['card', 'paypal', 'bank_transfer'])),
              captured_at: z.optional(timestamp('When the payment was captured.')),
            },
            'One payment of the order.',
          ),
          'Payments made against the order, oldest first.',
        ),
      ),
      fulfillments: z.optional(
        list(
          record(
            {
              id: z.optional(identifier("The fulfillment's id.")),
              status: z.optional(text('State of the fulfillment.', ['open', 'shipped', 'cancelled'])),
              line_items: z.optional(
                list(
                  record(
                    {
                      line_item_id: z.optional(identifier('The order line item fulfilled.')),
                      quantity: z.optional(count('How many of its units.')),
                    },
                    'A quantity of one line item.',
                  ),
                  'What this fulfillment covers.',
                ),
              ),
              created_at: createdAt('fulfillment'),
            },
            'A set of line items picked and packed together.',
          ),
          "The order's fulfillments, oldest first.",
        ),
      ),
      shipments: z.optional(
        list(
          record(
            {
              id: identifier("The shipment's id."),
              carrier: z.optional(text('The carrier.')),
              tracking_number: z.optional(text("The carrier's tracking number.")),
              status: z.optional(text("The shipment's status.")),
            },
            'A shipment of the order, in brief; the shipment.* events carry the whole shipment.',
          ),
          "The order's shipments, oldest first.",
        ),
      ),
      created_at: createdAt('order'),
      updated_at: updatedAt('order'),
    },
    'An order, as the shipping platform holds it.',
  ),
);

const orderBefore = once(() =>
  described(z.partial(order()), 'The fields of the order that changed, with the values they had before.'),
);

/** An order's state. */
export const orderSchema = z.lazy(order);

/** An order's state after its status changed: `status` is always there. */
export const orderWithStatusSchema = z.lazy(() =>
  described(z.required(order(), { status: true }), 'The order, with its new `status`.'),
);

/** An order's fields before a change: only those that changed. */
export const orderBeforeSchema = z.lazy(orderBefore);

/** An order's fields before its status changed: at least `status`. */
export const orderStatusBeforeSchema = z.lazy(() =>
  described(
    z.required(orderBefore(), { status: true }),
    "The order's fields that changed, with their values before: at least `status`.",
  ),
);

const shipment = once(() =>
  record(
    {
      id: identifier("The shipment's id, e.g. `shp_01JD4XB3QF`."),
      order_id: z.optional(identifier('The order this shipment ships, if any.')),
      draft_id: z.optional(identifier('The draft shipment it was created from, if any.')),
      carrier: z.optional(text('The carrier.', ['UPS', 'FedEx', 'USPS', 'DHL Express'])),
      service: z.optional(text("The carrier's service level.", ['Ground', 'Next Day Air', 'Priority Mail'])),
      tracking_number: z.optional(text("The carrier's tracking number.")),
      tracking_url: z.optional(text("The carrier's tracking page for this shipment.")),
      status: z.optional(
        text("The shipment's status.", [
          'LabelCreated',
          'InTransit',
          'OutForDelivery',
          'Delivered',
          'Exception',
          'Cancelled',
        ]),
      ),
      ship_from: z.optional(address('Where the shipment ships from.')),
      ship_to: z.optional(address('Where the shipment ships to.')),
      packages: z.optional(packages('The packages of the shipment.')),
      rate: z.optional(money('What the label cost.')),
      label_url: z.optional(text('Where to download the shipping label.')),
      estimated_delivery_at: z.optional(timestamp("The carrier's latest estimate of delivery.")),
      delivered_at: z.optional(timestamp('When the carrier delivered the shipment.')),
      cancelled_at: z.optional(timestamp('When the shipment was cancelled.')),
      cancellation_reason: z.optional(text('Why the shipment was cancelled.')),
      tracking_events: z.optional(
        list(
          record(
            {
              occurred_at: z.optional(timestamp('When the carrier recorded it.')),
              status: z.optional(text("The shipment's status after it, as for `status`.")),
              description: z.optional(text("The carrier's wording, e.g. Arrived at facility.")),
              location: z.optional(
                record(
                  {
                    city: z.optional(text('City.')),
                    state: z.optional(text('State, province or region.')),
                    postal_code: z.optional(text('Postal code.')),
                    country: z.optional(country('Country, as an ISO 3166-1 alpha-2 code.')),
                  },
                  'Where it happened.',
                ),
              ),
            },
            'One scan or status report from the carrier.',
          ),
          "The carrier's tracking events, newest first.",
        ),
      ),
      created_at: createdAt('shipment'),
      updated_at: updatedAt('shipment'),
    },
    'A shipment: a label bought from a carrier, and its tracking.',
  ),
);

/** A shipment's state. */
export const shipmentSchema = z.lazy(shipment);

/** A shipment's fields before a change: only those that changed. */
export const shipmentBeforeSchema = z.lazy(() =>
  described(
    z.partial(shipment()),
    'The fields of the shipment that changed, with the values they had before.',
  ),
);

const draft = once(() =>
  record(
    {
      id: identifier("The draft shipment's id, e.g. `dft_01JD4X9R7T`."),
      order_id: z.optional(identifier('The order it is drafted for, if any.')),
      status: z.optional(text("The draft's status.", ['Open', 'Converted'])),
      carrier: z.optional(text('The carrier chosen so far, if any.')),
      service: z.optional(text('The service level chosen so far, if any.')),
      ship_from: z.optional(address('Where it will ship from.')),
      ship_to: z.optional(address('Where it will ship to.')),
      packages: z.optional(packages('The packages planned.')),
      rate: z.optional(money('The quoted cost of the label, if a rate was chosen.')),
      shipment_id: z.optional(identifier('The shipment created from this draft, once there is one.')),
      created_at: createdAt('draft'),
      updated_at: updatedAt('draft'),
    },
    'A draft shipment: a shipment being prepared, before a label is bought.',
  ),
);

/** A draft shipment's state. */
export const draftSchema = z.lazy(draft);

/** A draft's state once a shipment was created from it: `shipment_id` is always there. */
export const draftWithShipmentSchema = z.lazy(() =>
  described(
    z.required(draft(), { shipment_id: true }),
    'The draft, with the `shipment_id` of the shipment created from it.',
  ),
);

/** A draft's fields before a change: only those that changed. */
export const draftBeforeSchema = z.lazy(() =>
  described(z.partial(draft()), 'The fields of the draft that changed, with the values they had before.'),
);

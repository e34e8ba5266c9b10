import type { EventType } from './catalog.ts';
import { resourceOf } from './catalog.ts';

/*
 * The reference platform's (Shipmondo's) names for the catalog's event types: each type is one resource and one
 * action there, and each resource and action one type here. The compatible API takes and shows these names, and
 * `jwt` deliveries carry them in their `SMD-Resource-Type` and `SMD-Action` headers. Shipmondo's developer pages
 * do not name the drafts resource; `Drafts` is the name in its API document's enum (and follows its other plural
 * names).
 */

/** Every resource name and action of the reference platform, with the catalog type each one is. */
export const shipmondoActions = {
  Orders: {
    create: 'order.created',
    status_update: 'order.status_updated',
    create_fulfillment: 'order.fulfillment_created',
    create_shipment: 'order.shipment_created',
    payment_captured: 'order.payment_captured',
    payment_voided: 'order.payment_voided',
    payment_refunded: 'order.payment_refunded',
    delete: 'order.deleted',
  },
  Shipments: { create: 'shipment.created', cancel: 'shipment.cancelled' },
  Drafts: { create: 'draft.created', create_shipment: 'draft.shipment_created', delete: 'draft.deleted' },
  'Shipment Monitor': { latest: 'shipment.tracking_updated', delivered: 'shipment.delivered' },
} as const satisfies Record<string, Record<string, EventType>>;

/** A resource name of the reference platform: `Orders`, `Shipments`, `Drafts`, `Shipment Monitor`. */
export type ShipmondoResource = keyof typeof shipmondoActions;

/** A resource and an action as the reference platform names them. */
export interface ShipmondoAction {
  readonly resource: ShipmondoResource;
  readonly action: string;
}

/** The resource names, in the reference's order. */
export const shipmondoResources = Object.keys(shipmondoActions) as ShipmondoResource[];

const byEventType = new Map<string, ShipmondoAction>(
  shipmondoResources.flatMap((resource) =>
    Object.entries(shipmondoActions[resource]).map(([action, type]) => [type, { resource, action }] as const),
  ),
);

/** True for a resource name of the reference platform. */
export function isShipmondoResource(name: string): name is ShipmondoResource {
  return Object.hasOwn(shipmondoActions, name);
}

/** The actions of a resource, in the reference's order. */
export function actionsOf(resource: ShipmondoResource): string[] {
  return Object.keys(shipmondoActions[resource]);
}

/** The catalog type of a resource's action; undefined when the resource has no such action. */
export function eventTypeOfAction(resource: ShipmondoResource, action: string): EventType | undefined {
  const actions: Readonly<Record<string, EventType>> = shipmondoActions[resource];
  return Object.hasOwn(actions, action) ? actions[action] : undefined;
}

/** The resource and action of a catalog type; undefined for a type the reference has no name for. */
export function shipmondoActionOf(eventType: string): ShipmondoAction | undefined {
  return byEventType.get(eventType);
}

/**
 * The resource and action that a request about a subscription, not about an event, carries (the verification
 * request at creation, a test event): those of its first selected type, or of the first action of its first
 * selected resource (`order.*`: `Orders`, `create`), so that a receiver that checks them takes the request.
 */
export function shipmondoActionOfSelection(events: readonly string[]): ShipmondoAction | undefined {
  const [first] = events;
  if (first === undefined) return undefined;
  const exact = shipmondoActionOf(first);
  if (exact !== undefined || !first.endsWith('.*')) return exact;
  const resource = resourceOf(first);
  for (const [type, named] of byEventType) if (resourceOf(type) === resource) return named;
  return undefined;
}

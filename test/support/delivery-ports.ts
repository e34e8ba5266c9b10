import type { DeliveryPorts } from '../../functions/core/deliveries/deliver.ts';

/** Ports of a delivery whose subscription's health and platform events a test or benchmark does not look at. */
export const healthIgnored: Pick<
  DeliveryPorts,
  'disable' | 'markFailing' | 'markRecovered' | 'markSlow' | 'clearSlow' | 'publish'
> = {
  disable: async () => true,
  markFailing: async () => true,
  markRecovered: async () => true,
  markSlow: async () => true,
  clearSlow: async () => true,
  publish: async () => undefined,
};

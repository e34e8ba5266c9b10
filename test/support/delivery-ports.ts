import type { DeliveryPorts } from '../../functions/core/deliveries/deliver.ts';

/**
 * Ports of a delivery whose subscription's health, lane, circuit, pacing and platform events a test or benchmark
 * does not look at: every change says it was made, nothing is held, no turn waits.
 */
export const healthIgnored: Pick<
  DeliveryPorts,
  | 'disable'
  | 'noteFailure'
  | 'markRecovered'
  | 'markSlow'
  | 'clearSlow'
  | 'addLaneEvidence'
  | 'clearLaneEvidence'
  | 'hold'
  | 'openCircuit'
  | 'closeCircuit'
  | 'restartProbe'
  | 'stillOpen'
  | 'releaseHeld'
  | 'backOff'
  | 'takeTurn'
  | 'sleep'
  | 'publish'
> = {
  disable: async () => true,
  noteFailure: async () => 0,
  markRecovered: async () => true,
  markSlow: async () => true,
  clearSlow: async () => true,
  addLaneEvidence: async () => 0,
  clearLaneEvidence: async () => true,
  hold: async () => undefined,
  openCircuit: async () => false,
  closeCircuit: async () => true,
  restartProbe: async () => undefined,
  stillOpen: async () => true,
  releaseHeld: async () => undefined,
  backOff: async () => true,
  takeTurn: async (_subscription, from) => from,
  sleep: async () => undefined,
  publish: async () => undefined,
};

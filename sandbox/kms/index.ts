/** The sandbox's KMS emulator: see {@link KmsEmulator}. */

export { KmsEmulator, type KmsEmulatorOptions } from './emulator.ts';
export { KMS_NAMESPACE, KMS_TARGET_PREFIX } from './errors.ts';

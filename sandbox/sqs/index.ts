/** The sandbox's SQS emulator: see {@link SqsEmulator}. */

export { SQS_TARGET_PREFIX } from './api.ts';
export {
  queueNameOf,
  type ReceiveMessagesOptions,
  type SendMessageOptions,
  type SendMessageResult,
  SqsEmulator,
  type SqsEmulatorOptions,
} from './emulator.ts';
export { SQS_NAMESPACE } from './errors.ts';
export type { MessageAttributeValue, ReceivedMessage } from './types.ts';

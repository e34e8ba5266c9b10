/** The sandbox's SQS emulator: see {@link SqsEmulator}. */

export { SQS_TARGET_PREFIX } from './api.ts';
export { SqsEmulator, type SqsEmulatorOptions } from './emulator.ts';
export { SQS_NAMESPACE } from './errors.ts';
export { queueNameOf } from './queue-name.ts';
export type {
  MessageAttributeValue,
  ReceivedMessage,
  ReceiveMessagesOptions,
  SendMessageOptions,
  SendMessageResult,
} from './types.ts';

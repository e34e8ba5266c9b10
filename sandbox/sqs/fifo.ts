/**
 * FIFO queues' rules for sends and receives: what a send must carry (SQS API Reference: SendMessage,
 * SendMessageBatch), how it is deduplicated (Developer Guide: "Exactly-once processing in Amazon SQS") and in
 * which order receives hand messages out (Developer Guide: "FIFO queue delivery logic in Amazon SQS"). Plain
 * functions over a queue's settings and messages; the emulator applies what they decide.
 */
import { createHash } from 'node:crypto';
import { entryOf } from '../map-entry.ts';
import { invalidParameter, invalidParameterValue, missingParameter } from './errors.ts';
import type { DeduplicationScope } from './fifo-state.ts';
import { checkMessageDeduplicationId, checkMessageGroupId } from './message.ts';
import type { QueueSettings, ReceivePick, SendMessageOptions, StoredMessage } from './types.ts';

/** AWS's reason for a parameter the queue's type does not take, its grammar included. */
const NOT_FOR_THIS_QUEUE_TYPE = 'The request include parameter that is not valid for this queue type.';
const NO_DEDUPLICATION =
  'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly';
const NO_GROUP = 'The request must contain the parameter MessageGroupId.';

/** A send's FIFO identity once checked. */
export interface FifoSend {
  readonly groupId: string;
  /** The id given, or the SHA-256 (hex) of the body when the queue deduplicates by content. */
  readonly deduplicationId: string;
}

/** The deduplication scope in effect for the queue's settings (`queue` unless set to `messageGroup`). */
export function deduplicationScopeOf(settings: Readonly<QueueSettings>): DeduplicationScope {
  return settings.DeduplicationScope === 'messageGroup' ? 'messageGroup' : 'queue';
}

/**
 * Checks a send to a FIFO queue and resolves its group and deduplication ids: a per-message `DelaySeconds`
 * other than 0 is refused (only the queue's delay applies), `MessageGroupId` is required, and without a
 * `MessageDeduplicationId` the queue must deduplicate by content (the SHA-256 of the body, not its attributes).
 */
export function checkFifoSend(
  settings: Readonly<QueueSettings>,
  body: string,
  options: SendMessageOptions,
): FifoSend {
  if (options.delaySeconds !== undefined && options.delaySeconds !== 0)
    throw invalidParameter('DelaySeconds', options.delaySeconds, NOT_FOR_THIS_QUEUE_TYPE);
  const groupId = options.messageGroupId;
  if (groupId === undefined) throw missingParameter('MessageGroupId');
  checkMessageGroupId(groupId);
  const given = options.messageDeduplicationId;
  if (given !== undefined) {
    checkMessageDeduplicationId(given);
    return { groupId, deduplicationId: given };
  }
  if (settings.ContentBasedDeduplication !== 'true') throw invalidParameterValue(NO_DEDUPLICATION);
  return { groupId, deduplicationId: createHash('sha256').update(body, 'utf8').digest('hex') };
}

/**
 * The checks SQS makes on a whole SendMessageBatch to a FIFO queue before sending any entry: an entry without a
 * group id, or without a deduplication id on a queue that does not deduplicate by content, fails the request
 * (AWS answers `InvalidParameterValue` here even for the missing group id, where SendMessage answers
 * `MissingParameter`).
 */
export function checkFifoBatch(
  settings: Readonly<QueueSettings>,
  entries: readonly SendMessageOptions[],
): void {
  for (const entry of entries) {
    if (entry.messageGroupId === undefined) throw invalidParameterValue(NO_GROUP);
    if (entry.messageDeduplicationId === undefined && settings.ContentBasedDeduplication !== 'true')
      throw invalidParameterValue(NO_DEDUPLICATION);
  }
}

/**
 * Picks up to `max` messages from a FIFO queue's messages (in send order) at `now`. Within a group, only the
 * messages before its first hidden one (in flight, or still delayed) can be received: while a message of a
 * group is in flight nothing after it is handed out, and a message whose visibility ended comes again before
 * those behind it. As SQS does, a receive takes as many messages of one group as it can before the next group's.
 * SQS promises no order among groups; this takes them in the order their first receivable message became
 * visible (at its send, after its delay, or when its visibility timeout ended), which gives the orders AWS
 * answered in LocalStack's AWS-validated FIFO tests: a group just handed back comes after groups waiting since
 * before. A message already received `overReceived` times is dead-lettered instead, and the next message of its
 * group can then be received in the same call.
 */
export function pickInGroupOrder(
  messages: Iterable<StoredMessage>,
  now: number,
  retentionMs: number,
  max: number,
  overReceived: (message: StoredMessage) => boolean,
): ReceivePick {
  /**
   * Per group, the receivable messages met so far, and whether more may follow: a hidden message closes the
   * group, and so does reaching `max` (what lies beyond is neither taken nor dead-lettered in this call).
   */
  const groups = new Map<string, { readonly receivable: StoredMessage[]; open: boolean }>();
  const deadLetter: StoredMessage[] = [];
  for (const message of messages) {
    if (message.sentAt + retentionMs <= now) continue;
    const group = entryOf(groups, message.messageGroupId ?? '', () => ({ receivable: [], open: true }));
    if (!group.open) continue;
    if (message.visibleAt > now) group.open = false;
    else if (overReceived(message)) deadLetter.push(message);
    else group.open = group.receivable.push(message) < max;
  }
  const ready = [...groups.values()].filter(({ receivable }) => receivable.length > 0);
  // Stable: groups whose first messages became visible at the same time keep their order in the queue.
  ready.sort((a, b) => (a.receivable[0]?.visibleAt ?? 0) - (b.receivable[0]?.visibleAt ?? 0));
  const take: StoredMessage[] = [];
  for (const { receivable } of ready) {
    for (const message of receivable) {
      if (take.length >= max) return { take, deadLetter };
      take.push(message);
    }
  }
  return { take, deadLetter };
}

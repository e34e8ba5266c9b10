import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** What became of a FIFO record: `done` (it is deleted) or it waits, invisible, for `seconds`, keeping its group. */
export type FifoVerdict = 'done' | { readonly waitSeconds: number };

/**
 * The handler of an SQS event source mapping over a FIFO queue, with partial batch responses. A batch's message
 * groups are processed in parallel, each group's records one after the other, in order. A record that waits (its
 * visibility is changed to its wait) or throws (it comes back after the queue's visibility timeout) is reported
 * failed, and so is every record after it in its group, unprocessed: SQS hands none of them out again before it,
 * so the group keeps its order (as Lambda's guide asks of FIFO consumers, and Powertools'
 * `SqsFifoPartialProcessor` does with `skipGroupOnError`, which processes groups one after another instead).
 * Those unprocessed records are made visible again at once (`release`, which also notes that they were received
 * and skipped: SQS counts the receive): SQS still hands none of them out while the one before them is in flight,
 * and without it they would stay invisible for the queue's whole visibility timeout, holding their group up long
 * after the wait before them ended.
 */
export function fifoConsumer<State>(
  processRecord: (record: SQSRecord, batch: State) => Promise<FifoVerdict>,
  changeVisibility: (receiptHandle: string, seconds: number) => Promise<void>,
  release: (records: readonly SQSRecord[]) => Promise<void>,
  onError: (record: SQSRecord, error: unknown) => void,
  newBatchState: (context: Context) => State,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    const batch = newBatchState(context);
    const groups = new Map<string, SQSRecord[]>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      const records = groups.get(group);
      if (records === undefined) groups.set(group, [record]);
      else records.push(record);
    }
    const failures: SQSBatchItemFailure[] = [];
    await Promise.all(
      [...groups.values()].map(async (records) => {
        for (const [index, record] of records.entries()) {
          let stopped = false;
          try {
            const verdict = await processRecord(record, batch);
            if (verdict !== 'done') {
              await changeVisibility(record.receiptHandle, verdict.waitSeconds);
              stopped = true;
            }
          } catch (error) {
            onError(record, error);
            stopped = true;
          }
          if (stopped) {
            for (const rest of records.slice(index)) failures.push({ itemIdentifier: rest.messageId });
            const unprocessed = records.slice(index + 1);
            if (unprocessed.length > 0) await release(unprocessed).catch((error) => onError(record, error));
            return;
          }
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}

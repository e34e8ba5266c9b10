import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * The handler of an SQS event source mapping with partial batch responses: each record is processed on its
 * own, and only the ones that threw are reported back, to come again after their visibility timeout. A batch
 * whose every record failed is reported the same way rather than thrown, so SQS treats it alike. Records are
 * processed in parallel, so one slow record does not hold up the others.
 */
export function sqsConsumer<State = undefined>(
  processRecord: (record: SQSRecord, batch: State) => Promise<void>,
  /** What the records of one batch share (e.g. what they read), made anew for each invocation. */
  newBatchState: (context: Context, event: SQSEvent) => State = () => undefined as State,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return (event, context) => {
    const batch = newBatchState(context, event);
    return processPartialResponse(event, (record: SQSRecord) => processRecord(record, batch), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * The handler of an SQS event source mapping with partial batch responses: each record is processed on its
 * own, and only the ones that threw are reported back, to come again after their visibility timeout. A batch
 * whose every record failed is reported the same way rather than thrown, so SQS treats it alike.
 */
export function sqsConsumer(
  processRecord: (record: SQSRecord) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return (event, context) =>
    processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
}

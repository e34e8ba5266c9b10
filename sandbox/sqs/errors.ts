/**
 * SQS's errors in the shape the AWS SDK v3 (awsQueryCompatible JSON protocol) parses: the `__type` code becomes
 * the exception's name, and the `x-amzn-query-error` code lets the SDK find modelled errors whose query code
 * differs (e.g. `AWS.SimpleQueueService.NonExistentQueue` -> `QueueDoesNotExist`).
 */
import { AwsServiceError } from '../aws-json-protocol.ts';

/** Shape namespace of SQS's errors. */
export const SQS_NAMESPACE = 'com.amazonaws.sqs';

function sqsError(
  code: string,
  message: string,
  queryErrorCode: string = code,
  statusCode = 400,
): AwsServiceError {
  return new AwsServiceError(code, message, { queryErrorCode, statusCode });
}

export function queueDoesNotExist(): AwsServiceError {
  return sqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );
}

export function purgeQueueInProgress(name: string): AwsServiceError {
  return sqsError(
    'PurgeQueueInProgress',
    `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
    'AWS.SimpleQueueService.PurgeQueueInProgress',
  );
}

export function queueDeletedRecently(): AwsServiceError {
  return sqsError(
    'QueueDeletedRecently',
    'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
    'AWS.SimpleQueueService.QueueDeletedRecently',
  );
}

export function queueNameExists(attribute: string): AwsServiceError {
  return sqsError(
    'QueueNameExists',
    `A queue already exists with the same name and a different value for attribute ${attribute}`,
    'QueueAlreadyExists',
  );
}

export function invalidParameterValue(message: string): AwsServiceError {
  return sqsError('InvalidParameterValue', message);
}

/** `Value <v> for parameter <p> is invalid. Reason: <reason>` as SQS words it. */
export function invalidParameter(parameter: string, value: unknown, reason: string): AwsServiceError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return invalidParameterValue(`Value ${shown} for parameter ${parameter} is invalid. Reason: ${reason}`);
}

export function missingParameter(parameter: string): AwsServiceError {
  return sqsError('MissingParameter', `The request must contain the parameter ${parameter}.`);
}

export function invalidAttributeName(name: string, message = `Unknown Attribute ${name}.`): AwsServiceError {
  return sqsError('InvalidAttributeName', message);
}

export function invalidAttributeValue(name: string, reason?: string): AwsServiceError {
  const base = `Invalid value for the parameter ${name}.`;
  return sqsError('InvalidAttributeValue', reason === undefined ? base : `${base} Reason: ${reason}`);
}

export function receiptHandleIsInvalid(handle: string): AwsServiceError {
  return sqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
    'ReceiptHandleIsInvalid',
    404,
  );
}

/** A FIFO queue's answer to a delete with a receipt handle whose visibility timeout has ended. */
export function receiptHandleExpired(handle: string): AwsServiceError {
  return invalidParameter('ReceiptHandle', handle, 'The receipt handle has expired.');
}

export function invalidMessageContents(codePoint: number): AwsServiceError {
  const hex = codePoint.toString(16).toUpperCase();
  return sqsError(
    'InvalidMessageContents',
    `Invalid binary character '#x${hex}' was found in the message body, the set of allowed characters is ` +
      '#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );
}

export function emptyBatchRequest(entryName: string): AwsServiceError {
  return sqsError(
    'EmptyBatchRequest',
    `There should be at least one ${entryName} in the request.`,
    'AWS.SimpleQueueService.EmptyBatchRequest',
  );
}

export function tooManyEntriesInBatchRequest(count: number): AwsServiceError {
  return sqsError(
    'TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${count}.`,
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  );
}

export function batchEntryIdsNotDistinct(id: string): AwsServiceError {
  return sqsError(
    'BatchEntryIdsNotDistinct',
    `Id ${id} repeated.`,
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  );
}

export function invalidBatchEntryId(): AwsServiceError {
  return sqsError(
    'InvalidBatchEntryId',
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
  );
}

export function batchRequestTooLong(limit: number, size: number): AwsServiceError {
  return sqsError(
    'BatchRequestTooLong',
    `Batch requests cannot be longer than ${limit} bytes. You have sent ${size} bytes.`,
    'AWS.SimpleQueueService.BatchRequestTooLong',
  );
}

/**
 * KMS's errors in the shape the AWS SDK v3 (AWS JSON 1.1) parses: the `__type` code becomes the exception's
 * name (`NotFoundException`, `DisabledException`, `InvalidCiphertextException`, ...), worded as KMS words them.
 */
import { AwsServiceError } from '../aws-json-protocol.ts';

/** Shape namespace of KMS's errors. */
export const KMS_NAMESPACE = 'com.amazonaws.kms';

/** The `X-Amz-Target` prefix of KMS operations (`TrentService.Encrypt`). */
export const KMS_TARGET_PREFIX = 'TrentService';

/** A key id, key ARN, alias name or alias ARN that names nothing. */
export function notFound(message: string): AwsServiceError {
  return new AwsServiceError('NotFoundException', message);
}

/** The key exists but is disabled: it neither encrypts nor decrypts until it is enabled again. */
export function disabled(keyArn: string): AwsServiceError {
  return new AwsServiceError('DisabledException', `${keyArn} is disabled.`);
}

/**
 * The ciphertext, or what was authenticated with it (the encryption context), is corrupted, missing or not
 * what it was encrypted with. KMS says no more than its name.
 */
export function invalidCiphertext(): AwsServiceError {
  return new AwsServiceError('InvalidCiphertextException', '');
}

/** A Decrypt whose `KeyId` is not the key the ciphertext was encrypted under. */
export function incorrectKey(): AwsServiceError {
  return new AwsServiceError(
    'IncorrectKeyException',
    'The key ID in the request does not identify a KMS key that can perform this operation.',
  );
}

/** A request member that breaks its constraint, in the words of AWS's request validation. */
export function validation(member: string, value: 'null' | 'at', constraint: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value ${value === 'null' ? 'null at' : 'at'} '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

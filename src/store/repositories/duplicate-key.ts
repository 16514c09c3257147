import { DuplicateKey } from '../../core/ports/errors.ts';
import { isUniqueViolation } from '../database.ts';

/** Re-throws a unique-index refusal as core's DuplicateKey; anything else as it came. */
export function uniqueToDuplicateKey(error: unknown): never {
  if (isUniqueViolation(error)) throw new DuplicateKey(error);
  throw error;
}

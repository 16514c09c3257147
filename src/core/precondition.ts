import { PreconditionFailed } from './errors.ts';

/**
 * A client's condition on the current state of what it changes (HTTP If-Match): checked
 * inside the write's transaction, against the resource as a read would show it, so no
 * other write can slip in between the check and the change.
 */
export type Precondition<T> = (current: T) => boolean;

export function checkPrecondition<T>(precondition: Precondition<T>, current: T): void {
  if (!precondition(current)) {
    throw new PreconditionFailed('The resource changed since it was read (If-Match does not match its ETag)');
  }
}

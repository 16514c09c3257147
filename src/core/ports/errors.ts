/**
 * A write refused by a unique index: two requests raced past core's check that a key was
 * free. Repositories throw it (whatever the engine's own code), so core can answer with its
 * own Conflict without knowing the engine.
 */
export class DuplicateKey extends Error {
  constructor(cause: unknown) {
    super('duplicate key', { cause });
    this.name = 'DuplicateKey';
  }
}

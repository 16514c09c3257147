import type { JsonObject } from './message-types.ts';

// Trait merging. Traits merge key by key into what is stored; a null value removes the key.
// Each key remembers the timestamp of the message that last set or removed it, and a message
// older than that leaves the key alone, so messages may arrive in any order. A removed key
// keeps its time (a tombstone), so an older message cannot bring it back.

export interface TraitState {
  /** Null-prototype objects: a trait named `__proto__` is an ordinary key here. */
  traits: JsonObject;
  times: Record<string, string>;
}

export interface TraitChange {
  key: string;
  /** undefined: the key was absent. */
  oldValue: unknown;
  /** undefined: the key was removed. */
  newValue: unknown;
}

const bare = <T>(from: Record<string, T>): Record<string, T> => Object.assign(Object.create(null), from);

export function traitState(traitsJson: string, timesJson: string): TraitState {
  return { traits: bare(JSON.parse(traitsJson)), times: bare(JSON.parse(timesJson)) };
}

export const emptyTraitState = (): TraitState => ({
  traits: Object.create(null),
  times: Object.create(null),
});

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * Merges `incoming` (stamped `at`) into `state`, in place. Returns the value changes (for the
 * history) and whether anything, values or times, changed (whether the row must be written).
 * Equal timestamps: the later message wins, so messages of one batch apply in order.
 */
export function mergeTraits(
  state: TraitState,
  incoming: JsonObject,
  at: string,
): { changes: TraitChange[]; touched: boolean } {
  const changes: TraitChange[] = [];
  let touched = false;
  for (const key of Object.keys(incoming)) {
    const value = incoming[key];
    if (value === undefined) continue;
    const last = state.times[key];
    if (last !== undefined && at < last) continue;
    const had = Object.hasOwn(state.traits, key);
    const old = had ? state.traits[key] : undefined;
    if (value === null) {
      if (had) {
        delete state.traits[key];
        changes.push({ key, oldValue: old, newValue: undefined });
      }
    } else if (!had || !same(old, value)) {
      state.traits[key] = value;
      changes.push({ key, oldValue: old, newValue: value });
    }
    if (last !== at) {
      state.times[key] = at;
      touched = true;
    }
  }
  return { changes, touched: touched || changes.length > 0 };
}

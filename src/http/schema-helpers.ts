import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';

// A string enum as JSON Schema `enum` (not a union of literals), so a bad value gets one
// clear error listing the allowed values.
export const StringEnum = <T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/**
 * `T | null`. For a schema with one JSON type this is `type: [T, 'null']` rather than an
 * `anyOf`: the app's Ajv coerces types, and inside an `anyOf` it would coerce a `null`
 * into `""` on the first branch (so `"description": null` would store an empty string and
 * `"frequency": null` would fail the enum) — a type list leaves a null alone.
 */
export const Nullable = <T extends TSchema>(t: T): TUnsafe<Static<T> | null> => {
  const plain: Record<string, unknown> = Object.fromEntries(Object.entries(t));
  if (typeof plain.type !== 'string') return Type.Unsafe<Static<T> | null>(Type.Union([t, Type.Null()]));
  const enumValues = Array.isArray(plain.enum) ? { enum: [...plain.enum, null] } : {};
  return Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'], ...enumValues });
};

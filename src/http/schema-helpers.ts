import { type TSchema, Type } from '@sinclair/typebox';

// A string enum as JSON Schema `enum` (not a union of literals), so a bad value gets one
// clear error listing the allowed values.
export const StringEnum = <T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

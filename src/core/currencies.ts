// Currency units are ISO-4217 codes. The list is the one the runtime's ICU knows
// (Intl.supportedValuesOf, Node 20+): current codes, not any three capital letters.
const CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export const isCurrencyCode = (code: string): boolean => CODES.has(code);

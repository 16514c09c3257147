// One predicate per dialect: is this error answer in the route's dialect shape? Each returns
// null when it is, or what is wrong. Written from DIALECTS.md and the dialects' errors.ts, not
// from the formatters themselves, so a body built outside the error handler is caught.

export type DialectShape = 'native' | 'visible' | 'workiva' | 'achieveit' | 'dcycle' | 'vitally';
type Check = (status: number, contentType: unknown, body: string) => string | null;

const TAGS: Record<string, DialectShape> = {
  Visible: 'visible',
  Workiva: 'workiva',
  AchieveIt: 'achieveit',
  Dcycle: 'dcycle',
  Vitally: 'vitally',
};

/** A route's dialect from its OpenAPI tags: the dialects tag their routes by vendor name. */
export const dialectOfTag = (tags: readonly string[] | undefined): DialectShape =>
  tags?.map((t) => TAGS[t]).find(Boolean) ?? 'native';

const parse = (body: string): Record<string, unknown> | null => {
  try {
    const v = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
};
const isString = (v: unknown) => typeof v === 'string';
const json = (contentType: unknown) => /^application\/(problem\+)?json\b/.test(String(contentType ?? ''));

const native: Check = (status, contentType, text) => {
  if (!/^application\/problem\+json\b/.test(String(contentType ?? ''))) return `content type ${contentType}`;
  const b = parse(text);
  if (!b) return 'not a JSON object';
  if (!isString(b.type) || !isString(b.title)) return 'no type/title';
  if (b.status !== status) return `status ${b.status} in the body`;
  return null;
};

const visible: Check = (_status, contentType, text) => {
  const b = parse(text);
  if (!json(contentType) || !b) return 'not JSON';
  const errors = b.errors;
  if (!Array.isArray(errors) || errors.length === 0) return 'no errors list';
  return errors.every((e) => e && isString(e.type)) ? null : 'an error without type';
};

const workiva: Check = (status, contentType, text) => {
  const b = parse(text);
  if (!json(contentType) || !b) return 'not JSON';
  if (!isString(b.code) || !String(b.code).startsWith(String(status))) return `code ${b.code}`;
  if (!isString(b.message)) return 'no message';
  if (b.details !== undefined && !Array.isArray(b.details)) return 'details not a list';
  return null;
};

const messageOnly: Check = (_status, contentType, text) => {
  const b = parse(text);
  if (!json(contentType) || !b) return 'not JSON';
  if (!isString(b.message)) return 'no message';
  if (b.errors !== undefined && !Array.isArray(b.errors)) return 'errors not a list';
  return null;
};

const dcycle: Check = (status, contentType, text) => {
  const b = parse(text);
  if (!json(contentType) || !b) return 'not JSON';
  if (status === 422) {
    if (!Array.isArray(b.detail) || b.detail.length === 0) return 'no detail list';
    return b.detail.every((d) => d && Array.isArray(d.loc) && isString(d.msg) && isString(d.type))
      ? null
      : 'a detail without loc/msg/type';
  }
  return isString(b.detail) && isString(b.code) ? null : 'no detail/code';
};

export const errorShapes: Record<DialectShape, Check> = {
  native,
  visible,
  workiva,
  achieveit: messageOnly,
  dcycle,
  vitally: messageOnly,
};

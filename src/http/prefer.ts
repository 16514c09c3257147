// RFC 7240 `Prefer` header: a comma-separated list of preferences, each `name[=value]`
// followed by `;`-separated parameters that belong to it. Commas and semicolons inside a
// quoted string are text. When a preference is given twice, the first one counts.

/** Splits on `separator` outside double-quoted strings. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const unquote = (v: string) => (v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);

/** The value of the preference `name` (lower case), '' when it has none, undefined when absent. */
export function preference(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  for (const item of splitOutsideQuotes(text, ',')) {
    const [head] = splitOutsideQuotes(item, ';');
    const eq = head.indexOf('=');
    const key = (eq === -1 ? head : head.slice(0, eq)).trim().toLowerCase();
    if (key === name) return eq === -1 ? '' : unquote(head.slice(eq + 1).trim());
  }
  return undefined;
}

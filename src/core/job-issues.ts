import type { FieldIssue } from './errors.ts';

/** The item an issue is about: its 0-based index in the payload's list (`data[12].value` → 12). */
export function issueIndex(issue: FieldIssue): number | undefined {
  const m = /\[(\d+)\]/.exec(issue.field);
  return m ? Number(m[1]) : undefined;
}

/** How many distinct items (by line, else by index) the issues name. */
export function rejectedItems(issues: FieldIssue[]): number {
  const items = new Set<string>();
  for (const i of issues) {
    const index = issueIndex(i);
    items.add(i.line !== undefined ? `l${i.line}` : index !== undefined ? `i${index}` : `f${i.field}`);
  }
  return items.size;
}

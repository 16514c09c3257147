import type { CheckedMessage } from './messages.ts';
import type { LinkRecord, LinkRef } from './records.ts';

// Links between entities, as the messages of a batch change them, in message order:
// - a user belongs to any number of accounts and organizations; `unlink` removes one;
// - an account belongs to one organization, a custom object instance to one account and one
//   organization: naming another parent moves it.
// The batch's net effect is computed first: the links it adds, moves and ends, written with the
// rest of the batch (AnalyticsWrites) in one statement. A move's kept link is also an add; no
// link a move or an end deletes is one the batch adds.

const linkKey = (l: LinkRef) =>
  `${l.child_kind}\u0000${l.child_external_id}\u0000${l.parent_kind}\u0000${l.parent_external_id}`;

class LinkChanges {
  readonly adds = new Map<string, LinkRef>();
  readonly removes = new Map<string, LinkRef>();
  /** child + parent kind → the one parent it now has. */
  readonly moves = new Map<string, LinkRef>();

  link(l: LinkRef, oneParent: boolean): void {
    const key = linkKey(l);
    this.removes.delete(key);
    this.adds.set(key, l);
    if (!oneParent) return;
    const slot = `${l.child_kind}\u0000${l.child_external_id}\u0000${l.parent_kind}`;
    const previous = this.moves.get(slot);
    if (previous && linkKey(previous) !== key) this.adds.delete(linkKey(previous));
    this.moves.set(slot, l);
  }

  unlink(l: LinkRef): void {
    const key = linkKey(l);
    this.adds.delete(key);
    this.removes.set(key, l);
  }
}

function collect(messages: CheckedMessage[]): LinkChanges {
  const changes = new LinkChanges();
  const to = (
    child_kind: string,
    child_external_id: string,
    parent_kind: string,
    parent_external_id: string,
  ) => ({
    child_kind,
    child_external_id,
    parent_kind,
    parent_external_id,
  });
  for (const { message: m } of messages) {
    switch (m.type) {
      case 'account':
        if (m.organizationId)
          changes.link(to('account', m.accountId!, 'organization', m.organizationId), true);
        break;
      case 'user':
        if (m.accountId) changes.link(to('user', m.userId!, 'account', m.accountId), false);
        if (m.organizationId) changes.link(to('user', m.userId!, 'organization', m.organizationId), false);
        break;
      case 'custom_object_instance': {
        const id = m.externalId!;
        if (m.accountId) changes.link(to('custom_object_instance', id, 'account', m.accountId), true);
        if (m.organizationId)
          changes.link(to('custom_object_instance', id, 'organization', m.organizationId), true);
        break;
      }
      case 'unlink':
        if (m.accountId) changes.unlink(to('user', m.userId!, 'account', m.accountId));
        if (m.organizationId) changes.unlink(to('user', m.userId!, 'organization', m.organizationId));
        break;
    }
  }
  return changes;
}

/** The links the messages add, and those they move or end: written with the rest of the batch. */
export function linkWrites(
  orgId: string,
  messages: CheckedMessage[],
  at: string,
): { links: LinkRecord[]; linkMoves: LinkRef[]; linkRemoves: LinkRef[] } {
  const changes = collect(messages);
  // Sorted, so concurrent batches take the index and row locks in the same order (an unlink
  // locks no entity first).
  const sorted = (m: Map<string, LinkRef>) =>
    [...m.values()].sort((a, b) => (linkKey(a) < linkKey(b) ? -1 : 1));
  return {
    links: sorted(changes.adds).map((l) => ({ org_id: orgId, ...l, created_at: at })),
    linkMoves: sorted(changes.moves),
    linkRemoves: sorted(changes.removes),
  };
}

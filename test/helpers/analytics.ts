import type { Store } from '../../src/store/database.ts';
import { countEach } from './rows.ts';

// The body of the Vitally seed's curl sample (seeds/004), verbatim.
export const VITALLY_SEED_BODY = `[
{
"type": "organization",
"organizationId": "abcdefg",
"traits": {
"name": "World Cup",
"sport": "futbol"
},
"messageId": "7ac1c682-a54b-4d0d-9f56-d6d3618f4915",
"timestamp": "2018-05-15T12:31:12.123Z"
},
{
"type": "account",
"accountId": "123456",
"organizationId": "abcdefg",
"traits": {
"name": "Argentina",
"group": "D"
},
"messageId": "7ac1c682-a54b-4d0d-9f56-d6d3618f4915",
"timestamp": "2018-05-15T12:31:12.123Z"
},
{
"type": "user",
"userId": "32",
"accountId": "123456",
"organizationId": "abcdefg",
"traits": {
"name": "Lionel Messi",
"position": "Forward",
"number": 10,
"email": "messi@barcelona.sp"
},
"messageId": "7ac1c682-a54b-4d0d-9f56-d6d3618f4915",
"timestamp": "2018-05-15T12:31:12.123Z"
},
{
"type": "track",
"userId": "32",
"event": "scored-goal",
"properties": {
"minute": 14,
"opponentId": 421243,
"matchId": 9
},
"messageId": "7ac1c682-a54b-4d0d-9f56-d6d3618f4915",
"timestamp": "2018-05-15T12:31:12.123Z"
},
{
"type": "customobjectinstance",
"externalId": "coi-789xyz",
"customObjectId": "2a3a47e7-459e-440e-b9d3-9fc1b11f233e",
"name": "Q1 Renewal - Argentina",
"accountId": "123456",
"traits": {
"vitally.custom.stage": "Negotiation",
"vitally.custom.dealValue": 50000,
"vitally.custom.closeDate": "2018-06-30T00:00:00.000Z"
},
"messageId": "7ac1c682-a54b-4d0d-9f56-d6d3618f4916",
"timestamp": "2018-05-15T12:31:12.123Z"
}
]`;

const TABLES = [
  'analytics_entities',
  'analytics_links',
  'analytics_trait_history',
  'analytics_events',
  'analytics_dedup',
  'analytics_event_counts',
] as const;

/** Row counts of every analytics table, and the events the day counts hold: "nothing stored" means none of them moved. */
export async function analyticsCounts(store: Store): Promise<Record<string, number>> {
  const counted = await store.db
    .selectFrom('analytics_event_counts')
    .select((eb) => eb.fn.sum<number>('count').as('n'))
    .executeTakeFirst();
  return { ...(await countEach(store, TABLES)), events_counted: Number(counted?.n ?? 0) };
}

import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { Invalid } from './errors.ts';

// Where a webhook may point. A webhook makes the server send requests on behalf of an API
// key, so by default it may reach only public unicast addresses: not this machine, not the
// private network it sits in, not the cloud metadata service (169.254.169.254). The check
// runs on the addresses a name resolves to (not on the name), at registration and again at
// every delivery, and the delivery connects to the address that was checked, so a name
// that changes its answer in between (DNS rebinding) gains nothing.
// KPIHUB_WEBHOOK_ALLOW_HOSTS names the on-premise receivers allowed despite this.

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (dns.lookup with `all`, as a connection would). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface TargetPolicy {
  /** Host names allowed whatever they resolve to (lower case, no trailing dot). */
  readonly allowNames: readonly string[];
  /** Address ranges allowed although not public. */
  readonly allowRanges: readonly (readonly [Address, number])[];
  /** Where this server listens: never a target (a webhook calling our own API). */
  readonly self?: { readonly host: string; readonly port: number };
  readonly resolve?: Resolver;
}

/** A URL whose every address passed the check: connect only to these addresses. */
export interface CheckedTarget {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly ResolvedAddress[];
}

const RESOLVE_TIMEOUT_MS = 5000;

export const defaultResolver: Resolver = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Parses KPIHUB_WEBHOOK_ALLOW_HOSTS entries: host names, IP addresses or CIDR ranges.
 * Throws an Error naming the first bad entry.
 */
export function parseAllowList(entries: readonly string[]): Pick<TargetPolicy, 'allowNames' | 'allowRanges'> {
  const allowNames: string[] = [];
  const allowRanges: [Address, number][] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.includes('/')) {
      try {
        allowRanges.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${raw}" is not a valid CIDR range`);
      }
    } else if (isIpLiteral(entry)) {
      const addr = ipaddr.parse(entry);
      allowRanges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (
      /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/.test(
        entry,
      )
    ) {
      allowNames.push(entry.replace(/\.$/, ''));
    } else {
      throw new Error(`"${raw}" is neither a host name, an IP address nor a CIDR range`);
    }
  }
  return { allowNames, allowRanges };
}

function isIpLiteral(s: string): boolean {
  // Dotted four-part decimal only: WHATWG URL has already turned 127.1, 0x7f000001,
  // 2130706433 and 0177.0.0.1 into that form; a name that still looks odd is resolved.
  return ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);
}

// ipaddr.js range names, as a reader would say them.
const RANGE_WORDS: Record<string, string> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  private: 'private',
  uniqueLocal: 'private (unique local)',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  reserved: 'reserved',
  rfc6052: 'NAT64',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4',
  teredo: 'Teredo',
};

/**
 * Why an address is no webhook target ("loopback", "private", "linkLocal", …), or
 * undefined for a public unicast address. IPv4-mapped IPv6 is judged as the IPv4 it
 * carries; IPv6 forms that embed an IPv4 address (NAT64, 6to4, Teredo) are refused.
 */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : (RANGE_WORDS[range] ?? range);
}

function inRanges(addr: Address, ranges: TargetPolicy['allowRanges']): boolean {
  return ranges.some(([base, bits]) => addr.kind() === base.kind() && addr.match(base, bits));
}

/** The addresses of this machine, when the server listens on all of them (0.0.0.0 or ::). */
function ownAddresses(listenHost: string): Address[] {
  const out: Address[] = [];
  if (isIpLiteral(listenHost)) {
    const listen = ipaddr.process(listenHost);
    if (listen.range() !== 'unspecified') return [listen];
  }
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? [])
      if (ipaddr.isValid(i.address.split('%')[0])) out.push(ipaddr.process(i.address.split('%')[0]));
  return out;
}

function isSelf(addr: Address, port: number, self: TargetPolicy['self']): boolean {
  if (!self || self.port === 0 || port !== self.port) return false;
  const text = addr.toNormalizedString();
  return ownAddresses(self.host).some(
    (own) => own.kind() === addr.kind() && own.toNormalizedString() === text,
  );
}

// `code` tells a policy refusal (final) from a name that did not resolve (may be passing).
const refuse = (message: string) => new Invalid([{ field: 'url', message, code: 'refused' }]);
const unresolvable = (host: string) =>
  new Invalid([{ field: 'url', message: `host ${host} does not resolve`, code: 'unresolvable' }]);

/**
 * Checks a webhook URL against the policy: http(s), no credentials in it, and every address
 * its host resolves to allowed. Throws Invalid on `url` saying why; returns the checked
 * addresses, the only ones a delivery may connect to.
 */
export async function checkWebhookTarget(raw: string, policy: TargetPolicy): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('must be an absolute http(s) URL');
  if (url.username !== '' || url.password !== '') throw refuse('must not carry a user name or password');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const named = !isIpLiteral(host);
  const nameAllowed = named && policy.allowNames.includes(host.replace(/\.$/, ''));

  let addresses: ResolvedAddress[];
  if (!named) addresses = [{ address: host, family: ipaddr.IPv6.isValid(host) ? 6 : 4 }];
  else {
    try {
      addresses = await (policy.resolve ?? defaultResolver)(host);
    } catch {
      throw unresolvable(host);
    }
    if (addresses.length === 0) throw unresolvable(host);
  }

  for (const { address } of addresses) {
    const why = addressRefusal(address);
    if (why === 'not an IP address')
      throw refuse(`host ${host} resolves to something that is not an address`);
    const addr = ipaddr.process(address);
    if (isSelf(addr, port, policy.self)) throw refuse('must not point at this server itself');
    if (why === undefined || nameAllowed || inRanges(addr, policy.allowRanges)) continue;
    const target = named ? `host ${host} resolves to ${address}, ` : `${address} is `;
    throw refuse(
      `${target}a ${why} address; webhooks reach public addresses only (KPIHUB_WEBHOOK_ALLOW_HOSTS allows named private receivers)`,
    );
  }
  return { url, host, port, addresses };
}

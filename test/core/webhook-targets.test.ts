import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/core/errors.ts';
import {
  addressRefusal,
  checkWebhookTarget,
  parseAllowList,
  type Resolver,
  type TargetPolicy,
} from '../../src/core/webhook-targets.ts';

// Pure rules, no database: they run once, not per engine (the HTTP behaviour is tested on
// both engines in test/v1/webhook-targets.test.ts).

const resolving =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const policy = (allow: string[] = [], extra: Partial<TargetPolicy> = {}): TargetPolicy => ({
  ...parseAllowList(allow),
  ...extra,
});

async function refusal(
  url: string,
  p: TargetPolicy,
): Promise<{ message: string; code?: string } | undefined> {
  try {
    await checkWebhookTarget(url, p);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(Invalid);
    const issue = (e as Invalid).issues[0];
    expect(issue.field).toBe('url');
    return { message: issue.message, code: issue.code };
  }
}

describe('webhook target rules', () => {
  it('classifies addresses: only public unicast passes', () => {
    expect(addressRefusal('8.8.8.8')).toBeUndefined();
    expect(addressRefusal('2606:4700::1111')).toBeUndefined();
    expect(addressRefusal('127.0.0.1')).toBe('loopback');
    expect(addressRefusal('::ffff:127.0.0.1')).toBe('loopback');
    expect(addressRefusal('169.254.169.254')).toBe('link-local');
    expect(addressRefusal('fe80::1')).toBe('link-local');
    expect(addressRefusal('172.31.255.255')).toBe('private');
    expect(addressRefusal('fc00::1')).toBe('private (unique local)');
    expect(addressRefusal('100.127.0.1')).toBe('carrier-grade NAT');
    expect(addressRefusal('0.1.2.3')).toBe('unspecified');
    expect(addressRefusal('2002:7f00:1::')).toBe('6to4');
    expect(addressRefusal('not-an-ip')).toBe('not an IP address');
  });

  it('refuses a name when any of its addresses is refused, and keeps every checked address', async () => {
    const mixed = await refusal(
      'https://hooks.example/x',
      policy([], { resolve: resolving('8.8.8.8', '10.0.0.1') }),
    );
    expect(mixed?.message).toMatch(/hooks\.example resolves to 10\.0\.0\.1, a private address/);
    const ok = await checkWebhookTarget(
      'https://hooks.example/x',
      policy([], { resolve: resolving('8.8.8.8', '2606:4700::1111') }),
    );
    expect(ok).toMatchObject({ host: 'hooks.example', port: 443 });
    expect(ok.addresses.map((a) => a.address)).toEqual(['8.8.8.8', '2606:4700::1111']);
  });

  it('tells a name that does not resolve (may pass) from a refusal (final)', async () => {
    const failing: Resolver = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await refusal('http://gone.example/', policy([], { resolve: failing }))).toMatchObject({
      code: 'unresolvable',
    });
    expect(await refusal('http://10.0.0.1/', policy())).toMatchObject({ code: 'refused' });
  });

  it('allows listed names whatever they resolve to, and listed ranges (IPv4-mapped too)', async () => {
    const p = policy(['hooks.corp.local', '10.20.0.0/16'], { resolve: resolving('192.168.7.7') });
    expect(await refusal('http://HOOKS.corp.local./in', p)).toBeUndefined();
    expect(await refusal('http://other.corp.local/in', p)).toMatchObject({ code: 'refused' });
    expect(await refusal('http://10.20.3.4/in', p)).toBeUndefined();
    expect(await refusal('http://[::ffff:10.20.3.4]/in', p)).toBeUndefined();
    expect(await refusal('http://10.21.0.1/in', p)).toMatchObject({ code: 'refused' });
  });

  it('refuses this server itself, on its own port, even when allowed', async () => {
    const p = policy(['127.0.0.0/8'], { self: { host: '127.0.0.1', port: 8080 } });
    expect((await refusal('http://127.0.0.1:8080/v1/datasets', p))?.message).toMatch(/this server itself/);
    expect(await refusal('http://127.0.0.1:8081/hook', p)).toBeUndefined();
    // Listening on every interface: each of this machine's addresses at that port is itself.
    const own = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (own) {
      const all = policy(['0.0.0.0/0'], { self: { host: '0.0.0.0', port: 8080 } });
      expect((await refusal(`http://${own}:8080/`, all))?.message).toMatch(/this server itself/);
    }
  });
});

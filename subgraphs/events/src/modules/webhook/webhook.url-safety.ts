import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { badInput } from '@union/common';

/**
 * Addresses a webhook may never reach in production: loopback, private (RFC 1918, unique local),
 * link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT, unspecified,
 * multicast and reserved ranges, in IPv4, IPv6 and IPv4-mapped IPv6.
 */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv6');
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return FORBIDDEN.check(mapped[1]!, 'ipv4');
    return FORBIDDEN.check(address, 'ipv6');
  }
  return true;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const MAX_URL_LENGTH = 2048;

/**
 * Checks an endpoint URL's shape: https, or plain http to loopback outside production; no
 * credentials in it. Production also refuses hosts that resolve to forbidden addresses.
 */
export async function checkEndpointUrl(raw: string, production: boolean): Promise<URL> {
  if (raw.length > MAX_URL_LENGTH) throw badInput(`url must be at most ${MAX_URL_LENGTH} characters`, 'url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput('url is not a valid URL', 'url');
  }
  if (url.username || url.password) throw badInput('url must not carry credentials', 'url');
  if (url.hash) throw badInput('url must not have a fragment', 'url');
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol === 'http:') {
    if (production || !loopback) throw badInput('url must use https (plain http only to loopback, and only outside production)', 'url');
  } else if (url.protocol !== 'https:') {
    throw badInput('url must use https', 'url');
  }
  if (production) await assertPublicHost(url.hostname);
  return url;
}

/** Resolves the host and refuses it when any address it resolves to is forbidden (BAD_USER_INPUT). */
export async function assertPublicHost(hostname: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))));
  } catch {
    throw badInput(`url host ${host} does not resolve`, 'url');
  }
  if (addresses.length === 0 || addresses.some((a) => isForbiddenAddress(a.address))) {
    throw badInput('url resolves to a private, loopback or link-local address', 'url');
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses forbidden addresses at connection time: the address
 * checked is the address connected to, so a DNS answer that changes after the check (rebinding)
 * cannot point a delivery inside the network.
 */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden || addresses.length === 0) {
      // A socket-level errno code like ECONNREFUSED (the delivery's log shows it), not a contract code.
      const refused: NodeJS.ErrnoException = new Error(`refused to connect to ${hostname}: it resolves to a private, loopback or link-local address`);
      refused.code = 'EFORBIDDENADDRESS';
      return callback(refused, '', 0);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

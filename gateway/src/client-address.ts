import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which network address a request came from, when the gateway runs behind load balancers or
 * ingress proxies that append the address they received the request from to X-Forwarded-For.
 *
 * Only proxies listed in TRUSTED_PROXIES are believed: starting from the TCP peer, while the
 * current hop is a trusted proxy, step one entry back (right to left) through X-Forwarded-For.
 * The first untrusted hop is the client. A caller can write anything into the header, so entries
 * to the left of the first untrusted hop are never read, and without TRUSTED_PROXIES the header
 * is ignored altogether.
 */

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is 10.0.0.1. */
function normalized(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped ? mapped[1] : trimmed;
}

/** The problem with one TRUSTED_PROXIES entry (an address or a CIDR range), or null when it is fine. */
export function trustedProxyEntryProblem(entry: string): string | null {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(normalized(address));
  if (rest.length > 0 || family === 0) return `"${entry}" is not an IP address or CIDR range`;
  if (prefix === undefined) return null;
  const bits = Number(prefix);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || bits > max) return `"${entry}" has a prefix length outside 0..${max}`;
  return null;
}

/** Splits a TRUSTED_PROXIES value (commas and/or spaces) into its entries. */
export function trustedProxyEntries(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const problem = trustedProxyEntryProblem(entry);
      if (problem) throw new Error(`TRUSTED_PROXIES: ${problem}`);
      const [raw, prefix] = entry.split('/');
      const address = normalized(raw);
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.size = entries.length;
  }

  trusts(address: string): boolean {
    const plain = normalized(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** The address of the client behind any trusted proxies. */
  clientAddress(req: IncomingMessage): string {
    let current = normalized(req.socket.remoteAddress ?? 'unknown');
    if (this.size === 0) return current;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map(normalized).filter(Boolean);
    while (this.trusts(current) && hops.length > 0) {
      const previous = hops.pop() as string;
      // A malformed entry cannot be an address we count by: stop at the last hop we could read.
      if (isIP(previous) === 0) break;
      current = previous;
    }
    return current;
  }
}

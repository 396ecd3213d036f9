import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which peers may speak for the caller through X-Forwarded-For:
 * - `false`: none (the socket's peer is the caller);
 * - `true`: every one (the leftmost address is the caller): only behind a proxy that writes the
 *   header itself, as deploy/nginx.conf does;
 * - a number n: the n proxies nearest this server;
 * - a list of addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) or the names `loopback`,
 *   `linklocal` and `uniquelocal`: the proxies at those addresses.
 */
export type TrustProxy = boolean | number | readonly string[];

const namedRanges: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) is `10.0.0.1`, so one caller has one address. */
export function normalizeIp(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** One X-Forwarded-For entry as an address, or null: a bracketed IPv6 or an IPv4 may carry a port. */
function forwardedAddress(entry: string): string | null {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  const address = bracketed?.[1] ?? withPort?.[1] ?? text;
  return isIP(address) ? normalizeIp(address) : null;
}

function addRange(list: BlockList, entry: string): void {
  const [address = '', bits, extra] = entry.trim().split('/');
  const family = isIP(address);
  const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  const fits = Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128);
  if (!family || extra !== undefined || (bits !== undefined && !/^\d+$/.test(bits)) || !fits) {
    throw new TypeError(`trusted proxy "${entry}" is not an IP address, a CIDR range or a known name`);
  }
  list.addSubnet(normalizeIp(address), prefix, family === 4 ? 'ipv4' : 'ipv6');
}

type IsTrusted = (address: string, hop: number) => boolean;

const compiledLists = new WeakMap<readonly string[], IsTrusted>();

/** The trust rule as a test of one hop (0 is the socket's peer); lists are compiled once. */
export function compileTrust(trustProxy: TrustProxy): IsTrusted {
  if (typeof trustProxy === 'boolean') return () => trustProxy;
  if (typeof trustProxy === 'number') {
    if (!Number.isInteger(trustProxy) || trustProxy < 0) {
      throw new TypeError('the number of trusted proxies must be a whole number, 0 or more');
    }
    return (_address, hop) => hop < trustProxy;
  }
  const known = compiledLists.get(trustProxy);
  if (known) return known;
  const ranges = new BlockList();
  for (const entry of trustProxy) {
    for (const range of namedRanges[entry.trim()] ?? [entry]) addRange(ranges, range);
  }
  const isTrusted: IsTrusted = (address) => ranges.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  compiledLists.set(trustProxy, isTrusted);
  return isTrusted;
}

/**
 * The caller's address. X-Forwarded-For is read from the right, starting at the socket's peer: while
 * the address in hand is a trusted proxy, the entry it appended is believed and taken next; the
 * first untrusted address is the caller. So an untrusted peer's header is never read, and a client
 * cannot choose its address by writing the header first. An entry that is no IP address stops the
 * walk at the proxy that passed it on. Answers '' when the socket is already gone.
 */
export function clientIp(req: IncomingMessage, trustProxy: TrustProxy): string {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return '';
  let caller = normalizeIp(peer);
  if (trustProxy === false) return caller;
  const isTrusted = compileTrust(trustProxy);
  const header = req.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  // Node joins repeated X-Forwarded-For headers with ", ": one chain either way.
  for (let hop = 0, next = entries.length - 1; isTrusted(caller, hop) && next >= 0; hop += 1, next -= 1) {
    const forwarded = forwardedAddress(entries[next]!);
    if (forwarded === null) break;
    caller = forwarded;
  }
  return caller;
}

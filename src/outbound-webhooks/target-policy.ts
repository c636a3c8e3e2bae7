/**
 * Where the hub may send webhooks. Only http(s) URLs without credentials; and, unless allowed by
 * configuration, no private, loopback, link-local or otherwise internal addresses, so a subscription
 * cannot turn the hub into a proxy into its own network (SSRF). The address is checked when the
 * subscription is saved AND at connection time (the `lookup` given to the HTTP request), so a DNS
 * name that later resolves to an internal address is refused too.
 *
 * Private targets are allowed by default outside production (tests and local receivers use
 * 127.0.0.1); in production set HUB_WEBHOOKS_ALLOW_PRIVATE=true to allow them.
 */
import dns from "node:dns";
import net from "node:net";

export interface TargetPolicy {
  allowPrivate: boolean;
}

export function targetPolicyFor(mode: string, env: NodeJS.ProcessEnv = process.env): TargetPolicy {
  const raw = env.HUB_WEBHOOKS_ALLOW_PRIVATE;
  if (raw !== undefined && raw !== "") return { allowPrivate: /^(1|true|yes|on)$/i.test(raw) };
  return { allowPrivate: mode !== "production" };
}

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

const V4_BLOCKED: Array<[string, number]> = [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

/** Whether an IP address is internal (not routable on the public Internet). */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = v4ToInt(ip);
    return V4_BLOCKED.some(([base, bits]) => {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return (n & mask) >>> 0 === (v4ToInt(base) & mask) >>> 0;
    });
  }
  if (net.isIPv6(ip)) {
    const a = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return isPrivateAddress(mapped[1]);
    // The URL parser writes mapped addresses in hex: ::ffff:a00:1 is 10.0.0.1.
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (hex) {
      const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
      return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    if (a === "::" || a === "::1") return true;
    const first = parseInt(a.split(":")[0] || "0", 16);
    if ((first & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
    if ((first & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
    if ((first & 0xff00) === 0xff00) return true; // multicast
    return false;
  }
  return true; // not an IP at all: refuse
}

export type UrlProblem = "FORMAT" | "SCHEME" | "CREDENTIALS" | "PRIVATE_ADDRESS" | "UNRESOLVABLE";

/** Checks a target URL; resolves its host name to check the addresses. Null when acceptable. */
export async function checkTargetUrl(raw: string, policy: TargetPolicy): Promise<UrlProblem | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "FORMAT";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "SCHEME";
  if (url.username || url.password) return "CREDENTIALS";
  if (policy.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (net.isIP(host)) return isPrivateAddress(host) ? "PRIVATE_ADDRESS" : null;
  try {
    const addrs = await dns.promises.lookup(host, { all: true, verbatim: true });
    if (addrs.length === 0) return "UNRESOLVABLE";
    return addrs.some((a) => isPrivateAddress(a.address)) ? "PRIVATE_ADDRESS" : null;
  } catch {
    return "UNRESOLVABLE";
  }
}

export class PrivateAddressError extends Error {
  constructor(public readonly address: string) {
    super(`target resolves to an internal address (${address}); refused`);
    this.name = "PrivateAddressError";
  }
}

/** A `lookup` for http.request that refuses internal addresses at connection time. */
export function guardedLookup(policy: TargetPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const list = addresses as unknown as dns.LookupAddress[];
      const bad = policy.allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) return (callback as (e: Error) => void)(new PrivateAddressError(bad.address));
      if ((options as dns.LookupOptions).all)
        return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      (callback as (e: null, a: string, f: number) => void)(null, list[0].address, list[0].family);
    });
  };
}

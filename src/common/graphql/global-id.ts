/**
 * Opaque global ids for the Node interface: base64url("Type:uuid"). Clients treat them as strings;
 * the server learns the type from the id alone.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NodeType =
  | "Organization"
  | "Producer"
  | "Product"
  | "Variant"
  | "OcopCertification"
  | "Channel"
  | "ApiKey"
  | "User"
  | "Review"
  | "Order";

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`, "utf8").toString("base64url");
}

/** Returns null for anything that is not a well-formed id of one of our types. */
export function fromGlobalId(globalId: string): { type: NodeType; id: string } | null {
  if (typeof globalId !== "string" || globalId.length > 120) return null;
  const text = Buffer.from(globalId, "base64url").toString("utf8");
  const i = text.indexOf(":");
  if (i < 0) return null;
  const type = text.slice(0, i) as NodeType;
  const id = text.slice(i + 1);
  if (!UUID_RE.test(id)) return null;
  return { type, id: id.toLowerCase() };
}

/** Decodes an id that must be of `type`; also accepts a bare UUID for integrator convenience. */
export function idOf(type: NodeType, globalId: string): string | null {
  if (UUID_RE.test(globalId)) return globalId.toLowerCase();
  const g = fromGlobalId(globalId);
  return g && g.type === type ? g.id : null;
}

/** Finding a channel by global id, UUID or name, as ops people know it by name. */
import { CliFailure, EXIT_USER } from "./client";
import { CliContext, Page, readAll } from "./context";
import { t } from "./i18n";

export interface ChannelRef {
  id: string;
  name: string;
  marketplace: string;
  status: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The UUID inside a Channel global id (base64url of "Channel:<uuid>"), or null. */
export function channelUuid(globalId: string): string | null {
  const text = Buffer.from(globalId, "base64url").toString("utf8");
  const m = /^Channel:(.+)$/.exec(text);
  return m && UUID_RE.test(m[1]) ? m[1].toLowerCase() : null;
}

/**
 * The hub prices a page by its requested size (about 3 points a channel with health fields, from a
 * budget of 2,000 restored at 100 a second), so small pages keep a small install's calls cheap.
 */
const CHANNEL_PAGE = 50;

export async function listChannels(ctx: CliContext, fields = "id name marketplace status"): Promise<any[]> {
  return readAll(async (after) => {
    const r = await ctx.client.request<{ channels: Page<any> }>(
      `query($after: String) { channels(first: ${CHANNEL_PAGE}, after: $after) {
         nodes { ${fields} } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    return r.channels;
  });
}

export async function resolveChannel(ctx: CliContext, ref: string): Promise<ChannelRef> {
  const channels = (await listChannels(ctx)) as ChannelRef[];
  const wanted = ref.trim();
  const byId = channels.find(
    (c) => c.id === wanted || (UUID_RE.test(wanted) && channelUuid(c.id) === wanted.toLowerCase()),
  );
  if (byId) return byId;
  const key = wanted.normalize("NFC").toLowerCase();
  const byName = channels.filter((c) => c.name.normalize("NFC").toLowerCase() === key);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1)
    throw new CliFailure(
      t("channelAmbiguous", { channel: ref, ids: byName.map((c) => c.id).join(", ") }),
      EXIT_USER,
    );
  throw new CliFailure(t("channelNotFound", { channel: ref }), EXIT_USER);
}

/**
 * What sync code needs to reach a marketplace: the database, the secret box for credentials, the
 * connector registry, a clock and a logger. One object, built once per process (API or worker),
 * so tests can build it on a test database and sandboxes.
 */
import type { DataSource } from "typeorm";
import type { SecretBox } from "../common/crypto";
import type { Logger } from "../common/logger";
import { Clock, systemClock } from "../common/time";
import { CONNECTORS } from "../channels/connectors/registry";
import type { ChannelContext, MarketplaceCode, MarketplaceConnector } from "../channels/connectors/connector";
import { PgCredentialStore } from "../channels/credential-store";
import { Channel, ChannelStatus } from "../channels/channel.entity";

export interface SyncRuntime {
  ds: DataSource;
  box: SecretBox;
  connectors: Record<MarketplaceCode, MarketplaceConnector>;
  clock: Clock;
  log: Logger;
}

export function createSyncRuntime(opts: {
  ds: DataSource;
  box: SecretBox;
  log: Logger;
  clock?: Clock;
  connectors?: Record<MarketplaceCode, MarketplaceConnector>;
}): SyncRuntime {
  return { connectors: CONNECTORS, clock: systemClock, ...opts };
}

export class ChannelUnavailableError extends Error {
  constructor(
    public readonly channelId: string,
    public readonly status: ChannelStatus | "MISSING",
  ) {
    super(`channel ${channelId} is ${status}`);
    this.name = "ChannelUnavailableError";
  }
}

/** A channel with its connector and a ready ChannelContext (credentials stay in the store). */
export interface ChannelHandle {
  channel: Channel;
  connector: MarketplaceConnector;
  ctx: ChannelContext;
}

/** Loads a channel for work; refuses channels that are not ACTIVE unless `allowInactive`. */
export async function openChannel(
  rt: SyncRuntime,
  channelId: string,
  allowInactive = false,
): Promise<ChannelHandle> {
  const channel = await rt.ds.getRepository(Channel).findOneBy({ id: channelId });
  if (!channel) throw new ChannelUnavailableError(channelId, "MISSING");
  if (!allowInactive && channel.status !== ChannelStatus.ACTIVE)
    throw new ChannelUnavailableError(channelId, channel.status);
  const connector = rt.connectors[channel.marketplace];
  return {
    channel,
    connector,
    ctx: {
      channelId: channel.id,
      baseUrl: channel.baseUrl,
      shopId: channel.shopId,
      credentials: new PgCredentialStore(rt.ds, rt.box, channel.id),
      now: () => rt.clock.now().getTime(),
    },
  };
}

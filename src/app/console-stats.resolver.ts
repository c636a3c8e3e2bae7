/**
 * What the web console reads beyond the rest of the API: time series for its charts, channel error
 * rates and backlog, failed items grouped by code, queue depth (operations desk), and each
 * product's listings per channel. Thin: one ConsoleStatsService call each.
 */
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  Float,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import type { HubContext } from "./context";
import { idOf, toGlobalId } from "../common/graphql/global-id";
import { Marketplace } from "../channels/graphql/channel.types";
import type { MarketplaceCode } from "../channels/channel.entity";
import { Product } from "../catalogue/entities/product.entity";
import DataLoader from "dataloader";
import { ConsoleStatsService, FailureGroup, ProductListingRow } from "./console-stats.service";

@ObjectType("ConsolePoint", { simpleResolvers: true })
class ConsolePoint {
  @Field() at!: Date;
  @Field(() => Float) value!: number;
}

@ObjectType("ConsoleSeries", { simpleResolvers: true })
class ConsoleSeries {
  @Field({ description: "orders, syncApplied or syncFailed" }) metric!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => [ConsolePoint]) points!: ConsolePoint[];
}

@ObjectType("ConsoleChannelStat", { simpleResolvers: true })
class ConsoleChannelStat {
  @Field(() => ID) channelId!: string;
  @Field() name!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() status!: string;
  @Field(() => Int) applied!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Float, { description: "failed / (applied + failed) over the window; 0 with no items" })
  errorRate!: number;
  @Field(() => Int, { description: "Live listings with a price, stock or content push pending." })
  pendingListings!: number;
  @Field(() => Date, { nullable: true, description: "Since when the oldest pending change waits (the lag)." })
  oldestPendingAt!: Date | null;
}

@ObjectType("ConsoleLatencyPoint", { simpleResolvers: true })
class ConsoleLatencyPoint {
  @Field() at!: Date;
  @Field(() => Int) count!: number;
  @Field(() => Int) p50Ms!: number;
  @Field(() => Int) p95Ms!: number;
}

@ObjectType("ConsoleFailedItem", { simpleResolvers: true })
class ConsoleFailedItem {
  @Field(() => ID) id!: string;
  @Field(() => ID) runId!: string;
  @Field(() => ID) channelId!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => String, { nullable: true }) sku!: string | null;
  @Field() kind!: string;
  @Field() createdAt!: Date;
  @Field({ description: "The run failed as a whole (no item reached the marketplace); id is the run's." })
  wholeRun!: boolean;
}

@ObjectType("ConsoleFailureGroup", { simpleResolvers: true })
class ConsoleFailureGroup {
  @Field() code!: string;
  @Field(() => Int, { description: "Failed items (and whole failed runs) with this code not yet retried." })
  count!: number;
  @Field(() => String, { nullable: true }) messageVi!: string | null;
  @Field(() => String, { nullable: true }) messageEn!: string | null;
  @Field(() => String, { nullable: true }) hintVi!: string | null;
  @Field(() => String, { nullable: true }) hintEn!: string | null;
  @Field(() => [ConsoleFailedItem], { description: "The newest (at most 20)." }) items!: ConsoleFailedItem[];
}

@ObjectType("ConsoleQueueDepth", { simpleResolvers: true })
class ConsoleQueueDepth {
  @Field() queue!: string;
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Date, { nullable: true }) oldestWaitingAt!: Date | null;
}

@ObjectType("ConsoleStats", { simpleResolvers: true })
class ConsoleStats {
  @Field() since!: Date;
  @Field(() => Int) bucketSeconds!: number;
  @Field(() => [ConsoleSeries]) series!: ConsoleSeries[];
  @Field(() => [ConsoleChannelStat]) channels!: ConsoleChannelStat[];
  @Field(() => [ConsoleLatencyPoint], {
    description: "Stock propagation: last ledger movement → item applied on the marketplace, per bucket.",
  })
  propagation!: ConsoleLatencyPoint[];
  @Field(() => [ConsoleFailureGroup]) failures!: ConsoleFailureGroup[];
  @Field(() => [ConsoleQueueDepth], {
    nullable: true,
    description: "Job queue depth; null unless the caller is on the platform operations desk.",
  })
  queues!: ConsoleQueueDepth[] | null;
}

@ObjectType("ProductListing", { simpleResolvers: true })
class ProductListing {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: "Global id of the channel." }) channelId!: string;
  @Field() channelName!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() channelStatus!: string;
  @Field() sku!: string;
  @Field({ description: "DRAFT, PENDING, LIVE, FAILED or DELISTED" }) state!: string;
  @Field(() => String, { nullable: true }) externalItemId!: string | null;
  @Field(() => String, { nullable: true }) lastErrorCode!: string | null;
  @Field() updatedAt!: Date;
}

const NO_UUID = "00000000-0000-0000-0000-000000000000";
const channelGid = (id: string) => toGlobalId("Channel", id);

@Resolver(() => ConsoleStats)
export class ConsoleStatsResolver {
  @Authorized()
  @Query(() => ConsoleStats, {
    description: "Figures for the console: series over time, channel error rates, failures by code.",
  })
  async consoleStats(
    @Ctx() ctx: HubContext,
    @Arg("days", () => Int, { defaultValue: 7, description: "Window, 1–31 days." }) days: number,
    @Arg("producerId", () => ID, { nullable: true }) producerId?: string | null,
  ): Promise<ConsoleStats> {
    const pid = producerId ? (idOf("Producer", producerId) ?? NO_UUID) : null;
    const s = await new ConsoleStatsService(ctx.dataSource).stats(ctx.viewer!, { days, producerId: pid });
    return {
      ...s,
      series: s.series.map((x) => ({ ...x, marketplace: x.marketplace as MarketplaceCode })),
      channels: s.channels.map((c) => ({
        ...c,
        channelId: channelGid(c.channelId),
        marketplace: c.marketplace as MarketplaceCode,
      })),
      failures: s.failures.map((g: FailureGroup) => ({
        ...g,
        items: g.items.map((i) => ({
          ...i,
          channelId: channelGid(i.channelId),
          marketplace: i.marketplace as MarketplaceCode,
        })),
      })),
    };
  }
}

/** One listings query per request and page of products, not one per product. */
const listingLoaders = new WeakMap<HubContext, DataLoader<string, ProductListingRow[]>>();

function listingLoader(ctx: HubContext): DataLoader<string, ProductListingRow[]> {
  let l = listingLoaders.get(ctx);
  if (!l) {
    const svc = new ConsoleStatsService(ctx.dataSource);
    l = new DataLoader(async (ids: readonly string[]) => {
      const byProduct = await svc.listingsOf(ctx.viewer!, ids);
      return ids.map((id) => byProduct.get(id) ?? []);
    });
    listingLoaders.set(ctx, l);
  }
  return l;
}

@Resolver(() => Product)
export class ProductListingsResolver {
  @FieldResolver(() => [ProductListing], { description: "The product's listings, per channel and SKU." })
  async listings(@Root() p: Product, @Ctx() ctx: HubContext): Promise<ProductListing[]> {
    if (!ctx.viewer) return [];
    const rows = await listingLoader(ctx).load(p.id);
    return rows.map((r) => ({
      ...r,
      channelId: channelGid(r.channelId),
      marketplace: r.marketplace as MarketplaceCode,
    }));
  }
}

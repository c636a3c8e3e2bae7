/** `orders(filter, first, after)` and `order(id)`: thin resolvers over OrderQuery, with per-request loaders. */
import DataLoader from "dataloader";
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from "type-graphql";
import { mutate } from "../../common/graphql/mutation";
import { UserError } from "../../common/graphql/user-error.type";
import { writeBackOrderStatus } from "../order-status.service";
import type { HubContext } from "../../app/context";
import { Channel } from "../../channels/channel.entity";
import { ChannelType, toChannelType } from "../../channels/graphql/channel.types";
import { Variant } from "../../catalogue/entities/variant.entity";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { idOf } from "../../common/graphql/global-id";
import { PageArgs } from "../../common/graphql/relay";
import { OrderQuery } from "../order.query";
import { Scope, assertScope } from "../../auth/viewer";
import { OrderConnection, OrderFilter, OrderLineType, OrderStatusChangeType, OrderType } from "./order.types";

const NO_MATCH = "00000000-0000-0000-0000-000000000000";

interface OrderLoaders {
  query: OrderQuery;
  lines: DataLoader<string, OrderLineType[]>;
  history: DataLoader<string, OrderStatusChangeType[]>;
  channel: DataLoader<string, Channel | null>;
}

const perRequest = new WeakMap<HubContext, OrderLoaders>();

function loadersOf(ctx: HubContext): OrderLoaders {
  let l = perRequest.get(ctx);
  if (!l) {
    const query = new OrderQuery(ctx.dataSource);
    l = {
      query,
      lines: new DataLoader((ids) => query.linesOf(ids)),
      history: new DataLoader((ids) => query.historyOf(ids)),
      channel: new DataLoader(async (ids) => {
        const rows = await ctx.dataSource
          .getRepository(Channel)
          .createQueryBuilder("c")
          .where("c.id = ANY(:ids)", { ids: [...ids] })
          .getMany();
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
    };
    perRequest.set(ctx, l);
  }
  return l;
}

enum WritableOrderStatus {
  READY_TO_SHIP = "READY_TO_SHIP",
}
registerEnumType(WritableOrderStatus, {
  name: "WritableOrderStatus",
  description: "Statuses a seller may set from the hub.",
});

@ObjectType()
export class OrderPayload {
  @Field(() => OrderType, { nullable: true }) order!: OrderType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@Resolver(() => OrderType)
export class OrderResolver {
  @Authorized()
  @Mutation(() => OrderPayload, {
    description:
      "Writes a status back to the marketplace (e.g. ready to ship), then records what it now says.",
  })
  setOrderStatus(
    @Ctx() ctx: HubContext,
    @Arg("id", () => ID) id: string,
    @Arg("status", () => WritableOrderStatus) status: WritableOrderStatus,
  ): Promise<OrderPayload> {
    return mutate(ctx, { order: null }, async () => {
      const uuid = idOf("Order", id) ?? NO_MATCH;
      const orderId = await writeBackOrderStatus(ctx.services.sync, ctx.viewer!, uuid, status, ctx.locale);
      return { order: await loadersOf(ctx).query.get(ctx.viewer!, orderId) };
    });
  }

  @Authorized()
  @Query(() => OrderConnection, { description: "Marketplace orders, newest first." })
  async orders(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => OrderFilter, { nullable: true }) filter?: OrderFilter | null,
  ): Promise<OrderConnection> {
    // Orders carry buyers' personal data: a caller without READ_ORDERS anywhere is refused outright.
    assertScope(ctx.viewer!, Scope.READ_ORDERS);
    const win = pageWindow(ctx, page);
    const f = {
      ...filter,
      channelId: filter?.channelId ? (idOf("Channel", filter.channelId) ?? NO_MATCH) : null,
    };
    const { query } = loadersOf(ctx);
    const rows = await query.list(ctx.viewer!, f, win);
    return connectionOf(rows, win, () => query.count(ctx.viewer!, f)) as unknown as OrderConnection;
  }

  @Authorized()
  @Query(() => OrderType, { nullable: true })
  async order(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<OrderType | null> {
    const uuid = idOf("Order", id);
    return uuid ? loadersOf(ctx).query.get(ctx.viewer!, uuid) : null;
  }

  @FieldResolver(() => [OrderLineType])
  lines(@Root() o: OrderType, @Ctx() ctx: HubContext): Promise<OrderLineType[]> {
    return loadersOf(ctx).lines.load(o.uuid);
  }

  @FieldResolver(() => [OrderStatusChangeType], { description: "Every status the hub saw, oldest first." })
  statusHistory(@Root() o: OrderType, @Ctx() ctx: HubContext): Promise<OrderStatusChangeType[]> {
    return loadersOf(ctx).history.load(o.uuid);
  }

  @FieldResolver(() => ChannelType)
  async channel(@Root() o: OrderType, @Ctx() ctx: HubContext): Promise<ChannelType> {
    const c = await loadersOf(ctx).channel.load(o.channelUuid);
    if (!c) throw new Error(`channel ${o.channelUuid} of order ${o.uuid} is missing`);
    return toChannelType(c);
  }
}

@Resolver(() => OrderLineType)
export class OrderLineResolver {
  @FieldResolver(() => Variant, {
    nullable: true,
    description: "The variant this line was mapped to by SKU.",
  })
  async variant(@Root() l: OrderLineType, @Ctx() ctx: HubContext): Promise<Variant | null> {
    return l.variantId ? ((await ctx.loaders.variant.load(l.variantId)) ?? null) : null;
  }
}

/**
 * `reviews(filter, first, after)`, `replyToReview`, `markReviewsRead`, `Product.reviewSummary` and
 * `Producer.unreadReviewCount`: thin resolvers over ReviewService, with per-request loaders.
 */
import DataLoader from "dataloader";
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import type { HubContext } from "../../app/context";
import { Channel } from "../../channels/channel.entity";
import { ChannelType, toChannelType } from "../../channels/graphql/channel.types";
import { Product } from "../../catalogue/entities/product.entity";
import { Producer } from "../../catalogue/entities/producer.entity";
import { Variant } from "../../catalogue/entities/variant.entity";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { idOf } from "../../common/graphql/global-id";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { RatingSummary, ReviewService } from "../review.service";
import {
  ChannelRatingType,
  MarkReviewsReadPayload,
  ReplyToReviewPayload,
  ReviewConnection,
  ReviewFilter,
  ReviewSummaryType,
  ReviewType,
} from "./review.types";

const NO_MATCH = "00000000-0000-0000-0000-000000000000";

interface ReviewLoaders {
  service: ReviewService;
  channel: DataLoader<string, Channel | null>;
  summary: DataLoader<string, RatingSummary>;
  unread: DataLoader<string, number>;
}

const perRequest = new WeakMap<HubContext, ReviewLoaders>();

function loadersOf(ctx: HubContext): ReviewLoaders {
  let l = perRequest.get(ctx);
  if (!l) {
    const service = new ReviewService(ctx.services.sync);
    l = {
      service,
      channel: new DataLoader(async (ids) => {
        const rows = await ctx.dataSource
          .getRepository(Channel)
          .createQueryBuilder("c")
          .where("c.id = ANY(:ids)", { ids: [...ids] })
          .getMany();
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      }),
      summary: new DataLoader((ids) => service.summaries(ids)),
      unread: new DataLoader((ids) => service.unreadCounts(ids)),
    };
    perRequest.set(ctx, l);
  }
  return l;
}

async function channelOf(ctx: HubContext, id: string): Promise<ChannelType> {
  const c = await loadersOf(ctx).channel.load(id);
  if (!c) throw new Error(`channel ${id} is missing`);
  return toChannelType(c);
}

@Resolver(() => ReviewType)
export class ReviewResolver {
  @Authorized()
  @Query(() => ReviewConnection, { description: "Buyer reviews from the marketplaces, newest first." })
  async reviews(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => ReviewFilter, { nullable: true }) filter?: ReviewFilter | null,
  ): Promise<ReviewConnection> {
    const win = pageWindow(ctx, page);
    const f = {
      ...filter,
      producerId: filter?.producerId ? (idOf("Producer", filter.producerId) ?? NO_MATCH) : null,
      productId: filter?.productId ? (idOf("Product", filter.productId) ?? NO_MATCH) : null,
      channelId: filter?.channelId ? (idOf("Channel", filter.channelId) ?? NO_MATCH) : null,
    };
    const { service } = loadersOf(ctx);
    const rows = await service.list(ctx.viewer!, f, win);
    return connectionOf(rows, win, () => service.count(ctx.viewer!, f)) as unknown as ReviewConnection;
  }

  @Authorized()
  @Mutation(() => ReplyToReviewPayload, {
    description:
      "Posts the shop's reply to a review on its marketplace (Shopee, Lazada), then records it. " +
      "Refused with a userError where the marketplace has no reply API or no longer accepts one.",
  })
  replyToReview(
    @Ctx() ctx: HubContext,
    @Arg("reviewId", () => ID) reviewId: string,
    @Arg("text") text: string,
  ): Promise<ReplyToReviewPayload> {
    return mutate(ctx, { review: null }, async () => {
      const { service } = loadersOf(ctx);
      const id = await service.reply(ctx.viewer!, idOf("Review", reviewId) ?? NO_MATCH, text, ctx.locale);
      return { review: (await service.get(ctx.viewer!, id)) as ReviewType | null };
    });
  }

  @Authorized()
  @Mutation(() => MarkReviewsReadPayload, {
    description: "Marks every review of a producer as read (what unreadReviewCount counts).",
  })
  markReviewsRead(
    @Ctx() ctx: HubContext,
    @Arg("producerId", () => ID) producerId: string,
  ): Promise<MarkReviewsReadPayload> {
    return mutate(ctx, { marked: null }, async () => ({
      marked: await loadersOf(ctx).service.markRead(ctx.viewer!, idOf("Producer", producerId) ?? NO_MATCH),
    }));
  }

  @FieldResolver(() => ChannelType)
  channel(@Root() r: ReviewType, @Ctx() ctx: HubContext): Promise<ChannelType> {
    return channelOf(ctx, r.channelUuid);
  }

  @FieldResolver(() => Product, { nullable: true, description: "Null while the review is unlinked." })
  async product(@Root() r: ReviewType, @Ctx() ctx: HubContext): Promise<Product | null> {
    return r.productUuid ? ((await ctx.loaders.product.load(r.productUuid)) ?? null) : null;
  }

  @FieldResolver(() => Variant, { nullable: true, description: "The variant bought, when known." })
  async variant(@Root() r: ReviewType, @Ctx() ctx: HubContext): Promise<Variant | null> {
    return r.variantUuid ? ((await ctx.loaders.variant.load(r.variantUuid)) ?? null) : null;
  }
}

@Resolver(() => Product)
export class ProductReviewResolver {
  @FieldResolver(() => ReviewSummaryType, { description: "Buyer ratings of this product on every channel." })
  async reviewSummary(@Root() p: Product, @Ctx() ctx: HubContext): Promise<ReviewSummaryType> {
    const s = await loadersOf(ctx).summary.load(p.id);
    return {
      average: s.average,
      count: s.count,
      byRating: s.byRating,
      byChannel: s.byChannel.map((c) => Object.assign(new ChannelRatingType(), c)),
    } as ReviewSummaryType;
  }
}

@Resolver(() => ChannelRatingType)
export class ChannelRatingResolver {
  @FieldResolver(() => ChannelType)
  channel(@Root() c: ChannelRatingType, @Ctx() ctx: HubContext): Promise<ChannelType> {
    return channelOf(ctx, c.channelUuid);
  }
}

@Resolver(() => Producer)
export class ProducerReviewResolver {
  @FieldResolver(() => Int, { description: "Reviews of this producer not yet marked read." })
  unreadReviewCount(@Root() p: Producer, @Ctx() ctx: HubContext): Promise<number> {
    return loadersOf(ctx).unread.load(p.id);
  }
}

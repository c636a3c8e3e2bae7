/** Variants and stock: lookup by SKU, stock reads, the ledger, and stock writes. */
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import type { HubContext } from "../../app/context";
import { idOf } from "../../common/graphql/global-id";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { canSeeProducer } from "../../auth/viewer";
import { Variant } from "../entities/variant.entity";
import { Product } from "../entities/product.entity";
import { Stock, StockMovementConnection, StockMovementType, StockPayload } from "./catalogue.types";
import { connectionOf, pageWindow } from "./paging";
import { stockOf as attachedStockOf } from "../product-details.sql";
import { StockLevel } from "../entities/stock.entity";

@InputType()
export class SetStockInput {
  @Field(() => ID) variantId!: string;
  @Field(() => Int, { description: "The counted stock on hand." }) onHand!: number;
  @Field(() => Int, {
    nullable: true,
    description: "Apply only if stock on hand is still this (compare-and-set).",
  })
  expectedOnHand?: number | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class AdjustStockInput {
  @Field(() => ID) variantId!: string;
  @Field(() => Int, { description: "Units to add (positive) or remove (negative)." }) delta!: number;
  @Field({ description: 'Why, e.g. "hàng hỏng", "nhập lô mới".' }) reason!: string;
  @Field(() => String, {
    nullable: true,
    description: "Your idempotency key: repeating an adjustment with the same reference changes nothing.",
  })
  reference?: string | null;
}

@Resolver(() => Variant)
export class VariantResolver {
  @Authorized()
  @Query(() => Variant, { nullable: true, description: "A variant by SKU (SKUs are unique per producer)." })
  async variant(
    @Ctx() ctx: HubContext,
    @Arg("sku") sku: string,
    @Arg("producerId", () => ID) producerId: string,
  ): Promise<Variant | null> {
    const pid = idOf("Producer", producerId);
    if (!pid || !canSeeProducer(ctx.viewer!, pid)) return null;
    return ctx.dataSource.getRepository(Variant).findOneBy({ producerId: pid, sku });
  }

  @Authorized()
  @Mutation(() => StockPayload, {
    description: "Sets stock on hand after a count; optional compare-and-set.",
  })
  setStock(@Ctx() ctx: HubContext, @Arg("input") input: SetStockInput): Promise<StockPayload> {
    return mutate(ctx, { variant: null, stock: null, applied: false }, async () => {
      const r = await ctx.services.catalogue.setStock(ctx.viewer!, input);
      return { variant: r.variant, stock: stockOf(r.onHand, r.reserved), applied: true };
    });
  }

  @Authorized()
  @Mutation(() => StockPayload, {
    description: "Adds or removes stock with a reason; recorded in the ledger.",
  })
  adjustStock(@Ctx() ctx: HubContext, @Arg("input") input: AdjustStockInput): Promise<StockPayload> {
    return mutate(ctx, { variant: null, stock: null, applied: false }, async () => {
      const r = await ctx.services.catalogue.adjustStock(ctx.viewer!, input);
      return { variant: r.variant, stock: stockOf(r.onHand, r.reserved), applied: r.applied };
    });
  }

  @FieldResolver(() => Product)
  async product(@Root() v: Variant, @Ctx() ctx: HubContext): Promise<Product> {
    return (await ctx.loaders.product.load(v.productId))!;
  }

  @FieldResolver(() => Stock)
  stock(@Root() v: Variant, @Ctx() ctx: HubContext): Stock | Promise<Stock> {
    const toStock = (s: StockLevel | null | undefined): Stock => ({
      ...stockOf(s?.onHand ?? 0, s?.reserved ?? 0),
      updatedAt: s?.updatedAt ?? v.createdAt,
    });
    const attached = attachedStockOf(v);
    return attached ? toStock(attached) : ctx.loaders.stock.load(v.id).then(toStock);
  }

  @FieldResolver(() => StockMovementConnection, { description: "The stock ledger, newest first." })
  async stockMovements(
    @Root() v: Variant,
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
  ): Promise<StockMovementConnection> {
    const win = pageWindow(ctx, page);
    const rows: StockMovementType[] = await ctx.dataSource.query(
      `SELECT id::text, kind, on_hand_delta AS "onHandDelta", reserved_delta AS "reservedDelta", on_hand_after AS "onHandAfter",
              reserved_after AS "reservedAfter", reason, reference, actor, created_at AS "createdAt"
         FROM stock_movement WHERE variant_id = $1 ORDER BY id DESC OFFSET $2 LIMIT $3`,
      [v.id, win.offset, win.limit + 1],
    );
    return connectionOf(rows, win, async () =>
      Number(
        (
          await ctx.dataSource.query(`SELECT count(*)::int AS n FROM stock_movement WHERE variant_id = $1`, [
            v.id,
          ])
        )[0].n,
      ),
    ) as StockMovementConnection;
  }
}

function stockOf(onHand: number, reserved: number): Stock {
  return { onHand, reserved, available: onHand - reserved, updatedAt: new Date() };
}

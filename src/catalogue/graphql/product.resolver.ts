/** Products: lists with filters and search, single reads, and their writes. Thin: one service call each. */
import type { GraphQLResolveInfo } from "graphql";
import { nodesSelectAny, selects } from "../../common/graphql/selection";
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Info,
  FieldResolver,
  ID,
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
import { Product } from "../entities/product.entity";
import { Producer } from "../entities/producer.entity";
import { Variant } from "../entities/variant.entity";
import { OcopCertification } from "../entities/ocop-certification.entity";
import { certificationStatus, isInForce } from "../ocop";
import { vnToday } from "../../common/time";
import { productSet } from "../product-sets";
import { CreateProductInput, ProductFilter, UpdateProductInput, VariantInput } from "./catalogue.inputs";
import {
  ProductConnection,
  ProductPayload,
  ProductSetType,
  ProvenanceType,
  VariantsPayload,
} from "./catalogue.types";
import { pageWindow, connectionOf } from "./paging";
import { detailsOf } from "../product-details.sql";

/** Product fields served from the product's details (see product-details.sql). */
const DETAIL_FIELDS = ["producer", "variants", "certifications", "currentCertification", "currentStar"];

@Resolver(() => Product)
export class ProductResolver {
  @Authorized()
  @Query(() => ProductConnection, { description: "Products, filtered and searched; Relay connection." })
  async products(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => ProductFilter, { nullable: true }) filter: ProductFilter | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProductConnection> {
    const win = pageWindow(ctx, page);
    const withDetails = nodesSelectAny(info, DETAIL_FIELDS);
    const withCount = selects(info, "totalCount");
    const result = await ctx.services.query.productPage(ctx.viewer!, filter, win, { withDetails, withCount });
    for (const row of result.rows) ctx.loaders.product.prime(row.id, row);
    for (const [id, d] of result.details ?? []) ctx.loaders.primeDetails(id, d);
    return connectionOf(result.rows, win, result.count) as ProductConnection;
  }

  @Authorized()
  @Query(() => Product, { nullable: true })
  async product(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<Product | null> {
    const uuid = idOf("Product", id);
    const product = uuid ? await ctx.loaders.product.load(uuid) : null;
    return product && canSeeProducer(ctx.viewer!, product.producerId) ? product : null;
  }

  @Authorized()
  @Mutation(() => ProductPayload, {
    description: "Creates a product with its variants (and their initial stock).",
  })
  createProduct(@Ctx() ctx: HubContext, @Arg("input") input: CreateProductInput): Promise<ProductPayload> {
    return mutate(ctx, { product: null }, async () => ({
      product: await ctx.services.catalogue.createProduct(ctx.viewer!, input),
    }));
  }

  @Authorized()
  @Mutation(() => ProductPayload)
  updateProduct(@Ctx() ctx: HubContext, @Arg("input") input: UpdateProductInput): Promise<ProductPayload> {
    return mutate(ctx, { product: null }, async () => ({
      product: await ctx.services.catalogue.updateProduct(ctx.viewer!, input),
    }));
  }

  @Authorized()
  @Mutation(() => ProductPayload, {
    description: "Hides a product from lists and stops its publishing; history is kept.",
  })
  archiveProduct(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ProductPayload> {
    return mutate(ctx, { product: null }, async () => ({
      product: await ctx.services.catalogue.archiveProduct(ctx.viewer!, id),
    }));
  }

  @Authorized()
  @Mutation(() => VariantsPayload, {
    description: "Creates or updates variants of a product, matched by SKU.",
  })
  upsertVariants(
    @Ctx() ctx: HubContext,
    @Arg("productId", () => ID) productId: string,
    @Arg("variants", () => [VariantInput]) variants: VariantInput[],
  ): Promise<VariantsPayload> {
    return mutate(ctx, { product: null, variants: null }, async () => {
      const saved = await ctx.services.catalogue.upsertVariants(ctx.viewer!, productId, variants);
      return { product: await ctx.loaders.product.load(saved[0].productId), variants: saved };
    });
  }

  @FieldResolver(() => Producer)
  producer(@Root() p: Product, @Ctx() ctx: HubContext): Producer | Promise<Producer> {
    return detailsOf(p)?.producer ?? ctx.loaders.productDetails.load(p.id).then((d) => d.producer);
  }

  @FieldResolver(() => [Variant])
  variants(@Root() p: Product, @Ctx() ctx: HubContext): Variant[] | Promise<Variant[]> {
    return detailsOf(p)?.variants ?? ctx.loaders.productDetails.load(p.id).then((d) => d.variants);
  }

  @FieldResolver(() => [OcopCertification], {
    description: "All certifications, newest decision first (history kept).",
  })
  certifications(
    @Root() p: Product,
    @Ctx() ctx: HubContext,
  ): OcopCertification[] | Promise<OcopCertification[]> {
    return (
      detailsOf(p)?.certifications ?? ctx.loaders.productDetails.load(p.id).then((d) => d.certifications)
    );
  }

  @FieldResolver(() => OcopCertification, {
    nullable: true,
    description: "The best certification in force (highest star), or null when none is in force.",
  })
  async currentCertification(@Root() p: Product, @Ctx() ctx: HubContext): Promise<OcopCertification | null> {
    const today = vnToday(ctx.clock.now());
    const certs = await this.certifications(p, ctx);
    let best: OcopCertification | null = null;
    for (const c of certs) {
      if (!isInForce(certificationStatus(c, today))) continue;
      if (
        !best ||
        c.star > best.star ||
        (c.star === best.star && (c.validUntil ?? "") > (best.validUntil ?? ""))
      )
        best = c;
    }
    return best;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "Star of the current certification; null when none is in force.",
  })
  async currentStar(@Root() p: Product, @Ctx() ctx: HubContext): Promise<number | null> {
    return (await this.currentCertification(p, ctx))?.star ?? null;
  }

  @FieldResolver(() => ProductSetType, { nullable: true })
  productSet(@Root() p: Product): ProductSetType | null {
    const s = p.productSetNo ? productSet(p.productSetNo) : null;
    return s ? { number: s.setNo, category: s.category, group: s.group, subgroup: s.subgroup } : null;
  }

  @FieldResolver(() => ProvenanceType)
  provenance(@Root() p: Product): ProvenanceType {
    const v = p.provenance ?? {};
    return {
      verification: v.verification ?? null,
      sourceUrl: v.sourceUrl ?? null,
      sourceRepo: v.sourceRepo ?? null,
      categorySource: v.categorySource ?? null,
      notes: v.notes ?? null,
    };
  }
}

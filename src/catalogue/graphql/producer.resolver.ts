/** Producers: list, read, create (admin) and update (admin or the producer itself). */
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
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
import { Producer } from "../entities/producer.entity";
import { Organization } from "../entities/organization.entity";
import { ProducerType } from "../ocop";
import { CreateProducerInput, ProductFilter, UpdateProducerInput } from "./catalogue.inputs";
import { Address, ProducerConnection, ProducerPayload, ProductConnection } from "./catalogue.types";
import { connectionOf, pageWindow } from "./paging";

@InputType()
export class ProducerFilter {
  @Field(() => String, { nullable: true }) provinceCode?: string | null;
  @Field(() => ProducerType, { nullable: true }) type?: ProducerType | null;
  @Field(() => String, {
    nullable: true,
    description: "Accent-insensitive whole-word search over the legal name.",
  })
  search?: string | null;
}

@Resolver(() => Producer)
export class ProducerResolver {
  @Authorized()
  @Query(() => ProducerConnection)
  async producers(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => ProducerFilter, { nullable: true }) filter: ProducerFilter | null,
  ): Promise<ProducerConnection> {
    const win = pageWindow(ctx, page);
    const result = await ctx.services.query.producerPage(ctx.viewer!, filter, win);
    for (const row of result.rows) ctx.loaders.producer.prime(row.id, row);
    return connectionOf(result.rows, win, result.count) as ProducerConnection;
  }

  @Authorized()
  @Query(() => Producer, { nullable: true })
  async producer(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<Producer | null> {
    const uuid = idOf("Producer", id);
    if (!uuid || !canSeeProducer(ctx.viewer!, uuid)) return null;
    return ctx.loaders.producer.load(uuid);
  }

  @Authorized()
  @Mutation(() => ProducerPayload, { description: "Registers a producer (admin)." })
  createProducer(@Ctx() ctx: HubContext, @Arg("input") input: CreateProducerInput): Promise<ProducerPayload> {
    return mutate(ctx, { producer: null }, async () => ({
      producer: await ctx.services.catalogue.createProducer(ctx.viewer!, input),
    }));
  }

  @Authorized()
  @Mutation(() => ProducerPayload)
  updateProducer(@Ctx() ctx: HubContext, @Arg("input") input: UpdateProducerInput): Promise<ProducerPayload> {
    return mutate(ctx, { producer: null }, async () => ({
      producer: await ctx.services.catalogue.updateProducer(ctx.viewer!, input),
    }));
  }

  @FieldResolver(() => Address)
  address(@Root() p: Producer): Address {
    return {
      raw: p.addressRaw,
      provinceCode: p.provinceCode,
      provinceName: p.provinceName,
      wardCode: p.wardCode,
      wardName: p.wardName,
      legacy: {
        provinceName: p.legacyProvinceName,
        districtName: p.legacyDistrictName,
        wardName: p.legacyWardName,
      },
    };
  }

  @FieldResolver(() => Organization, { nullable: true })
  organization(@Root() p: Producer, @Ctx() ctx: HubContext): Promise<Organization | null> | null {
    return p.organizationId ? ctx.loaders.organization.load(p.organizationId) : null;
  }

  @FieldResolver(() => ProductConnection)
  async products(
    @Root() p: Producer,
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
  ): Promise<ProductConnection> {
    const win = pageWindow(ctx, page);
    const filter: ProductFilter = { producerId: p.id };
    const result = await ctx.services.query.productPage(ctx.viewer!, filter, win);
    for (const row of result.rows) ctx.loaders.product.prime(row.id, row);
    return connectionOf(result.rows, win, result.count) as ProductConnection;
  }
}

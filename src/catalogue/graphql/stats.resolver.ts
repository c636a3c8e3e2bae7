/** OCOP statistics and reference data (product sets). */
import { Arg, Authorized, Ctx, Field, ID, InputType, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../app/context";
import { CATEGORY_NAMES, OcopCategory } from "../ocop";
import { PRODUCT_SETS } from "../product-sets";
import { OcopStats, ProductSetType } from "./catalogue.types";
import { formatStatsSummary } from "../stats-summary";

@InputType()
export class OcopStatsFilter {
  @Field(() => String, { nullable: true }) provinceCode?: string | null;
  @Field(() => OcopCategory, { nullable: true }) category?: OcopCategory | null;
  @Field(() => ID, { nullable: true }) producerId?: string | null;
  @Field(() => ID, { nullable: true }) organizationId?: string | null;
}

@Resolver()
export class StatsResolver {
  @Authorized()
  @Query(() => OcopStats, { description: "OCOP counts by star, category, province and producer type." })
  async ocopStats(
    @Ctx() ctx: HubContext,
    @Arg("filter", () => OcopStatsFilter, { nullable: true }) filter: OcopStatsFilter | null,
  ): Promise<OcopStats> {
    const s = await ctx.services.query.ocopStats(ctx.viewer!, filter);
    return {
      ...s,
      byCategory: s.byCategory.map((c) => ({ ...c, name: CATEGORY_NAMES[c.category][ctx.locale] })),
      summary: formatStatsSummary(s, ctx.locale),
    };
  }

  @Authorized()
  @Query(() => [ProductSetType], { description: "The 26 OCOP product sets." })
  productSets(): ProductSetType[] {
    return PRODUCT_SETS.map((s) => ({
      number: s.setNo,
      category: s.category,
      group: s.group,
      subgroup: s.subgroup,
    }));
  }
}

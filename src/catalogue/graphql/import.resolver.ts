/** `importProducts`: a CSV with the columns of ocop-products.csv; one result per row. */
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  Int,
  Mutation,
  ObjectType,
  Resolver,
  registerEnumType,
} from "type-graphql";
import type { HubContext } from "../../app/context";
import { UserError } from "../../common/graphql/user-error.type";
import { renderUserError, ForbiddenError } from "../../common/errors";
import { canWriteCatalogue, producerScope } from "../../auth/viewer";
import { Product } from "../entities/product.entity";
import { importCsv } from "../import/product-import.service";

enum ImportOutcome {
  CREATED = "CREATED",
  UPDATED = "UPDATED",
  UNCHANGED = "UNCHANGED",
  FAILED = "FAILED",
}
registerEnumType(ImportOutcome, { name: "ImportOutcome" });

@ObjectType()
export class ImportRowResult {
  @Field(() => Int, { description: "Spreadsheet row number (the header is row 1)." }) row!: number;
  @Field(() => String, { nullable: true, description: "The row's `id` column." }) refCode!: string | null;
  @Field(() => ImportOutcome) outcome!: ImportOutcome;
  @Field(() => Product, { nullable: true }) product!: Product | null;
  @Field(() => [UserError], { description: "Why the row failed; field = CSV column." }) errors!: UserError[];
}

@ObjectType()
export class ImportProductsPayload {
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int) unchanged!: number;
  @Field(() => Int) failed!: number;
  @Field(() => [ImportRowResult]) rows!: ImportRowResult[];
  @Field(() => [UserError], {
    description: "File-level problems (unreadable CSV, missing columns); nothing was written.",
  })
  userErrors!: UserError[];
}

@Resolver()
export class ImportResolver {
  @Authorized()
  @Mutation(() => ImportProductsPayload, {
    description:
      "Imports products from CSV text (columns of ocop-products.csv). Valid rows commit, bad rows are reported; re-importing the same file changes nothing.",
  })
  async importProducts(
    @Ctx() ctx: HubContext,
    @Arg("csv") csv: string,
    @Arg("dryRun", () => Boolean, {
      defaultValue: false,
      description: "Check and count every row as a real import would, then roll back: nothing is written.",
    })
    dryRun: boolean,
  ): Promise<ImportProductsPayload> {
    const viewer = ctx.viewer!;
    if (!canWriteCatalogue(viewer)) throw new ForbiddenError();
    const result = await importCsv(ctx.dataSource, csv, {
      actor: viewer.actor,
      producerId: producerScope(viewer) ?? undefined,
      clock: ctx.clock,
      dryRun,
    });
    const products = await ctx.loaders.product.loadMany(
      result.rows.map((r) => r.productId).filter((id): id is string => !!id),
    );
    const byId = new Map(products.filter((p): p is Product => p instanceof Product).map((p) => [p.id, p]));
    return {
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      failed: result.failed,
      rows: result.rows.map((r) => ({
        row: r.row,
        refCode: r.refCode,
        outcome: r.outcome as ImportOutcome,
        product: r.productId ? (byId.get(r.productId) ?? null) : null,
        errors: r.errors.map((e) => renderUserError(e, ctx.locale)),
      })),
      userErrors: result.errors.map((e) => renderUserError(e, ctx.locale)),
    };
  }
}

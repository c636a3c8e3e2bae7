/** OCOP certifications: recording decisions and their derived status. */
import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { vnToday, daysBetween } from "../../common/time";
import { OcopCertification } from "../entities/ocop-certification.entity";
import { Product } from "../entities/product.entity";
import { CertificationStatus, certificationStatus } from "../ocop";
import { RecordCertificationInput } from "./catalogue.inputs";
import { CertificationPayload } from "./catalogue.types";

@Resolver(() => OcopCertification)
export class CertificationResolver {
  @Authorized()
  @Mutation(() => CertificationPayload, {
    description:
      "Records an OCOP decision; it supersedes earlier certifications of the product still in force.",
  })
  recordCertification(
    @Ctx() ctx: HubContext,
    @Arg("input") input: RecordCertificationInput,
  ): Promise<CertificationPayload> {
    return mutate(ctx, { certification: null }, async () => ({
      certification: await ctx.services.catalogue.recordCertification(ctx.viewer!, input),
    }));
  }

  @FieldResolver(() => CertificationStatus, {
    description: "Derived from the dates today (Asia/Ho_Chi_Minh).",
  })
  status(@Root() c: OcopCertification, @Ctx() ctx: HubContext): CertificationStatus {
    return certificationStatus(c, vnToday(ctx.clock.now()));
  }

  @FieldResolver(() => Int, { nullable: true, description: "Days until validUntil (negative once expired)." })
  daysLeft(@Root() c: OcopCertification, @Ctx() ctx: HubContext): number | null {
    return c.validUntil ? daysBetween(vnToday(ctx.clock.now()), c.validUntil) : null;
  }

  @FieldResolver(() => Boolean, { description: "True only for a signed decision (verification A)." })
  verified(@Root() c: OcopCertification): boolean {
    return c.verification === "A";
  }

  @FieldResolver(() => Number, { nullable: true })
  score(@Root() c: OcopCertification): number | null {
    return c.score === null ? null : Number(c.score);
  }

  @FieldResolver(() => Product)
  async product(@Root() c: OcopCertification, @Ctx() ctx: HubContext): Promise<Product> {
    return (await ctx.loaders.product.load(c.productId))!;
  }
}

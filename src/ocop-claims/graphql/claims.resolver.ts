/**
 * OCOP claims in the API: expiry warnings on certifications and products, the claim-change record,
 * revoking a certificate and attaching its picture. Thin: logic is in the services.
 */
import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf, toGlobalId } from "../../common/graphql/global-id";
import { vnToday } from "../../common/time";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { OcopCertification } from "../../catalogue/entities/ocop-certification.entity";
import { Product } from "../../catalogue/entities/product.entity";
import { certificationStatus, isInForce } from "../../catalogue/ocop";
import { CertificateWritesService, ClaimChangeRecord, claimListings } from "../certificate-writes.service";
import { ClaimListingStatus, ClaimListingType } from "./claim-listing.types";
import { ExpiryWarning, expiryWarning } from "../claim-rules";
import {
  CertificationWritePayload,
  ClaimChangeConnection,
  ClaimChangeFilterInput,
  ClaimChangeType,
  ExpiryWarningType,
  RevokeCertificationInput,
  SetCertificationImageInput,
} from "./claims.types";

/** Matches no row: an id of the wrong type or malformed must not widen a filter to "everything". */
const NO_UUID = "00000000-0000-0000-0000-000000000000";

function writes(ctx: HubContext): CertificateWritesService {
  return new CertificateWritesService(ctx.dataSource, ctx.clock, ctx.services.sync.log);
}

function toChangeType(r: ClaimChangeRecord): ClaimChangeType {
  const cert = (id: string | null) => (id ? toGlobalId("OcopCertification", id) : null);
  return Object.assign(new ClaimChangeType(), {
    ...r,
    id: r.id,
    productId: toGlobalId("Product", r.productId),
    productUuid: r.productId,
    producerId: toGlobalId("Producer", r.producerId),
    oldCertificationId: cert(r.oldCertificationId),
    newCertificationId: cert(r.newCertificationId),
  });
}

@Resolver(() => OcopCertification)
export class CertificationClaimResolver {
  @FieldResolver(() => ExpiryWarningType, {
    nullable: true,
    description:
      "From 90 days before the last valid day (the programme re-assesses after 36 months); null before that, and for revoked or superseded certifications.",
  })
  expiryWarning(@Root() c: OcopCertification, @Ctx() ctx: HubContext): ExpiryWarning | null {
    return expiryWarning(c, vnToday(ctx.clock.now()));
  }
}

@Resolver(() => Product)
export class ProductClaimResolver {
  @FieldResolver(() => ExpiryWarningType, {
    nullable: true,
    description: "Expiry warning of the certification in force (see OcopCertification.expiryWarning).",
  })
  async ocopExpiryWarning(@Root() p: Product, @Ctx() ctx: HubContext): Promise<ExpiryWarning | null> {
    const today = vnToday(ctx.clock.now());
    const { certifications } = await ctx.loaders.productDetails.load(p.id);
    const inForce = certifications.filter((c) => isInForce(certificationStatus(c, today)));
    // The claim shown is the highest star in force; its expiry is the one that removes the claim.
    inForce.sort((a, b) => b.star - a.star || (b.validUntil ?? "").localeCompare(a.validUntil ?? ""));
    return inForce[0] ? expiryWarning(inForce[0], today) : null;
  }
}

@Resolver(() => ClaimChangeType)
export class ClaimChangeResolver {
  @FieldResolver(() => [ClaimListingType], {
    description:
      "The product's live listings now: whether each marketplace shows its current content (and so its current claim).",
  })
  async listings(@Root() c: ClaimChangeType, @Ctx() ctx: HubContext): Promise<ClaimListingType[]> {
    const rows = (await claimListings(ctx.dataSource, ctx.viewer!, [c.productUuid])).get(c.productUuid) ?? [];
    return rows.map((r) => ({
      ...r,
      channelId: toGlobalId("Channel", r.channelId),
      marketplace: r.marketplace as ClaimListingType["marketplace"],
      status: r.status as ClaimListingStatus,
    }));
  }
}

@Resolver()
export class OcopClaimsResolver {
  @Authorized()
  @Query(() => ClaimChangeConnection, {
    description:
      "Changes of OCOP claims (expired, superseded, revoked, recognised, up/downgraded), newest first.",
  })
  async ocopClaimChanges(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => ClaimChangeFilterInput, { nullable: true }) filter?: ClaimChangeFilterInput | null,
  ) {
    const win = pageWindow(ctx, page);
    const f = {
      productId: filter?.productId ? (idOf("Product", filter.productId) ?? NO_UUID) : null,
      producerId: filter?.producerId ? (idOf("Producer", filter.producerId) ?? NO_UUID) : null,
    };
    const svc = writes(ctx);
    const rows = await svc.changes(ctx.viewer!, f, win);
    return connectionOf(rows.map(toChangeType), win, () => svc.countChanges(ctx.viewer!, f));
  }

  @Authorized()
  @Mutation(() => CertificationWritePayload, {
    description:
      "Revokes a certification: its OCOP claim is removed from every marketplace through the outbox, and the change is recorded.",
  })
  revokeCertification(
    @Ctx() ctx: HubContext,
    @Arg("input") input: RevokeCertificationInput,
  ): Promise<CertificationWritePayload> {
    return mutate(ctx, { certification: null }, async () => ({
      certification: await writes(ctx).revoke(ctx.viewer!, input),
    }));
  }

  @Authorized()
  @Mutation(() => CertificationWritePayload, {
    description:
      "Sets (or removes) the certificate picture; channels whose template asks add it to listings.",
  })
  setCertificationImage(
    @Ctx() ctx: HubContext,
    @Arg("input") input: SetCertificationImageInput,
  ): Promise<CertificationWritePayload> {
    return mutate(ctx, { certification: null }, async () => ({
      certification: await writes(ctx).setImage(ctx.viewer!, input),
    }));
  }
}

/** Builds the GraphQL schema from the resolvers; the SDL is emitted to schema/schema.graphql. */
import "reflect-metadata";
import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import { DateTimeScalar } from "../common/graphql/scalars";
import { authChecker } from "../auth/auth-checker";
import { NodeResolver } from "./node.resolver";
import { ProductResolver } from "../catalogue/graphql/product.resolver";
import { ProducerResolver } from "../catalogue/graphql/producer.resolver";
import { VariantResolver } from "../catalogue/graphql/variant.resolver";
import { CertificationResolver } from "../catalogue/graphql/certification.resolver";
import { StatsResolver } from "../catalogue/graphql/stats.resolver";
import { ImportResolver } from "../catalogue/graphql/import.resolver";
import { ChannelResolver } from "../channels/graphql/channel.resolver";
import { AccountResolver } from "../auth/graphql/account.resolver";
import { AuditResolver } from "../audit/audit.resolver";
import { SyncRunResolver } from "../sync/graphql/sync-run.resolver";
import { OrderLineResolver, OrderResolver } from "../orders/graphql/order.resolver";
import {
  CertificationClaimResolver,
  ClaimChangeResolver,
  OcopClaimsResolver,
  ProductClaimResolver,
} from "../ocop-claims/graphql/claims.resolver";
import { ProgrammeReportResolver } from "../reporting/graphql/report.resolver";
import {
  ChannelRatingResolver,
  ProducerReviewResolver,
  ProductReviewResolver,
  ReviewResolver,
} from "../reviews/graphql/review.resolver";
import { CampaignResolver } from "../campaigns/graphql/campaign.resolver";
import { AlertResolver } from "../alerts/graphql/alert.resolver";
import { WebhookDeliveryResolver, WebhookResolver } from "../outbound-webhooks/graphql/webhook.resolver";
import { ConsoleStatsResolver, ProductListingsResolver } from "./console-stats.resolver";

export const RESOLVERS = [
  NodeResolver,
  ProductResolver,
  ProducerResolver,
  VariantResolver,
  CertificationResolver,
  StatsResolver,
  ImportResolver,
  ChannelResolver,
  AccountResolver,
  AuditResolver,
  SyncRunResolver,
  OrderResolver,
  OrderLineResolver,
  OcopClaimsResolver,
  CertificationClaimResolver,
  ProductClaimResolver,
  ClaimChangeResolver,
  ProgrammeReportResolver,
  ReviewResolver,
  ProductReviewResolver,
  ChannelRatingResolver,
  ProducerReviewResolver,
  CampaignResolver,
  AlertResolver,
  WebhookResolver,
  WebhookDeliveryResolver,
  ConsoleStatsResolver,
  ProductListingsResolver,
] as const;

let cached: GraphQLSchema | null = null;

export function buildHubSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [...RESOLVERS],
    authChecker,
    // Auth failures are top-level errors; input problems are userErrors (validated in services).
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  return cached;
}

/** The SDL as committed in schema/schema.graphql (sorted, so diffs are stable). */
export function printHubSchema(): string {
  return printSchema(lexicographicSortSchema(buildHubSchema())) + "\n";
}

/** Every TypeORM entity and migration the hub knows; the one list the DataSource is built from. */
import { Organization } from "../catalogue/entities/organization.entity";
import { Producer } from "../catalogue/entities/producer.entity";
import { Product } from "../catalogue/entities/product.entity";
import { Variant } from "../catalogue/entities/variant.entity";
import { StockLevel, StockMovement } from "../catalogue/entities/stock.entity";
import { OcopCertification } from "../catalogue/entities/ocop-certification.entity";
import { ApiKey } from "../auth/api-key.entity";
import { Channel } from "../channels/channel.entity";
import { Listing } from "../sync/entities/listing.entity";
import { SyncRun } from "../sync/entities/sync-run.entity";
import { SyncItem } from "../sync/entities/sync-item.entity";
import { MarketplaceOrder, OrderLine, OrderStatusHistory } from "../orders/entities/order.entity";
import { AttributeMapping, CategoryMapping } from "../channels/mapping.entity";
import { Sync1764137100000 } from "../../migrations/1764137100000-sync";
import { OutboxRetry1764137200000 } from "../../migrations/1764137200000-outbox-retry";
import { OrderIndexes1764137300001 } from "../../migrations/1764137300001-order-indexes";
import { ChannelAuth1764137400000 } from "../../migrations/1764137400000-channel-auth";
import { SyncTicks1764137500000 } from "../../migrations/1764137500000-sync-ticks";
import { Catalogue1764136800000 } from "../../migrations/1764136800000-catalogue";
import { CertificationStatus1764136900000 } from "../../migrations/1764136900000-certification-status";
import { SearchTokens1764137000000 } from "../../migrations/1764137000000-search-tokens";
import { Accounts1764137600001 } from "../../migrations/1764137600001-accounts";
import { AuditLog1764137600002 } from "../../migrations/1764137600002-audit-log";
import { OpsBackend1764137700004 } from "../../migrations/1764137700004-ops-backend";
import { OpsBackendBatchEvents1764137700004 } from "../../migrations/1764137700004-ops-backend-batch-events";
import { Campaigns1764137700001 } from "../../migrations/1764137700001-campaigns";
import { CampaignPromotions1764137700001 } from "../../migrations/1764137700001-campaign-promotions";
import { OcopClaims1764137700003 } from "../../migrations/1764137700003-ocop-claims";
import { Reviews1764137700002 } from "../../migrations/1764137700002-reviews";
import { ContentReview1764137700005 } from "../../migrations/1764137700005-content-review";
import { StockRefusals1764137700006 } from "../../migrations/1764137700006-stock-refusals";
import { SearchIndexNoPendingList1764137700007 } from "../../migrations/1764137700007-search-index-no-pending-list";

export const ENTITIES = [
  Organization,
  Producer,
  Product,
  Variant,
  StockLevel,
  StockMovement,
  OcopCertification,
  ApiKey,
  Channel,
  Listing,
  SyncRun,
  SyncItem,
  MarketplaceOrder,
  OrderLine,
  OrderStatusHistory,
  CategoryMapping,
  AttributeMapping,
];

export const MIGRATIONS = [
  Catalogue1764136800000,
  CertificationStatus1764136900000,
  SearchTokens1764137000000,
  Sync1764137100000,
  OutboxRetry1764137200000,
  OrderIndexes1764137300001,
  ChannelAuth1764137400000,
  SyncTicks1764137500000,
  Accounts1764137600001,
  AuditLog1764137600002,
  OpsBackend1764137700004,
  OpsBackendBatchEvents1764137700004,
  Campaigns1764137700001,
  CampaignPromotions1764137700001,
  OcopClaims1764137700003,
  Reviews1764137700002,
  ContentReview1764137700005,
  StockRefusals1764137700006,
  SearchIndexNoPendingList1764137700007,
];

/**
 * Tenant isolation matrix: every query and mutation of the schema × every non-admin kind of caller.
 * The operations are read from the schema itself, so an operation added without a probe here
 * fails the first test. Each probe aims at producer B's data (the victim); the callers are
 * anonymous, confined to producer A (a producer key, an organization admin, producer staff) or
 * platform-wide but narrowly scoped (a READ_CATALOGUE key, a READ_ORDERS key). A leak is:
 *  - any of B's ids or names in a response (apart from what the probe itself sent), for confined
 *    callers; B's data changed by a confined caller; anything changed by a narrowly scoped key;
 *  - for anonymous callers: anything but UNAUTHENTICATED (login and refreshSession excepted);
 *  - a 5xx, for anyone.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { buildHubSchema } from "../../src/app/schema";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { saveCredentials } from "../../src/channels/credential-store";
import { idsIn } from "../../src/audit/audit.service";
import { OcopClaimsService } from "../../src/ocop-claims/claims.service";

interface Fixture {
  A: string;
  B: string;
  productB: string;
  variantB: string;
  channelB: string;
  orderB: string;
  runB: string;
  reviewB: string;
  keyB: string;
  userB: string;
  mappingId: string;
  campaignB: string;
  alertB: string;
  subscriptionB: string;
  deliveryB: string;
  certB: string;
}

type Probe = (f: Fixture) => { query: string; variables?: Record<string, unknown> };

/** One probe per operation, each aimed at producer B's data. */
const PROBES: Record<string, Probe> = {
  // ---- queries ----
  node: (f) => ({
    query: `query($id: ID!) { node(id: $id) { id ... on Product { name } } }`,
    variables: { id: f.productB },
  }),
  products: () => ({
    query: `{ products(first: 100) { totalCount nodes { id name producer { id legalName } } } }`,
  }),
  product: (f) => ({
    query: `query($id: ID!) { product(id: $id) { id name } }`,
    variables: { id: f.productB },
  }),
  producers: () => ({ query: `{ producers(first: 100) { totalCount nodes { id legalName } } }` }),
  producer: (f) => ({
    query: `query($id: ID!) { producer(id: $id) { id legalName } }`,
    variables: { id: f.B },
  }),
  variant: (f) => ({
    query: `query($p: ID!) { variant(producerId: $p, sku: "MBSKU-1") { id sku } }`,
    variables: { p: f.B },
  }),
  ocopStats: (f) => ({
    query: `query($p: ID!) { ocopStats(filter: { producerId: $p }) { totalProducts producers summary } }`,
    variables: { p: f.B },
  }),
  productSets: () => ({ query: `{ productSets { number } }` }),
  marketplaces: () => ({ query: `{ marketplaces { code } }` }),
  channels: () => ({ query: `{ channels(first: 100) { totalCount nodes { id name } } }` }),
  channel: (f) => ({
    query: `query($id: ID!) { channel(id: $id) { id name } }`,
    variables: { id: f.channelB },
  }),
  categoryMappings: () => ({ query: `{ categoryMappings { id remoteCategoryId } }` }),
  attributeMappings: () => ({ query: `{ attributeMappings { id } }` }),
  remoteCategories: (f) => ({
    query: `query($c: ID!) { remoteCategories(channelId: $c) { id name } }`,
    variables: { c: f.channelB },
  }),
  remoteCategoryAttributes: (f) => ({
    query: `query($c: ID!) { remoteCategoryAttributes(channelId: $c, categoryId: "100") { id name } }`,
    variables: { c: f.channelB },
  }),
  me: () => ({ query: `{ me { actor scopes producerIds user { email memberships { producerId } } } }` }),
  apiKeys: () => ({ query: `{ apiKeys(first: 100) { nodes { id name producerId } } }` }),
  auditLog: () => ({ query: `{ auditLog(first: 100) { nodes { targetId changes } } }` }),
  syncRuns: () => ({ query: `{ syncRuns(first: 100) { nodes { id } } }` }),
  syncRun: (f) => ({ query: `query($id: ID!) { syncRun(id: $id) { id } }`, variables: { id: f.runB } }),
  orders: () => ({ query: `{ orders(first: 100) { nodes { id buyerName } } }` }),
  order: (f) => ({
    query: `query($id: ID!) { order(id: $id) { id buyerName } }`,
    variables: { id: f.orderB },
  }),
  consoleStats: (f) => ({
    query: `query($p: ID!) {
      mine: consoleStats(days: 31) { channels { channelId name } series { marketplace points { value } }
        failures { code items { id runId channelId sku } } propagation { count } queues { queue } }
      theirs: consoleStats(days: 31, producerId: $p) { channels { channelId name } failures { items { id } } } }`,
    variables: { p: f.B },
  }),
  reviews: (f) => ({
    query: `query($p: ID!) { reviews(first: 100, filter: { producerId: $p }) { totalCount nodes { id text buyerName product { name } } } }`,
    variables: { p: f.B },
  }),
  // ---- mutations ----
  createProduct: (f) => ({
    query: `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } userErrors { code } } }`,
    variables: {
      i: {
        producerId: f.B,
        name: "Sản phẩm lạ",
        productSetNo: 13,
        variants: [{ sku: "NEW-1", priceVnd: 1 }],
      },
    },
  }),
  updateProduct: (f) => ({
    query: `mutation($i: UpdateProductInput!) { updateProduct(input: $i) { product { id name } userErrors { code } } }`,
    variables: { i: { id: f.productB, name: "đã bị sửa" } },
  }),
  archiveProduct: (f) => ({
    query: `mutation($id: ID!) { archiveProduct(id: $id) { product { id name } userErrors { code } } }`,
    variables: { id: f.productB },
  }),
  upsertVariants: (f) => ({
    query: `mutation($p: ID!) { upsertVariants(productId: $p, variants: [{ sku: "NEW-2", priceVnd: 1 }]) { variants { id } userErrors { code } } }`,
    variables: { p: f.productB },
  }),
  createProducer: () => ({
    query: `mutation { createProducer(input: { legalName: "Chủ thể mới" }) { producer { id } userErrors { code } } }`,
  }),
  updateProducer: (f) => ({
    query: `mutation($i: UpdateProducerInput!) { updateProducer(input: $i) { producer { id legalName } userErrors { code } } }`,
    variables: { i: { id: f.B, legalName: "đã bị sửa" } },
  }),
  setStock: (f) => ({
    query: `mutation($v: ID!) { setStock(input: { variantId: $v, onHand: 999 }) { userErrors { code } } }`,
    variables: { v: f.variantB },
  }),
  adjustStock: (f) => ({
    query: `mutation($v: ID!) { adjustStock(input: { variantId: $v, delta: 5, reason: "x" }) { userErrors { code } } }`,
    variables: { v: f.variantB },
  }),
  recordCertification: (f) => ({
    query: `mutation($p: ID!) { recordCertification(input: { productId: $p, star: 4, decisionNumber: "1/QĐ-UBND",
      decisionDate: "2025-01-02", issuerLevel: PROVINCE, issuerName: "UBND tỉnh" }) { certification { id } userErrors { code } } }`,
    variables: { p: f.productB },
  }),
  importProducts: () => ({
    query: `mutation($csv: String!) { importProducts(csv: $csv) { created userErrors { code } } }`,
    variables: { csv: "a,b\n1,2\n" },
  }),
  connectChannel: (f) => ({
    query: `mutation($i: ConnectChannelInput!) { connectChannel(input: $i) { channel { id } userErrors { code } } }`,
    variables: {
      i: { producerId: f.B, marketplace: "SHOPEE", name: "shop lạ", appKey: "k", appSecret: "s-planted-1" },
    },
  }),
  channelAuthorizationUrl: (f) => ({
    query: `mutation($i: ChannelAuthorizationInput!) { channelAuthorizationUrl(input: $i) { userErrors { code } } }`,
    variables: { i: { producerId: f.B, marketplace: "SHOPEE", redirectUri: "https://example.vn/cb" } },
  }),
  completeChannelAuthorization: () => ({
    query: `mutation { completeChannelAuthorization(state: "forged-state", callbackParams: [{ name: "code", value: "x" }]) { channel { id } userErrors { code } } }`,
  }),
  updateChannelSettings: (f) => ({
    query: `mutation($id: ID!) { updateChannelSettings(id: $id, settings: {}) { channel { id name } userErrors { code } } }`,
    variables: { id: f.channelB },
  }),
  setOrderStatus: (f) => ({
    query: `mutation($id: ID!) { setOrderStatus(id: $id, status: READY_TO_SHIP) { order { id buyerName } userErrors { code } } }`,
    variables: { id: f.orderB },
  }),
  pauseChannel: (f) => ({
    query: `mutation($id: ID!) { pauseChannel(id: $id) { channel { id name } userErrors { code } } }`,
    variables: { id: f.channelB },
  }),
  resumeChannel: (f) => ({
    query: `mutation($id: ID!) { resumeChannel(id: $id) { channel { id name } userErrors { code } } }`,
    variables: { id: f.channelB },
  }),
  disconnectChannel: (f) => ({
    query: `mutation($id: ID!) { disconnectChannel(id: $id) { channel { id name } userErrors { code } } }`,
    variables: { id: f.channelB },
  }),
  setCategoryMapping: () => ({
    query: `mutation { setCategoryMapping(input: { category: FOOD, marketplace: SHOPEE, remoteCategoryId: "999" }) { userErrors { code } } }`,
  }),
  setAttributeMapping: () => ({
    query: `mutation { setAttributeMapping(input: { marketplace: SHOPEE, remoteCategoryId: "999", remoteAttributeId: "1", value: "x", valueSource: FIXED }) { userErrors { code } } }`,
  }),
  deleteMapping: (f) => ({
    query: `mutation($id: ID!) { deleteMapping(id: $id, kind: CATEGORY) { userErrors { code } } }`,
    variables: { id: f.mappingId },
  }),
  publishProducts: (f) => ({
    query: `mutation($c: ID!, $p: ID!) { publishProducts(input: { channelIds: [$c], productIds: [$p], dryRun: false }) { userErrors { code } } }`,
    variables: { c: f.channelB, p: f.productB },
  }),
  login: () => ({
    query: `mutation { login(input: { email: "owner-b@example.vn", password: "wrong-password" }) { accessToken user { id } userErrors { code } } }`,
  }),
  refreshSession: () => ({
    query: `mutation { refreshSession(refreshToken: "ohr_forged") { accessToken userErrors { code } } }`,
  }),
  logout: () => ({ query: `mutation { logout { sessionsEnded userErrors { code } } }` }),
  changePassword: () => ({
    query: `mutation { changePassword(input: { currentPassword: "not-it", newPassword: "mat-khau-moi-dai" }) { changed userErrors { code } } }`,
  }),
  createUser: (f) => ({
    query: `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code } } }`,
    variables: {
      i: {
        email: "intruder@example.vn",
        password: "mat-khau-dai-du",
        role: "PRODUCER_OWNER",
        producerId: f.B,
      },
    },
  }),
  setMembership: (f) => ({
    query: `mutation($i: SetMembershipInput!) { setMembership(input: $i) { user { email } userErrors { code } } }`,
    variables: { i: { userId: f.userB, role: "PRODUCER_OWNER", producerId: f.B, remove: true } },
  }),
  createApiKey: (f) => ({
    query: `mutation($p: ID!) { createApiKey(input: { name: "x", scopes: [READ_CATALOGUE], producerId: $p }) { key userErrors { code } } }`,
    variables: { p: f.B },
  }),
  revokeApiKey: (f) => ({
    query: `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id name } userErrors { code } } }`,
    variables: { id: f.keyB },
  }),
  triggerSync: (f) => ({
    query: `mutation($c: ID!) { triggerSync(channelId: $c, kind: STOCK, dryRun: false) { userErrors { code } } }`,
    variables: { c: f.channelB },
  }),
  retrySyncItems: (f) => ({
    query: `mutation($r: ID!) { retrySyncItems(runId: $r) { userErrors { code } } }`,
    variables: { r: f.runB },
  }),
  replyToReview: (f) => ({
    query: `mutation($id: ID!) { replyToReview(reviewId: $id, text: "MARKER-B lời đáp") { review { id text replyText } userErrors { code } } }`,
    variables: { id: f.reviewB },
  }),
  markReviewsRead: (f) => ({
    query: `mutation($p: ID!) { markReviewsRead(producerId: $p) { marked userErrors { code } } }`,
    variables: { p: f.B },
  }),
  campaigns: () => ({ query: `{ campaigns(first: 100) { totalCount nodes { id name variants { sku } } } }` }),
  campaign: (f) => ({
    query: `query($id: ID!) { campaign(id: $id) { id name } }`,
    variables: { id: f.campaignB },
  }),
  createCampaign: (f) => ({
    query: `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } preview { sku } userErrors { code } } }`,
    variables: {
      i: {
        producerId: f.B,
        name: "Chiến dịch lạ",
        channelIds: [f.channelB],
        variants: [{ variantId: f.variantB, salePriceVnd: 1000 }],
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
      },
    },
  }),
  cancelCampaign: (f) => ({
    query: `mutation($id: ID!) { cancelCampaign(id: $id) { campaign { id name } userErrors { code } } }`,
    variables: { id: f.campaignB },
  }),
  updateCampaign: (f) => ({
    query: `mutation($id: ID!, $i: UpdateCampaignInput!) { updateCampaign(id: $id, input: $i) { campaign { id name } userErrors { code } } }`,
    variables: {
      id: f.campaignB,
      i: {
        name: "đã bị sửa",
        channelIds: [f.channelB],
        variants: [{ variantId: f.variantB, salePriceVnd: 1 }],
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
      },
    },
  }),
  alerts: () => ({
    query: `{ alerts(first: 100) { totalCount nodes { id subject producerId channelId message paramsJson } } }`,
  }),
  acknowledgeAlert: (f) => ({
    query: `mutation($id: ID!) { acknowledgeAlert(id: $id) { alert { id status message } userErrors { code } } }`,
    variables: { id: f.alertB },
  }),
  webhookSubscriptions: () => ({
    query: `{ webhookSubscriptions(first: 100) { totalCount nodes { id url producerId description } } }`,
  }),
  webhookDeliveries: (f) => ({
    query: `query($s: ID!) { webhookDeliveries(subscriptionId: $s) { totalCount nodes { id payloadJson attemptLog { id } } } }`,
    variables: { s: f.subscriptionB },
  }),
  createWebhookSubscription: (f) => ({
    query: `mutation($p: ID!) { createWebhookSubscription(input: { producerId: $p, url: "http://127.0.0.1:9/hook", events: [STOCK_CHANGED, ORDER_IMPORTED] }) { secret subscription { id } userErrors { code } } }`,
    variables: { p: f.B },
  }),
  updateWebhookSubscription: (f) => ({
    query: `mutation($id: ID!) { updateWebhookSubscription(id: $id, input: { url: "http://127.0.0.1:9/evil", active: false }) { subscription { id url } userErrors { code } } }`,
    variables: { id: f.subscriptionB },
  }),
  deleteWebhookSubscription: (f) => ({
    query: `mutation($id: ID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { code } } }`,
    variables: { id: f.subscriptionB },
  }),
  redeliverWebhook: (f) => ({
    query: `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { delivery { id payloadJson } userErrors { code } } }`,
    variables: { id: f.deliveryB },
  }),
  ocopClaimChanges: () => ({
    query: `{ ocopClaimChanges(first: 100) { totalCount nodes { id productId producerId oldDecisionNumber newDecisionNumber } } }`,
  }),
  programmeReport: (f) => ({
    query: `query($p: ID!) { programmeReport(filter: { from: "2026-01-01", to: "2026-12-31", producerId: $p }) {
      totals { orders revenueVnd } byProvince { key label } producersWithoutChannel { producerId legalName } csv } }`,
    variables: { p: f.B },
  }),
  revokeCertification: (f) => ({
    query: `mutation($c: ID!) { revokeCertification(input: { certificationId: $c, reason: "thu hồi" }) { certification { id decisionNumber } userErrors { code } } }`,
    variables: { c: f.certB },
  }),
  setCertificationImage: (f) => ({
    query: `mutation($c: ID!) { setCertificationImage(input: { certificationId: $c, imageUrl: "https://example.org/x.jpg" }) { certification { id imageUrl } userErrors { code } } }`,
    variables: { c: f.certB },
  }),
};

/** Everything of producer B (or of every producer in `producers`), plus platform-wide tables. */
async function snapshot(hub: TestHub, producers: string[]): Promise<string> {
  const [r] = await hub.db.dataSource.query(
    `SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS h FROM (
       SELECT row_to_json(p)::text AS x FROM producer p WHERE id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(p)::text FROM product p WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(v)::text FROM variant v WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(s)::text FROM stock_level s JOIN variant v ON v.id = s.variant_id
                  WHERE v.producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(c)::text FROM ocop_certification c JOIN product p ON p.id = c.product_id
                  WHERE p.producer_id = ANY($1::uuid[])
       UNION ALL SELECT concat_ws(',', id, name, status, credentials_version, settings::text, md5(credentials))
                  FROM channel WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT concat_ws(',', id, revoked_at) FROM api_key WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(m)::text FROM membership m WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT concat_ws(',', r.id, r.status) FROM sync_run r JOIN channel c ON c.id = r.channel_id
                  WHERE c.producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(l)::text FROM listing l JOIN channel c ON c.id = l.channel_id
                  WHERE c.producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(r)::text FROM review r WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT 'producers:' || count(*) FROM producer
       UNION ALL SELECT 'users:' || count(*) FROM app_user
       UNION ALL SELECT 'platform-members:' || count(*) FROM membership WHERE producer_id IS NULL AND organization_id IS NULL
       UNION ALL SELECT row_to_json(m)::text FROM category_mapping m
       UNION ALL SELECT row_to_json(m)::text FROM attribute_mapping m
       UNION ALL SELECT row_to_json(k)::text FROM campaign k WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(o)::text FROM campaign_occurrence o JOIN campaign k ON k.id = o.campaign_id
                  WHERE k.producer_id = ANY($1::uuid[])
       UNION ALL SELECT row_to_json(a)::text FROM alert a WHERE producer_id = ANY($1::uuid[])
       UNION ALL SELECT concat_ws(',', s.id, s.url, s.events::text, s.active, md5(s.secret)) FROM webhook_subscription s
                  WHERE s.producer_id = ANY($1::uuid[])
       UNION ALL SELECT concat_ws(',', d.id, d.status, d.attempts, d.next_attempt_at) FROM webhook_delivery d
                  JOIN webhook_subscription s ON s.id = d.subscription_id WHERE s.producer_id = ANY($1::uuid[])
       UNION ALL SELECT 'webhook-subscriptions:' || count(*) FROM webhook_subscription
     ) t`,
    [producers],
  );
  return r.h;
}

describe("tenant isolation matrix", () => {
  let hub: TestHub;
  let f: Fixture;
  let markers: string[] = [];
  let rawA = "";
  let rawB = "";
  const callers: Record<string, string | null> = {};

  beforeAll(async () => {
    hub = await startTestHub();
    const ds = hub.db.dataSource;
    const [org] = await ds.query(`INSERT INTO organization (name) VALUES ('Văn phòng OCOP A') RETURNING id`);
    const [a] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type, organization_id) VALUES ('HTX An Phú', 'htx an phu', 'COOPERATIVE', $1) RETURNING id`,
      [org.id],
    );
    const [b] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('MARKER-B nhà sản xuất', 'marker-b nha san xuat', 'COOPERATIVE') RETURNING id`,
    );
    rawA = a.id;
    rawB = b.id;
    const gq = async (q: string, v?: Record<string, unknown>) => {
      const r = await hub.gql(q, v);
      expect(r.errors).toBeUndefined();
      return r.data;
    };
    const pB = await gq(
      `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id variants { id } } userErrors { code } } }`,
      {
        i: {
          producerId: toGlobalId("Producer", b.id),
          name: "MARKER-B sản phẩm",
          productSetNo: 13,
          variants: [{ sku: "MBSKU-1", priceVnd: 50000, initialStock: 10 }],
        },
      },
    );
    await gq(`mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }`, {
      i: {
        producerId: toGlobalId("Producer", a.id),
        name: "Trà An Phú",
        productSetNo: 13,
        variants: [{ sku: "AP-1", priceVnd: 50000 }],
      },
    });
    const [ch] = await ds.query(
      `INSERT INTO channel (producer_id, marketplace, name, base_url) VALUES ($1, 'shopee', 'MARKER-B shop', 'http://127.0.0.1:9') RETURNING id`,
      [b.id],
    );
    await saveCredentials(ds, hub.services.sync.box, ch.id, {
      appKey: "k-b",
      appSecret: "planted-secret-b-0001",
    });
    const [order] = await ds.query(
      `INSERT INTO marketplace_order (channel_id, producer_id, external_order_id, status, remote_status, buyer_name, source)
       VALUES ($1, $2, 'MARKER-B-ORDER-1', 'PENDING', 'UNPAID', 'MARKER-B người mua', 'PULL') RETURNING id`,
      [ch.id, b.id],
    );
    const [run] = await ds.query(
      `INSERT INTO sync_run (channel_id, kind, trigger, status) VALUES ($1, 'STOCK', 'MANUAL', 'FINISHED') RETURNING id`,
      [ch.id],
    );
    const [campaign] = await ds.query(
      `WITH k AS (INSERT INTO campaign (producer_id, name, pricing, starts_at, ends_at)
                  VALUES ($1, 'MARKER-B campaign', 'SALE_PRICES', now() + interval '1 day', now() + interval '2 days') RETURNING id),
            c AS (INSERT INTO campaign_channel SELECT k.id, $2 FROM k),
            v AS (INSERT INTO campaign_variant (campaign_id, variant_id, sale_price_vnd)
                  SELECT k.id, variant.id, 1000 FROM k, variant WHERE variant.sku = 'MBSKU-1'),
            o AS (INSERT INTO campaign_occurrence (campaign_id, starts_at, ends_at)
                  SELECT k.id, now() + interval '1 day', now() + interval '2 days' FROM k)
       SELECT id FROM k`,
      [b.id, ch.id],
    );
    const [alertB] = await ds.query(
      `INSERT INTO alert (rule, subject_key, severity, producer_id, channel_id, params)
       VALUES ('CHANNEL_NEEDS_REAUTH', 'channel:' || $2, 'CRITICAL', $1, $2::uuid, '{"channel": "MARKER-B shop"}') RETURNING id`,
      [b.id, ch.id],
    );
    const [review] = await ds.query(
      `INSERT INTO review (channel_id, producer_id, external_review_id, rating, text, buyer_name, remote_created_at)
       VALUES ($1, $2, 'MARKER-B-REVIEW-1', 2, 'MARKER-B đánh giá', 'MARKER-B người mua', now()) RETURNING id`,
      [ch.id, b.id],
    );
    const [subB] = await ds.query(
      `INSERT INTO webhook_subscription (producer_id, url, events, secret, description, created_by)
       VALUES ($1, 'http://127.0.0.1:9/MARKER-B-hook', '{STOCK_CHANGED}', '\\x00', 'MARKER-B integration', 'test') RETURNING id`,
      [b.id],
    );
    const [evB] = await ds.query(
      `INSERT INTO outbound_event (type, producer_id, payload) VALUES ('STOCK_CHANGED', $1, '{"sku": "MBSKU-1"}') RETURNING id`,
      [b.id],
    );
    const [delB] = await ds.query(
      `INSERT INTO webhook_delivery (subscription_id, event_id, status, attempts) VALUES ($1, $2, 'FAILED', 3) RETURNING id`,
      [subB.id, evB.id],
    );
    // A certificate of B and the claim change its recording gives (for the OCOP claim probes).
    const [certB] = await ds.query(
      `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
       SELECT product_id, 4, 'MARKER-B-QĐ', '2025-01-02', 'PROVINCE', 'UBND tỉnh', '2028-01-02', 'DECISION_DATE', 'A'
         FROM variant WHERE sku = 'MBSKU-1' RETURNING id`,
    );
    await new OcopClaimsService(ds, hub.services.clock).refresh({ wait: true });
    const keyB = await hub.services.apiKeys.issue({
      name: "MARKER-B key",
      role: ApiKeyRole.PRODUCER,
      producerId: b.id,
    });
    const userB = await gq(`mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`, {
      i: {
        email: "owner-b@example.vn",
        password: "mat-khau-cua-b",
        role: "PRODUCER_OWNER",
        producerId: toGlobalId("Producer", b.id),
      },
    });
    const mapping = await gq(
      `mutation { setCategoryMapping(input: { category: FOOD, marketplace: SHOPEE, remoteCategoryId: "100" }) { mapping { id } } }`,
    );
    f = {
      A: toGlobalId("Producer", a.id),
      B: toGlobalId("Producer", b.id),
      productB: pB.createProduct.product.id,
      variantB: pB.createProduct.product.variants[0].id,
      channelB: toGlobalId("Channel", ch.id),
      orderB: toGlobalId("Order", order.id),
      runB: run.id,
      reviewB: toGlobalId("Review", review.id),
      keyB: toGlobalId("ApiKey", keyB.apiKey.id),
      userB: userB.createUser.user.id,
      mappingId: mapping.setCategoryMapping.mapping.id,
      campaignB: campaign.id,
      alertB: alertB.id,
      subscriptionB: subB.id,
      deliveryB: delB.id,
      certB: toGlobalId("OcopCertification", certB.id),
    };
    markers = [
      "MARKER-B",
      "MBSKU-1",
      "owner-b@example.vn",
      "planted-secret-b-0001",
      f.B,
      f.productB,
      f.variantB,
      f.channelB,
      f.orderB,
      f.runB,
      alertB.id,
      subB.id,
      delB.id,
      f.keyB,
      f.userB,
      f.reviewB,
      review.id,
      b.id,
      ch.id,
      order.id,
      keyB.apiKey.id,
      campaign.id,
      f.certB,
      certB.id,
    ];

    const login = async (email: string, role: string, target: Record<string, string>) => {
      await gq(`mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`, {
        i: { email, password: "mat-khau-thu-nghiem", role, ...target },
      });
      const l = await hub.gql(
        `mutation($e: String!) { login(input: { email: $e, password: "mat-khau-thu-nghiem" }) { accessToken } }`,
        { e: email },
        { key: null },
      );
      return l.data.login.accessToken as string;
    };
    callers.anonymous = null;
    callers.producerKeyA = await hub.issueKey(ApiKeyRole.PRODUCER, a.id);
    callers.orgAdminA = await login("org-a@example.vn", "ORG_ADMIN", {
      organizationId: toGlobalId("Organization", org.id),
    });
    callers.staffA = await login("staff-a@example.vn", "PRODUCER_STAFF", { producerId: f.A });
    const key = async (scopes: string[]) =>
      (
        await gq(`mutation($s: [Scope!]!) { createApiKey(input: { name: "scoped", scopes: $s }) { key } }`, {
          s: scopes,
        })
      ).createApiKey.key as string;
    callers.readCatalogueKey = await key(["READ_CATALOGUE"]);
    callers.readOrdersKey = await key(["READ_ORDERS"]);
  });
  afterAll(() => hub.close());

  it("has a probe for every query and mutation in the schema", () => {
    const schema = buildHubSchema();
    const ops = [schema.getQueryType()!, schema.getMutationType()!].flatMap((t) =>
      Object.keys(t.getFields()),
    );
    expect(ops.filter((op) => !PROBES[op])).toEqual([]);
    expect(Object.keys(PROBES).filter((p) => !ops.includes(p))).toEqual([]);
  });

  const CONFINED = ["producerKeyA", "orgAdminA", "staffA"];
  const NARROW = ["readCatalogueKey", "readOrdersKey"];

  it.each(["anonymous", ...CONFINED, ...NARROW])(
    "%s: no operation leaks or changes producer B's data",
    async (role) => {
      const schema = buildHubSchema();
      const mutations = new Set(Object.keys(schema.getMutationType()!.getFields()));
      const leaks: string[] = [];
      let covered = 0;
      for (const [op, probe] of Object.entries(PROBES)) {
        const { query, variables } = probe(f);
        // What the probe sent, ids decoded too: an error that echoes the requested id reveals nothing.
        const sent =
          query +
          JSON.stringify(variables ?? {}) +
          idsIn(variables)
            .map((g) => g.id)
            .join(" ");
        const scope = CONFINED.includes(role) ? [rawB] : [rawA, rawB];
        const before = mutations.has(op) ? await snapshot(hub, scope) : "";
        const r = await hub.gql(query, variables, { key: callers[role] });
        const body = JSON.stringify({ data: r.data, errors: r.errors });
        covered++;
        if (r.errors?.some((e) => e.extensions?.code === "GRAPHQL_VALIDATION_FAILED"))
          leaks.push(`${op}: the probe itself is invalid: ${r.errors[0].message}`);
        if (r.status >= 500) leaks.push(`${op}: HTTP ${r.status}`);
        if (/\bat .+\.(js|ts):\d+|SELECT |INSERT |UPDATE /.test(body))
          leaks.push(`${op}: internals in response`);
        if (role === "anonymous" && op !== "login" && op !== "refreshSession") {
          if (r.errors?.[0]?.extensions?.code !== "UNAUTHENTICATED")
            leaks.push(`${op}: answered without credentials`);
        }
        if (role === "anonymous" || CONFINED.includes(role)) {
          for (const m of markers)
            if (!sent.includes(m) && body.includes(m)) leaks.push(`${op}: response shows ${m}`);
        }
        if (mutations.has(op) && (await snapshot(hub, scope)) !== before)
          leaks.push(`${op}: changed data it may not`);
      }
      expect(covered).toBe(Object.keys(PROBES).length);
      expect(leaks).toEqual([]);
    },
  );
});

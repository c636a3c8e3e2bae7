/**
 * Memberships and scoped keys confine reads and writes: an organization admin sees its producers
 * only, producer staff cannot manage channels, a READ_CATALOGUE key cannot write, a key without
 * READ_ORDERS cannot read orders, a user's key shrinks with the user's memberships, who may grant
 * which role.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { toGlobalId } from "../../src/common/graphql/global-id";

const PRODUCTS = `{ products(first: 50) { totalCount nodes { id name } } }`;
const CREATE_USER = `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { field code } } }`;
const SET_MEMBERSHIP = `mutation($i: SetMembershipInput!) { setMembership(input: $i) {
  user { memberships { role producerId organizationId } } userErrors { field code } } }`;
const CREATE_KEY = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
  key apiKey { id role scopes producerId } userErrors { field code } } }`;
const UPDATE_PRODUCT = `mutation($i: UpdateProductInput!) { updateProduct(input: $i) { product { name } userErrors { field code } } }`;

describe("accounts: memberships and scoped keys", () => {
  let hub: TestHub;
  const gid = { org: "", p1: "", p2: "", p3: "" };
  const product: Record<string, string> = {};
  let channelGid = "";

  async function userToken(email: string, role: string, target: Record<string, string>): Promise<string> {
    const password = "mat-khau-thu-nghiem";
    const r = await hub.gql(CREATE_USER, { i: { email, password, role, ...target } });
    expect(r.data.createUser.userErrors).toEqual([]);
    const l = await hub.gql(
      `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }`,
      { e: email, p: password },
      { key: null },
    );
    return l.data.login.accessToken;
  }

  const names = async (token: string) =>
    ((await hub.gql(PRODUCTS, {}, { key: token })).data?.products.nodes ?? [])
      .map((n: { name: string }) => n.name)
      .sort();

  beforeAll(async () => {
    hub = await startTestHub();
    const ds = hub.db.dataSource;
    const [org] = await ds.query(
      `INSERT INTO organization (name) VALUES ('Văn phòng OCOP tỉnh Thái Nguyên') RETURNING id`,
    );
    gid.org = toGlobalId("Organization", org.id);
    let i = 0;
    for (const [k, inOrg] of [
      ["p1", true],
      ["p2", true],
      ["p3", false],
    ] as const) {
      const [p] = await ds.query(
        `INSERT INTO producer (legal_name, name_key, type, organization_id) VALUES ($1, $2, 'COOPERATIVE', $3) RETURNING id`,
        [`HTX ${k}`, `htx ${k}`, inOrg ? org.id : null],
      );
      gid[k] = toGlobalId("Producer", p.id);
      const r = await hub.gql(
        `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } userErrors { code } } }`,
        {
          i: {
            producerId: gid[k],
            name: `Chè ${k}`,
            productSetNo: 13,
            variants: [{ sku: `SKU-${++i}`, priceVnd: 1000 }],
          },
        },
      );
      product[k] = r.data.createProduct.product.id;
    }
    const [ch] = await ds.query(
      `INSERT INTO channel (producer_id, marketplace, name, base_url) SELECT id, 'shopee', 'Shop p1', 'http://127.0.0.1:9' FROM producer WHERE legal_name = 'HTX p1' RETURNING id`,
    );
    channelGid = toGlobalId("Channel", ch.id);
  });
  afterAll(() => hub.close());

  it("an organization admin reads and writes its producers only", async () => {
    const t = await userToken("vanphong@thainguyen.vn", "ORG_ADMIN", { organizationId: gid.org });
    expect(await names(t)).toEqual(["Chè p1", "Chè p2"]);
    const producers = await hub.gql(`{ producers { nodes { id } } }`, {}, { key: t });
    expect(producers.data.producers.nodes.map((n: { id: string }) => n.id).sort()).toEqual(
      [gid.p1, gid.p2].sort(),
    );
    const foreign = await hub.gql(
      `query($id: ID!) { node(id: $id) { id } p: producer(id: $id) { id } }`,
      { id: gid.p3 },
      { key: t },
    );
    expect(foreign.data).toEqual({ node: null, p: null });
    const foreignProduct = await hub.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: product.p3 },
      { key: t },
    );
    expect(foreignProduct.data.node).toBeNull();
    const org = await hub.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid.org }, { key: t });
    expect(org.data.node).toEqual({ id: gid.org });

    const own = await hub.gql(UPDATE_PRODUCT, { i: { id: product.p2, name: "Chè p2 mới" } }, { key: t });
    expect(own.data.updateProduct.userErrors).toEqual([]);
    // Another producer's product is reported as not found, not as forbidden: its existence stays hidden.
    const other = await hub.gql(UPDATE_PRODUCT, { i: { id: product.p3, name: "x" } }, { key: t });
    expect(other.data.updateProduct.userErrors).toEqual([{ field: "id", code: "NOT_FOUND" }]);
    // Registering producers stays with platform admins.
    const cp = await hub.gql(
      `mutation { createProducer(input: { legalName: "HTX mới" }) { producer { id } } }`,
      {},
      { key: t },
    );
    expect(cp.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("producer staff edit their catalogue but cannot manage channels; the owner can", async () => {
    const staff = await userToken("nhanvien@p1.vn", "PRODUCER_STAFF", { producerId: gid.p1 });
    const owner = await userToken("chu@p1.vn", "PRODUCER_OWNER", { producerId: gid.p1 });
    expect(await names(staff)).toEqual(["Chè p1"]);
    const edit = await hub.gql(UPDATE_PRODUCT, { i: { id: product.p1, name: "Chè p1" } }, { key: staff });
    expect(edit.data.updateProduct.userErrors).toEqual([]);
    const PAUSE = `mutation($id: ID!) { pauseChannel(id: $id) { channel { status } userErrors { code } } }`;
    const byStaff = await hub.gql(PAUSE, { id: channelGid }, { key: staff });
    expect(byStaff.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const byOwner = await hub.gql(PAUSE, { id: channelGid }, { key: owner });
    expect(byOwner.data.pauseChannel).toEqual({ channel: { status: "PAUSED" }, userErrors: [] });
  });

  it("a READ_CATALOGUE key reads but cannot write; without READ_ORDERS no orders", async () => {
    const made = await hub.gql(CREATE_KEY, { i: { name: "đọc danh mục", scopes: ["READ_CATALOGUE"] } });
    expect(made.data.createApiKey.userErrors).toEqual([]);
    expect(made.data.createApiKey.apiKey).toMatchObject({
      role: "INTEGRATOR_READ",
      scopes: ["READ_CATALOGUE"],
    });
    const key = made.data.createApiKey.key as string;
    expect(await names(key)).toHaveLength(3);
    const write = await hub.gql(UPDATE_PRODUCT, { i: { id: product.p1, name: "x" } }, { key });
    expect(write.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const orders = await hub.gql(`{ orders { totalCount } }`, {}, { key });
    expect(orders.errors?.[0].extensions?.code).toBe("FORBIDDEN");

    const ordersKey = (await hub.gql(CREATE_KEY, { i: { name: "đơn hàng", scopes: ["READ_ORDERS"] } })).data
      .createApiKey.key;
    const withScope = await hub.gql(`{ orders { totalCount } }`, {}, { key: ordersKey });
    expect(withScope.errors).toBeUndefined();
    expect(withScope.data.orders.totalCount).toBe(0);
    // ...and it reads no catalogue: that is another scope.
    expect(await names(ordersKey)).toEqual([]);
  });

  it("keys hold at most their creator's scopes, and shrink when the creator loses a membership", async () => {
    const staff = await userToken("nhanvien2@p1.vn", "PRODUCER_STAFF", { producerId: gid.p1 });
    const tooMuch = await hub.gql(
      CREATE_KEY,
      { i: { name: "kênh", scopes: ["MANAGE_CHANNELS"], producerId: gid.p1 } },
      { key: staff },
    );
    expect(tooMuch.data.createApiKey).toMatchObject({
      key: null,
      userErrors: [{ field: "scopes", code: "SCOPES_NOT_HELD" }],
    });
    const elsewhere = await hub.gql(
      CREATE_KEY,
      { i: { name: "khác", scopes: ["READ_CATALOGUE"], producerId: gid.p3 } },
      { key: staff },
    );
    expect(elsewhere.data.createApiKey.userErrors).toEqual([{ field: "scopes", code: "SCOPES_NOT_HELD" }]);
    const made = await hub.gql(
      CREATE_KEY,
      { i: { name: "đọc", scopes: ["READ_CATALOGUE"], producerId: gid.p1 } },
      { key: staff },
    );
    expect(made.data.createApiKey.apiKey).toMatchObject({ role: "PRODUCER", producerId: gid.p1 });
    const key = made.data.createApiKey.key as string;
    expect(await names(key)).toEqual(["Chè p1"]);
    const mine = await hub.gql(`{ apiKeys { nodes { id } } }`, {}, { key: staff });
    expect(mine.data.apiKeys.nodes).toEqual([{ id: made.data.createApiKey.apiKey.id }]);

    const me = await hub.gql(`{ me { user { id } } }`, {}, { key: staff });
    const removed = await hub.gql(SET_MEMBERSHIP, {
      i: { userId: me.data.me.user.id, role: "PRODUCER_STAFF", producerId: gid.p1, remove: true },
    });
    expect(removed.data.setMembership).toEqual({ user: { memberships: [] }, userErrors: [] });
    expect(await names(key)).toEqual([]);
    expect(await names(staff)).toEqual([]);
  });

  it("revoked keys stop at once", async () => {
    const made = await hub.gql(CREATE_KEY, { i: { name: "tạm", scopes: ["READ_CATALOGUE"] } });
    const { key, apiKey } = made.data.createApiKey;
    expect((await hub.gql(PRODUCTS, {}, { key })).status).toBe(200);
    const r = await hub.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } userErrors { code } } }`,
      {
        id: apiKey.id,
      },
    );
    expect(r.data.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    expect((await hub.gql(PRODUCTS, {}, { key })).status).toBe(401);
  });

  it("grants roles only within the granter's reach", async () => {
    const orgAdmin = await userToken("admin2@thainguyen.vn", "ORG_ADMIN", { organizationId: gid.org });
    const owner3 = await userToken("chu@p3.vn", "PRODUCER_OWNER", { producerId: gid.p3 });
    const target = await hub.gql(CREATE_USER, {
      i: { email: "moi@example.vn", password: "mat-khau-dai-du" },
    });
    const userId = target.data.createUser.user.id;

    const inOrg = await hub.gql(
      SET_MEMBERSHIP,
      { i: { userId, role: "PRODUCER_OWNER", producerId: gid.p2 } },
      { key: orgAdmin },
    );
    expect(inOrg.data.setMembership.userErrors).toEqual([]);
    for (const [who, i] of [
      [orgAdmin, { role: "PRODUCER_STAFF", producerId: gid.p3 }],
      [orgAdmin, { role: "PLATFORM_ADMIN" }],
      [owner3, { role: "PRODUCER_STAFF", producerId: gid.p1 }],
      [owner3, { role: "ORG_ADMIN", organizationId: gid.org }],
    ] as const) {
      const r = await hub.gql(SET_MEMBERSHIP, { i: { userId, ...i } }, { key: who });
      expect({ i, code: r.errors?.[0].extensions?.code }).toEqual({ i, code: "FORBIDDEN" });
    }
    const ownOk = await hub.gql(
      SET_MEMBERSHIP,
      { i: { userId, role: "PRODUCER_STAFF", producerId: gid.p3 } },
      { key: owner3 },
    );
    expect(ownOk.data.setMembership.userErrors).toEqual([]);
    const wrongTarget = await hub.gql(SET_MEMBERSHIP, {
      i: { userId, role: "ORG_ADMIN", producerId: gid.p1 },
    });
    expect(wrongTarget.data.setMembership.userErrors).toEqual([{ field: "role", code: "MEMBERSHIP_TARGET" }]);
    // Creating a user without a membership is for platform admins only.
    const bare = await hub.gql(
      CREATE_USER,
      { i: { email: "khac@example.vn", password: "mat-khau-dai-du" } },
      { key: orgAdmin },
    );
    expect(bare.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const dup = await hub.gql(CREATE_USER, { i: { email: "MOI@example.vn", password: "mat-khau-dai-du" } });
    expect(dup.data.createUser.userErrors).toEqual([{ field: "email", code: "DUPLICATE" }]);
  });
});

/**
 * Logins over HTTP: opaque access and refresh tokens, refresh rotation with reuse detection,
 * logout, password change ending the other sessions, access-token expiry, no account enumeration.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { ManualClock } from "../../src/common/time";
import { toGlobalId } from "../../src/common/graphql/global-id";

const LOGIN = `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) {
  accessToken refreshToken accessTokenExpiresAt user { email memberships { role producerId } }
  userErrors { field code message } } }`;
const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken userErrors { code } } }`;
const ME = `{ me { actor scopes producerIds user { email } apiKey { id } } }`;

describe("accounts: sessions", () => {
  let hub: TestHub;
  let clock: ManualClock;
  let producerGid: string;
  const email = "Chu.HTX@Example.vn";
  const password = "mật-khẩu-đủ-dài-1";

  const login = async (e: string, p: string) => (await hub.gql(LOGIN, { e, p }, { key: null })).data.login;
  const meWith = (token: string) => hub.gql(ME, {}, { key: token });

  beforeAll(async () => {
    clock = new ManualClock(new Date());
    hub = await startTestHub({ clock });
    const [p] = await hub.db.dataSource.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Chè Tân Cương', 'htx che tan cuong', 'COOPERATIVE') RETURNING id`,
    );
    producerGid = toGlobalId("Producer", p.id);
    const r = await hub.gql(
      `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id email } userErrors { field code } } }`,
      { i: { email, password, displayName: "Chủ HTX", role: "PRODUCER_OWNER", producerId: producerGid } },
    );
    expect(r.data.createUser.userErrors).toEqual([]);
  });
  afterAll(() => hub.close());

  it("logs in with the right password only, answering the same for an unknown email", async () => {
    const wrong = await login(email, "sai-mat-khau-123");
    const unknown = await hub.gql(LOGIN, { e: "nobody@example.vn", p: password }, { key: null, lang: "en" });
    expect(wrong.accessToken).toBeNull();
    expect(wrong.userErrors).toEqual([
      { field: "", code: "INVALID_CREDENTIALS", message: "Email hoặc mật khẩu không đúng." },
    ]);
    expect(unknown.data.login.userErrors[0]).toMatchObject({
      code: "INVALID_CREDENTIALS",
      message: "Wrong email or password.",
    });

    // Email is matched without regard to case; the stored hash is argon2id, never the password.
    const ok = await login("chu.htx@example.VN", password);
    expect(ok.userErrors).toEqual([]);
    expect(ok.accessToken).toMatch(/^oha_/);
    expect(ok.refreshToken).toMatch(/^ohr_/);
    expect(ok.user.memberships).toEqual([{ role: "PRODUCER_OWNER", producerId: producerGid }]);
    const [u] = await hub.db.dataSource.query(`SELECT password_hash FROM app_user`);
    expect(u.password_hash).toMatch(/^\$argon2id\$/);
    const tokens = await hub.db.dataSource.query(`SELECT token_hash FROM auth_token`);
    expect(JSON.stringify(tokens)).not.toContain(ok.accessToken.slice(4));

    const me = await meWith(ok.accessToken);
    expect(me.data.me.user.email).toBe(email);
    expect(me.data.me.apiKey).toBeNull();
    expect(me.data.me.producerIds).toEqual([producerGid]);
    expect(me.data.me.scopes).toEqual([
      "READ_CATALOGUE",
      "WRITE_CATALOGUE",
      "MANAGE_CHANNELS",
      "READ_ORDERS",
    ]);
  });

  it("rotates refresh tokens, and a reused one ends the whole session", async () => {
    const first = await login(email, password);
    const second = (await hub.gql(REFRESH, { t: first.refreshToken }, { key: null })).data.refreshSession;
    expect(second.userErrors).toEqual([]);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // The rotation retires the older access token at once.
    expect((await meWith(first.accessToken)).status).toBe(401);
    expect((await meWith(second.accessToken)).data.me.user.email).toBe(email);

    // Someone replays the first refresh token: refused, and the legitimate pair dies with it.
    const replay = (await hub.gql(REFRESH, { t: first.refreshToken }, { key: null })).data.refreshSession;
    expect(replay.accessToken).toBeNull();
    expect(replay.userErrors[0].code).toBe("INVALID_REFRESH_TOKEN");
    expect((await meWith(second.accessToken)).status).toBe(401);
    const after = (await hub.gql(REFRESH, { t: second.refreshToken }, { key: null })).data.refreshSession;
    expect(after.userErrors[0].code).toBe("INVALID_REFRESH_TOKEN");
    const [s] = await hub.db.dataSource.query(
      `SELECT revoke_reason FROM auth_session WHERE revoked_at IS NOT NULL ORDER BY revoked_at DESC LIMIT 1`,
    );
    expect(s.revoke_reason).toBe("REFRESH_REUSE");

    // Other sessions of the same user are untouched.
    const other = await login(email, password);
    expect((await meWith(other.accessToken)).status).toBe(200);
  });

  it("expires access tokens after 15 minutes; the refresh token still renews", async () => {
    const s = await login(email, password);
    clock.advance(16 * 60_000);
    const expired = await meWith(s.accessToken);
    expect(expired.status).toBe(401);
    expect(expired.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    const renewed = (await hub.gql(REFRESH, { t: s.refreshToken }, { key: null })).data.refreshSession;
    expect((await meWith(renewed.accessToken)).status).toBe(200);
    clock.advance(15 * 24 * 3600_000); // past the 14-day idle limit of the refresh token
    const late = (await hub.gql(REFRESH, { t: renewed.refreshToken }, { key: null })).data.refreshSession;
    expect(late.userErrors[0].code).toBe("INVALID_REFRESH_TOKEN");
  });

  it("logs out one session or all of them", async () => {
    const a = await login(email, password);
    const b = await login(email, password);
    const out = await hub.gql(
      `mutation { logout { sessionsEnded userErrors { code } } }`,
      {},
      { key: a.accessToken },
    );
    expect(out.data.logout).toEqual({ sessionsEnded: 1, userErrors: [] });
    expect((await meWith(a.accessToken)).status).toBe(401);
    const refreshA = (await hub.gql(REFRESH, { t: a.refreshToken }, { key: null })).data.refreshSession;
    expect(refreshA.userErrors[0].code).toBe("INVALID_REFRESH_TOKEN");
    expect((await meWith(b.accessToken)).status).toBe(200);

    const all = await hub.gql(
      `mutation { logout(everywhere: true) { sessionsEnded } }`,
      {},
      { key: b.accessToken },
    );
    expect(all.data.logout.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await meWith(b.accessToken)).status).toBe(401);
    // Logging out is for people: an API key has no session to end.
    const keyLogout = await hub.gql(`mutation { logout { sessionsEnded } }`);
    expect(keyLogout.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("changes the password only with the current one, ending the other sessions", async () => {
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) {
      changed userErrors { field code } } }`;
    const a = await login(email, password);
    const b = await login(email, password);
    const bad = await hub.gql(
      CHANGE,
      { c: "not-the-password", n: "mat-khau-moi-2025" },
      { key: a.accessToken },
    );
    expect(bad.data.changePassword).toEqual({
      changed: false,
      userErrors: [{ field: "currentPassword", code: "INVALID_CREDENTIALS" }],
    });
    const short = await hub.gql(CHANGE, { c: password, n: "ngan" }, { key: a.accessToken });
    expect(short.data.changePassword.userErrors).toEqual([{ field: "newPassword", code: "TOO_SHORT" }]);

    const ok = await hub.gql(CHANGE, { c: password, n: "mat-khau-moi-2025" }, { key: a.accessToken });
    expect(ok.data.changePassword).toEqual({ changed: true, userErrors: [] });
    expect((await meWith(a.accessToken)).status).toBe(200);
    expect((await meWith(b.accessToken)).status).toBe(401);
    const refreshB = (await hub.gql(REFRESH, { t: b.refreshToken }, { key: null })).data.refreshSession;
    expect(refreshB.userErrors[0].code).toBe("INVALID_REFRESH_TOKEN");
    expect((await login(email, password)).userErrors[0].code).toBe("INVALID_CREDENTIALS");
    expect((await login(email, "mat-khau-moi-2025")).userErrors).toEqual([]);
  });

  it("refuses malformed and foreign bearer tokens with 401", async () => {
    for (const token of [
      "oha_forged",
      "ohr_refresh-is-not-a-bearer",
      "eyJhbGciOiJub25lIn0.e30.",
      "x".repeat(300),
    ]) {
      const r = await meWith(token);
      expect({ token: token.slice(0, 10), status: r.status }).toEqual({
        token: token.slice(0, 10),
        status: 401,
      });
    }
  });
});

/**
 * Connect a marketplace shop: through the marketplace's authorization page (channelAuthorizationUrl,
 * then completeChannelAuthorization with the parameters it redirects back with), or with credentials
 * the seller already has (connectChannel).
 */
import { useEffect, useState } from "preact/hooks";
import { gql, userErrorText } from "../api";
import { t } from "../i18n";
import { Card, ErrorBox, Field, mpName, useQuery } from "../ui";
import { navigate } from "../router";

const MARKETPLACES = ["SHOPEE", "LAZADA", "TIKTOK_SHOP", "TIKI"];
const STATE_KEY = "ocop.oauth.state";

/** Back from the marketplace: /console/?code=…&shop_id=…&state=… */
export function useOAuthCallback(): string | null {
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    const state = params.get("state") ?? localStorage.getItem(STATE_KEY);
    if (!params.has("code") || !state) return;
    const callbackParams = [...params.entries()].map(([name, value]) => ({ name, value }));
    // Drop the code from the address bar; replaceState fires no hashchange, so announce the route.
    history.replaceState(null, "", location.pathname + "#/channels");
    dispatchEvent(new HashChangeEvent("hashchange"));
    localStorage.removeItem(STATE_KEY);
    void gql(
      `mutation($p: [KeyValueInput!]!, $s: String!) { completeChannelAuthorization(callbackParams: $p, state: $s) {
         channel { id name } userErrors { field message } } }`,
      { p: callbackParams, s: state },
    )
      .then((r) => setMsg(userErrorText(r.completeChannelAuthorization.userErrors) ?? t("connected")))
      .catch((e) => setMsg((e as Error).message));
  }, []);
  return msg;
}

export function ConnectPage() {
  const me = useQuery(
    `{ me { producerIds } producers(first: 100) { nodes { id legalName } } }`,
    undefined,
    [],
  );
  const [producerId, setProducerId] = useState("");
  const [marketplace, setMarketplace] = useState("SHOPEE");
  const [f, setF] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const producers: any[] = me.data?.producers.nodes ?? [];
  const pid = producerId || producers[0]?.id || "";
  const set = (k: string) => (v: string) => setF({ ...f, [k]: v });

  const authorize = async () => {
    setErr(null);
    const r = await gql(
      `mutation($i: ChannelAuthorizationInput!) { channelAuthorizationUrl(input: $i) { url state userErrors { field message } } }`,
      {
        i: {
          producerId: pid,
          marketplace,
          name: f.name || undefined,
          redirectUri: `${location.origin}/console/`,
          ...(f.appKey ? { appKey: f.appKey, appSecret: f.appSecret } : {}),
          ...(f.baseUrl ? { baseUrl: f.baseUrl } : {}),
        },
      },
    ).catch((e) => ({ error: (e as Error).message }));
    if ("error" in r) return setErr(r.error);
    const p = r.channelAuthorizationUrl;
    const e = userErrorText(p.userErrors);
    if (e) return setErr(e);
    localStorage.setItem(STATE_KEY, p.state);
    location.href = p.url;
  };

  const connect = async () => {
    setErr(null);
    setMsg(null);
    try {
      const r = await gql(
        `mutation($i: ConnectChannelInput!) { connectChannel(input: $i) { channel { id name } userErrors { field message } } }`,
        {
          i: {
            producerId: pid,
            marketplace,
            name: f.name ?? "",
            shopId: f.shopId || undefined,
            baseUrl: f.baseUrl || undefined,
            appKey: f.appKey ?? "",
            appSecret: f.appSecret ?? "",
            accessToken: f.accessToken || undefined,
            refreshToken: f.refreshToken || undefined,
          },
        },
      );
      const e = userErrorText(r.connectChannel.userErrors);
      if (e) return setErr(e);
      setMsg(`${t("connected")}: ${r.connectChannel.channel.name}`);
      navigate("/channels");
    } catch (e) {
      setErr((e as Error).message);
    }
  };

  return (
    <div data-testid="connect-page">
      <h1>{t("connect")}</h1>
      <ErrorBox error={me.error} />
      <Card>
        <label class="field">
          <span>{t("chooseProducer")}</span>
          <select
            name="producer"
            value={pid}
            onChange={(e) => setProducerId((e.target as HTMLSelectElement).value)}
          >
            {producers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.legalName}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t("marketplace")}</span>
          <select
            name="marketplace"
            value={marketplace}
            onChange={(e) => setMarketplace((e.target as HTMLSelectElement).value)}
          >
            {MARKETPLACES.map((m) => (
              <option key={m} value={m}>
                {mpName(m)}
              </option>
            ))}
          </select>
        </label>
        <Field name="name" label={t("shopName")} value={f.name ?? ""} set={set("name")} />
        <Field
          name="baseUrl"
          label={`${t("baseUrl")} (sandbox)`}
          value={f.baseUrl ?? ""}
          set={set("baseUrl")}
        />
        <Field name="appKey" label={t("appKey")} value={f.appKey ?? ""} set={set("appKey")} />
        <Field
          name="appSecret"
          label={t("appSecret")}
          value={f.appSecret ?? ""}
          set={set("appSecret")}
          type="password"
        />
      </Card>
      <Card title={t("connectOAuth")}>
        <button class="primary" onClick={authorize} disabled={!pid} data-testid="authorize">
          {t("openAuthorize")}
        </button>
      </Card>
      <Card title={t("connectWithKeys")}>
        <Field name="shopId" label={t("shopId")} value={f.shopId ?? ""} set={set("shopId")} />
        <Field
          name="accessToken"
          label={t("accessToken")}
          value={f.accessToken ?? ""}
          set={set("accessToken")}
          type="password"
        />
        <Field
          name="refreshToken"
          label={t("refreshToken")}
          value={f.refreshToken ?? ""}
          set={set("refreshToken")}
          type="password"
        />
        <button onClick={connect} disabled={!pid} data-testid="connect-submit">
          {t("connect")}
        </button>
      </Card>
      <ErrorBox error={err} />
      {msg ? <p class="ok-text">{msg}</p> : null}
    </div>
  );
}

/** The console shell: login, navigation, language switch, and the page for the current route. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { gql, loadSession, login, loginWithKey, logout, userErrorText, whenSignedOut } from "./api";
import { Lang, lang, pick, setLang, t, fmtTime } from "./i18n";
import { navigate, useRoute } from "./router";
import { Badge, Card, ErrorBox, Field, useQuery } from "./ui";
import { ProductList, ProductPage } from "./pages/products";
import { PublishPage } from "./pages/publish";
import { ChannelsPage, DriftPage, FailuresPage, RunsPage } from "./pages/ops";
import { ChartsPage } from "./pages/charts";
import { ConnectPage, useOAuthCallback } from "./pages/connect";

function Login(p: { onDone: () => void }) {
  const [withKey, setWithKey] = useState(false);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const failure = withKey ? await loginWithKey(key) : await login(email.trim(), password);
    setBusy(false);
    if (failure) setErr(`${t("loginFailed")}: ${failure}`);
    else p.onDone();
  };
  return (
    <main class="login">
      <h1>{t("appName")}</h1>
      <form onSubmit={submit} data-testid="login-form">
        {withKey ? (
          <Field
            name="apiKey"
            label={t("apiKey")}
            type="password"
            autoComplete="off"
            value={key}
            set={setKey}
          />
        ) : (
          <>
            <Field
              name="email"
              label={t("email")}
              type="email"
              autoComplete="username"
              value={email}
              set={setEmail}
            />
            <Field
              name="password"
              label={t("password")}
              type="password"
              autoComplete="current-password"
              value={password}
              set={setPassword}
            />
          </>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {t("login")}
        </button>
        <button type="button" class="link" onClick={() => setWithKey(!withKey)}>
          {withKey ? t("usePassword") : t("useApiKey")}
        </button>
        <ErrorBox error={err} />
      </form>
    </main>
  );
}

const ALERTS = `{ alerts(first: 20, filter: { status: [OPEN] }) { nodes { id rule severity status messageVi messageEn raisedAt } } }`;

function Alerts() {
  const q = useQuery(ALERTS, undefined, [], 30_000);
  const [err, setErr] = useState<string | null>(null);
  // The alerts API may be absent on an older hub: then this panel stays empty.
  const nodes: any[] = q.data?.alerts?.nodes ?? [];
  if (nodes.length === 0) return null;
  const ack = async (id: string) => {
    const r = await gql(`mutation($id: ID!) { acknowledgeAlert(id: $id) { userErrors { field message } } }`, {
      id,
    }).catch((e) => ({ acknowledgeAlert: { userErrors: [{ message: (e as Error).message }] } }));
    setErr(userErrorText(r.acknowledgeAlert.userErrors));
    await q.reload();
  };
  return (
    <Card title={t("alerts")} testid="alerts">
      <ul class="plain">
        {nodes.map((a) => (
          <li key={a.id}>
            <Badge value={a.severity === "CRITICAL" ? "FAILED" : "PENDING"} label={a.severity} />{" "}
            {pick(a.messageVi, a.messageEn)} <span class="muted small">{fmtTime(a.raisedAt)}</span>{" "}
            <button onClick={() => ack(a.id)}>{t("ack")}</button>
          </li>
        ))}
      </ul>
      <ErrorBox error={err} />
    </Card>
  );
}

const NAV: Array<[string, Parameters<typeof t>[0]]> = [
  ["/products", "products"],
  ["/channels", "channels"],
  ["/runs", "runs"],
  ["/failures", "failures"],
  ["/drift", "drift"],
  ["/charts", "charts"],
];

function App() {
  const [signedIn, setSignedIn] = useState(loadSession() !== null);
  const [, setLangState] = useState<Lang>(lang.value);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [publishIds, setPublishIds] = useState<string[]>([]);
  const route = useRoute();
  const oauth = useOAuthCallback();
  useEffect(() => whenSignedOut(() => setSignedIn(false)), []);
  useEffect(() => {
    document.documentElement.lang = lang.value;
    document.body.dataset.ready = "1";
  });
  const switchLang = () => {
    setLang(lang.value === "vi" ? "en" : "vi");
    setLangState(lang.value);
  };
  const langButton = (
    <button class="link lang" data-testid="lang" onClick={switchLang}>
      {t("language")}
    </button>
  );
  if (!signedIn)
    return (
      <>
        <header class="top">{langButton}</header>
        <Login onDone={() => setSignedIn(true)} />
      </>
    );

  const [path, query] = route.split("?");
  const params = new URLSearchParams(query ?? "");
  let page;
  if (path.startsWith("/products/")) {
    page = (
      <ProductPage
        id={decodeURIComponent(path.slice("/products/".length))}
        onPublish={(ids) => {
          setPublishIds(ids);
          navigate("/publish");
        }}
      />
    );
  } else if (path === "/publish") {
    page = (
      <PublishPage
        productIds={publishIds.length ? publishIds : [...selected]}
        onQueued={() => setSelected(new Set())}
      />
    );
  } else if (path === "/channels") page = <ChannelsPage key={oauth ?? ""} />;
  else if (path === "/runs") page = <RunsPage ids={(params.get("ids") ?? "").split(",").filter(Boolean)} />;
  else if (path === "/failures") page = <FailuresPage />;
  else if (path === "/drift") page = <DriftPage />;
  else if (path === "/charts") page = <ChartsPage />;
  else if (path === "/connect") page = <ConnectPage />;
  else
    page = (
      <ProductList
        selected={selected}
        onSelect={(s) => {
          setSelected(s);
          setPublishIds([]);
        }}
      />
    );
  return (
    <>
      <header class="top">
        <b class="brand">{t("appName")}</b>
        <nav>
          {NAV.map(([href, key]) => (
            <a key={href} href={`#${href}`} class={path.startsWith(href) ? "active" : ""}>
              {t(key)}
            </a>
          ))}
        </nav>
        {langButton}
        <button
          class="link"
          onClick={async () => {
            await logout();
            setSignedIn(false);
          }}
        >
          {t("logout")}
        </button>
      </header>
      <main>
        {oauth ? (
          <p class="ok-text" data-testid="oauth-result">
            {oauth}
          </p>
        ) : null}
        <Alerts />
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);

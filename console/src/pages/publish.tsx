/** Publish: choose channels, preview (dry run) with per-field problems, then publish for real and watch the runs. */
import { useState } from "preact/hooks";
import { gql, userErrorText } from "../api";
import { fmtNum, pick, t } from "../i18n";
import { Badge, Card, ErrorBox, Loading, mpName, useQuery } from "../ui";
import { navigate } from "../router";

const CHANNELS = `{ channels(first: 100) { nodes { id name marketplace status producerId } } }`;
const PUBLISH = `mutation($i: PublishProductsInput!) { publishProducts(input: $i) {
  dryRun userErrors { field message }
  channels { channelId runId listingsQueued previews { productId ready title categoryName ocopStar images
    variants { sku priceVnd stock }
    problems { field code severity sku messageVi messageEn hintVi hintEn } } } } }`;

export function PublishPage(props: { productIds: string[]; onQueued: (runIds: string[]) => void }) {
  // The products chosen when the page opened; clearing the selection afterwards keeps the results.
  const [productIds] = useState(props.productIds);
  const p = { ...props, productIds };
  const ch = useQuery(CHANNELS, undefined, []);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<any>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const names = new Map<string, any>((ch.data?.channels.nodes ?? []).map((c: any) => [c.id, c]));

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setErr(null);
    try {
      const r = await gql(PUBLISH, { i: { productIds: p.productIds, channelIds: [...chosen], dryRun } });
      const e = userErrorText(r.publishProducts.userErrors);
      if (e) setErr(e);
      setResult(r.publishProducts);
      if (!dryRun) {
        const runIds = r.publishProducts.channels.map((c: any) => c.runId).filter(Boolean);
        if (runIds.length) p.onQueued(runIds);
      }
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (p.productIds.length === 0)
    return (
      <p>
        <a href="#/products">← {t("products")}</a>
      </p>
    );
  return (
    <div data-testid="publish-page">
      <h1>{t("publish")}</h1>
      <p class="muted">
        {p.productIds.length} {t("found")}
      </p>
      <Card title={t("chooseChannels")}>
        {ch.loading && !ch.data ? <Loading /> : null}
        <ErrorBox error={ch.error} />
        <div class="checks">
          {(ch.data?.channels.nodes ?? [])
            .filter((c: any) => c.status === "ACTIVE")
            .map((c: any) => (
              <label key={c.id} class="check">
                <input
                  type="checkbox"
                  name="channel"
                  value={c.id}
                  checked={chosen.has(c.id)}
                  onChange={() => {
                    const s = new Set(chosen);
                    if (s.has(c.id)) s.delete(c.id);
                    else s.add(c.id);
                    setChosen(s);
                    setResult(null);
                  }}
                />
                {mpName(c.marketplace)} · {c.name}
              </label>
            ))}
        </div>
        <div class="actions">
          <button disabled={busy || chosen.size === 0} onClick={() => run(true)} data-testid="preview">
            {t("preview")}
          </button>
          <button
            class="primary"
            disabled={busy || chosen.size === 0 || !result?.dryRun}
            onClick={() => run(false)}
            data-testid="publish-now"
          >
            {t("publishNow")}
          </button>
        </div>
        <ErrorBox error={err} />
      </Card>
      {result ? (
        <div data-testid={result.dryRun ? "preview-result" : "publish-result"}>
          {result.channels.map((c: any) => (
            <Card
              key={c.channelId}
              title={`${mpName(names.get(c.channelId)?.marketplace ?? "")} · ${names.get(c.channelId)?.name ?? ""}`}
            >
              {!result.dryRun ? (
                <p class="ok-text" data-testid="queued">
                  {t("queued")}: {fmtNum(c.listingsQueued)}
                  {c.runId ? (
                    <>
                      {" "}
                      · <a href={`#/runs?ids=${c.runId}`}>{t("watchRuns")}</a>
                    </>
                  ) : null}
                </p>
              ) : null}
              {c.previews.map((v: any) => (
                <div
                  key={v.productId}
                  class="preview"
                  data-testid="preview-item"
                  data-ready={String(v.ready)}
                >
                  <h3>
                    {v.title}{" "}
                    <Badge value={v.ready ? "LIVE" : "FAILED"} label={v.ready ? t("ready") : t("notReady")} />
                  </h3>
                  <p class="muted small">
                    {v.categoryName ?? "—"} {v.ocopStar ? `· OCOP ${"★".repeat(v.ocopStar)}` : ""} ·{" "}
                    {v.variants.map((x: any) => `${x.sku}: ${fmtNum(x.priceVnd)}đ × ${x.stock}`).join(", ")}
                  </p>
                  {v.problems.length ? (
                    <table class="responsive problems">
                      <thead>
                        <tr>
                          <th>{t("field")}</th>
                          <th>{t("problems")}</th>
                          <th>{t("hint")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {v.problems.map((x: any, i: number) => (
                          <tr
                            key={i}
                            data-testid="problem"
                            data-code={x.code}
                            class={x.severity === "ERROR" ? "sev-error" : "sev-warn"}
                          >
                            <td data-label={t("field")}>
                              <code>{x.field}</code>
                            </td>
                            <td data-label={t("problems")}>{pick(x.messageVi, x.messageEn)}</td>
                            <td data-label={t("hint")}>{pick(x.hintVi, x.hintEn)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : null}
                </div>
              ))}
            </Card>
          ))}
          {!result.dryRun ? (
            <button
              onClick={() =>
                navigate(
                  `/runs?ids=${result.channels
                    .map((c: any) => c.runId)
                    .filter(Boolean)
                    .join(",")}`,
                )
              }
            >
              {t("watchRuns")}
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

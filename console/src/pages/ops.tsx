/** Ops pages: channel health, live sync runs, failures by code with retry, stock drift and queue depth. */
import { useState } from "preact/hooks";
import { gql, userErrorText } from "../api";
import { fmtDuration, fmtNum, fmtTime, pick, t } from "../i18n";
import { Badge, Card, ErrorBox, Loading, mpName, useQuery, useTick } from "../ui";

const HEALTH = `{ channels(first: 100) { nodes { id name marketplace status shopId accessExpiresAt refreshExpiresAt
    lastAuthError lastSuccess { kind at } listingCounts { state count } } }
  consoleStats(days: 1) { channels { channelId applied failed errorRate pendingListings oldestPendingAt } } }`;

/** A ticking countdown: seconds shown under a day. */
function countdownText(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s >= 86400) return fmtDuration(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m ${pad(s % 60)}s`;
}

function Countdown(p: { until: string | null }) {
  const now = useTick(1000);
  if (!p.until) return <span>—</span>;
  const ms = new Date(p.until).getTime() - now;
  return ms <= 0 ? (
    <span class="bad-text">{t("expired")}</span>
  ) : (
    <span class={ms < 7 * 86400_000 ? "warn-text" : ""} data-testid="token-countdown">
      {countdownText(ms)}
    </span>
  );
}

export function ChannelsPage() {
  const q = useQuery(HEALTH, undefined, [], 10_000);
  const now = useTick(5000);
  if (q.loading && !q.data) return <Loading />;
  const stats = new Map<string, any>((q.data?.consoleStats.channels ?? []).map((c: any) => [c.channelId, c]));
  return (
    <div data-testid="channels-page">
      <h1>{t("channels")}</h1>
      <p>
        <a href="#/connect">+ {t("connect")}</a>
      </p>
      <ErrorBox error={q.error} />
      <div class="grid">
        {(q.data?.channels.nodes ?? []).map((c: any) => {
          const s = stats.get(c.id);
          return (
            <Card
              key={c.id}
              testid="channel-card"
              title={
                <>
                  {mpName(c.marketplace)} · {c.name}
                </>
              }
            >
              <p>
                <Badge value={c.status} label={c.status === "NEEDS_REAUTH" ? t("needsReauth") : c.status} />{" "}
                <span class="muted small">shop {c.shopId ?? "—"}</span>
              </p>
              {c.status === "NEEDS_REAUTH" && c.lastAuthError ? (
                <p class="error small">{c.lastAuthError}</p>
              ) : null}
              <dl class="kv">
                <dt>{t("tokenExpiry")}</dt>
                <dd>
                  <Countdown until={c.accessExpiresAt} />
                </dd>
                <dt>{t("errorRate")} (24h)</dt>
                <dd data-testid="error-rate">
                  {s ? `${(s.errorRate * 100).toFixed(1)}% (${s.failed}/${s.applied + s.failed})` : "—"}
                </dd>
                <dt>{t("lag")}</dt>
                <dd>
                  {s?.oldestPendingAt
                    ? `${fmtDuration(now - new Date(s.oldestPendingAt).getTime())} · ${s.pendingListings} ${t("pending").toLowerCase()}`
                    : "0"}
                </dd>
                <dt>{t("lastSuccess")}</dt>
                <dd>
                  {c.lastSuccess.length === 0 ? "—" : null}
                  {c.lastSuccess.map((k: any) => (
                    <div key={k.kind} class="small">
                      {k.kind}: {fmtTime(k.at)} ({fmtDuration(now - new Date(k.at).getTime())})
                    </div>
                  ))}
                </dd>
                <dt>{t("listings")}</dt>
                <dd>
                  {c.listingCounts.map((l: any) => (
                    <Badge key={l.state} value={l.state} label={`${l.state} ${l.count}`} />
                  ))}
                </dd>
              </dl>
            </Card>
          );
        })}
      </div>
    </div>
  );
}

const RUN_FIELDS = `id channelId kind trigger status outcome dryRun total applied failed skipped queuedAt startedAt finishedAt durationMs errorCode errorMessage retryOf`;

function RunRow(p: { r: any; channels: Map<string, any> }) {
  const r = p.r;
  const done = r.applied + r.failed + r.skipped;
  const pct = r.total ? Math.round((done / r.total) * 100) : r.status === "FINISHED" ? 100 : 0;
  const ch = p.channels.get(r.channelId);
  return (
    <li
      class="run"
      data-testid="run"
      data-id={r.id}
      data-trigger={r.trigger}
      data-status={r.status}
      data-outcome={r.outcome ?? ""}
    >
      <div>
        <b>{r.kind}</b> <span class="muted small">{r.trigger}</span>{" "}
        {ch ? `· ${mpName(ch.marketplace)} · ${ch.name}` : ""} <Badge value={r.status} />{" "}
        <Badge value={r.outcome} />
        {r.dryRun ? <Badge value="PLANNED" label="dry run" /> : null}
      </div>
      <progress max={100} value={pct} aria-label={t("progress")} />
      <div class="small muted">
        {t("applied")} {r.applied} · {t("failed")} {r.failed} · {t("skipped")} {r.skipped} / {t("total")}{" "}
        {r.total} · {fmtTime(r.startedAt ?? r.queuedAt)}
        {r.durationMs !== null ? ` · ${fmtDuration(r.durationMs)}` : ""}
      </div>
      {r.errorMessage ? <div class="error small">{r.errorMessage}</div> : null}
    </li>
  );
}

export function RunsPage(p: { ids: string[] }) {
  const query = p.ids.length
    ? `{ ${p.ids.map((id, i) => `r${i}: syncRun(id: ${JSON.stringify(id)}) { ${RUN_FIELDS} }`).join(" ")}
         channels(first: 100) { nodes { id name marketplace } } }`
    : `{ syncRuns(first: 30) { nodes { ${RUN_FIELDS} } } channels(first: 100) { nodes { id name marketplace } } }`;
  // Live progress: poll every 2 s while the page is open.
  const q = useQuery(query, undefined, [p.ids.join(",")], 2000);
  if (q.loading && !q.data) return <Loading />;
  const channels = new Map<string, any>((q.data?.channels.nodes ?? []).map((c: any) => [c.id, c]));
  const runs: any[] = p.ids.length
    ? p.ids.map((_, i) => q.data?.[`r${i}`]).filter(Boolean)
    : (q.data?.syncRuns.nodes ?? []);
  return (
    <div data-testid="runs-page">
      <h1>{t("runs")}</h1>
      {p.ids.length ? (
        <p>
          <a href="#/runs">{t("all")}</a>
        </p>
      ) : null}
      <ErrorBox error={q.error} />
      <ul class="plain runs">
        {runs.map((r) => (
          <RunRow key={r.id} r={r} channels={channels} />
        ))}
      </ul>
    </div>
  );
}

const FAILURES = `{ consoleStats(days: 7) { failures { code count messageVi messageEn hintVi hintEn
  items { id runId channelId marketplace sku kind createdAt wholeRun } } } }`;

export function FailuresPage() {
  const q = useQuery(FAILURES, undefined, [], 5000);
  const [msg, setMsg] = useState<Record<string, string>>({});
  const retry = async (g: any) => {
    // One retry per run: the failed items given, or the whole run when it failed before any item.
    const byRun = new Map<string, string[] | null>();
    for (const i of g.items) byRun.set(i.runId, i.wholeRun ? null : [...(byRun.get(i.runId) ?? []), i.id]);
    const out: string[] = [];
    for (const [runId, itemIds] of byRun) {
      try {
        const r = await gql(
          `mutation($r: ID!, $i: [ID!]) { retrySyncItems(runId: $r, itemIds: $i) { run { id } userErrors { field message } } }`,
          { r: runId, i: itemIds },
        );
        const e = userErrorText(r.retrySyncItems.userErrors);
        out.push(e ?? `${t("retried")} (${itemIds?.length ?? 1} ${t("items")})`);
      } catch (e) {
        out.push((e as Error).message);
      }
    }
    setMsg({ ...msg, [g.code]: out.join("; ") });
    await q.reload();
  };
  if (q.loading && !q.data) return <Loading />;
  const groups: any[] = q.data?.consoleStats.failures ?? [];
  return (
    <div data-testid="failures-page">
      <h1>{t("failures")}</h1>
      <ErrorBox error={q.error} />
      {groups.length === 0 ? <p class="muted">{t("noFailures")}</p> : null}
      {Object.entries(msg)
        .filter(([code]) => !groups.some((g) => g.code === code))
        .map(([code, m]) => (
          <p key={code} class="ok-text" data-testid="retry-result">
            {code}: {m}
          </p>
        ))}
      {groups.map((g) => (
        <Card
          key={g.code}
          testid="failure-group"
          title={
            <>
              <code>{g.code}</code> · {fmtNum(g.count)} {t("items")}
            </>
          }
        >
          <p data-testid="explanation">
            <b>{t("explanation")}:</b> {pick(g.messageVi, g.messageEn)}
          </p>
          {g.hintVi || g.hintEn ? (
            <p>
              <b>{t("hint")}:</b> {pick(g.hintVi, g.hintEn)}
            </p>
          ) : null}
          <ul class="plain small">
            {g.items.map((i: any) => (
              <li key={i.id}>
                {mpName(i.marketplace)} · {i.kind} · {i.sku ?? "—"} · {fmtTime(i.createdAt)}
              </li>
            ))}
          </ul>
          <button class="primary" data-testid="retry" onClick={() => retry(g)}>
            {t("retry")}
          </button>
          {msg[g.code] ? (
            <p class="ok-text" data-testid="retry-result">
              {msg[g.code]}
            </p>
          ) : null}
        </Card>
      ))}
    </div>
  );
}

const DRIFT = `{ syncRuns(first: 5, filter: { kind: RECONCILE }) { nodes { id channelId finishedAt
    items(first: 40) { nodes { sku kind code status valueJson messageVi messageEn } } } }
  channels(first: 100) { nodes { id name marketplace } }
  consoleStats(days: 1) { queues { queue waiting active oldestWaitingAt } } }`;

export function DriftPage() {
  const q = useQuery(DRIFT, undefined, [], 10_000);
  const now = useTick(5000);
  if (q.loading && !q.data) return <Loading />;
  const channels = new Map<string, any>((q.data?.channels.nodes ?? []).map((c: any) => [c.id, c]));
  const rows = (q.data?.syncRuns.nodes ?? []).flatMap((r: any) =>
    r.items.nodes.filter((i: any) => /_DRIFT$/.test(i.code ?? "")).map((i: any) => ({ ...i, run: r })),
  );
  const queues = q.data?.consoleStats.queues;
  return (
    <div data-testid="drift-page">
      <h1>{t("drift")}</h1>
      <ErrorBox error={q.error} />
      <Card title={t("driftFound")}>
        {rows.length === 0 ? <p class="muted">{t("none")}</p> : null}
        <table class="responsive">
          <thead>
            <tr>
              <th>{t("channels")}</th>
              <th>{t("sku")}</th>
              <th>{t("kind")}</th>
              <th>{t("remote")}</th>
              <th>{t("desired")}</th>
              <th>{t("finished")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i: any, n: number) => {
              const v = JSON.parse(i.valueJson ?? "{}");
              const ch = channels.get(i.run.channelId);
              return (
                <tr key={n} data-testid="drift-row">
                  <td data-label={t("channels")}>{ch ? `${mpName(ch.marketplace)} · ${ch.name}` : "—"}</td>
                  <td data-label={t("sku")}>{i.sku}</td>
                  <td data-label={t("kind")}>{i.kind}</td>
                  <td data-label={t("remote")}>{fmtNum(v.remote)}</td>
                  <td data-label={t("desired")}>{fmtNum(v.desired)}</td>
                  <td data-label={t("finished")}>{fmtTime(i.run.finishedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
      <Card title={t("queueDepth")} testid="queues">
        {q.data && (queues === null || queues === undefined) ? <p class="muted">{t("queueHidden")}</p> : null}
        {queues?.length === 0 ? <p class="muted">{t("none")}</p> : null}
        <ul class="plain">
          {(queues ?? []).map((x: any) => (
            <li key={x.queue}>
              <code>{x.queue}</code>: {t("waiting")} {x.waiting} · {t("active")} {x.active}
              {x.oldestWaitingAt ? ` · ${fmtDuration(now - new Date(x.oldestWaitingAt).getTime())}` : ""}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

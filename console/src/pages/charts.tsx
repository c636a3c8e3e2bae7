/** Charts: orders and sync throughput per marketplace over time, error rate per channel, propagation latency. */
import { BarChart, LineChart, PALETTE } from "../charts";
import { t } from "../i18n";
import { Card, ErrorBox, Loading, mpName, useQuery } from "../ui";

const STATS = `{ consoleStats(days: 7) { since bucketSeconds
  series { metric marketplace points { at value } }
  channels { channelId name marketplace applied failed errorRate }
  propagation { at count p50Ms p95Ms } } }`;

export function ChartsPage() {
  const q = useQuery(STATS, undefined, [], 30_000);
  if (q.loading && !q.data) return <Loading />;
  const s = q.data?.consoleStats;
  if (!s) return <ErrorBox error={q.error} />;
  const color = (m: string) =>
    PALETTE[["SHOPEE", "LAZADA", "TIKTOK_SHOP", "TIKI"].indexOf(m) % PALETTE.length] ?? PALETTE[4];
  const lines = (metric: string) =>
    s.series
      .filter((x: any) => x.metric === metric)
      .map((x: any) => ({ name: mpName(x.marketplace), color: color(x.marketplace), points: x.points }));
  return (
    <div data-testid="charts-page">
      <h1>
        {t("charts")} <span class="muted small">· {t("lastDays")}</span>
      </h1>
      <ErrorBox error={q.error} />
      <div class="grid">
        <Card title={t("ordersOverTime")}>
          <LineChart
            testid="chart-orders"
            series={lines("orders")}
            since={s.since}
            bucketSeconds={s.bucketSeconds}
          />
        </Card>
        <Card title={t("syncThroughput")}>
          <LineChart
            testid="chart-sync"
            series={lines("syncApplied")}
            since={s.since}
            bucketSeconds={s.bucketSeconds}
          />
        </Card>
        <Card title={t("errorRatePerChannel")}>
          <BarChart
            testid="chart-errors"
            max={1}
            bars={s.channels.map((c: any) => ({
              label: `${mpName(c.marketplace)} · ${c.name}`,
              value: c.errorRate,
              text: `${(c.errorRate * 100).toFixed(1)}%`,
              tone: c.errorRate > 0.05 ? "bad" : "ok",
            }))}
          />
        </Card>
        <Card title={t("propagationLatency")}>
          <LineChart
            testid="chart-latency"
            format={(v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}s` : `${Math.round(v)}ms`)}
            since={s.since}
            bucketSeconds={s.bucketSeconds}
            series={
              s.propagation.length
                ? [
                    {
                      name: "p50",
                      color: PALETTE[1],
                      points: s.propagation.map((x: any) => ({ at: x.at, value: x.p50Ms })),
                    },
                    {
                      name: "p95",
                      color: PALETTE[0],
                      points: s.propagation.map((x: any) => ({ at: x.at, value: x.p95Ms })),
                    },
                  ]
                : []
            }
          />
        </Card>
      </div>
    </div>
  );
}

/** Inline SVG charts: a multi-series line chart over time and a horizontal bar chart. No chart library. */
import { t } from "./i18n";

export interface LineSeries {
  name: string;
  color: string;
  points: Array<{ at: string; value: number }>;
}

export const PALETTE = ["#e4572e", "#1f7a8c", "#6a4c93", "#2a9d8f", "#f3a712", "#3d5a80"];

const W = 600;
const H = 220;
const PAD = { l: 44, r: 10, t: 10, b: 28 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const n = v / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

export function LineChart(p: {
  series: LineSeries[];
  since: string;
  bucketSeconds: number;
  /** Axis label for a value (default: the number). */
  format?: (v: number) => string;
  testid?: string;
}) {
  const start = new Date(p.since).getTime();
  const end = Date.now();
  const all = p.series.flatMap((s) => s.points);
  if (all.length === 0) return <p class="muted">{t("noData")}</p>;
  const max = niceMax(Math.max(...all.map((x) => x.value)));
  const x = (at: string) =>
    Math.min(
      W - PAD.r,
      PAD.l +
        ((new Date(at).getTime() + (p.bucketSeconds * 1000) / 2 - start) / (end - start)) *
          (W - PAD.l - PAD.r),
    );
  const y = (v: number) => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
  const ticks = [0, max / 2, max];
  const days = Math.round((end - start) / 86400_000);
  const labels = Array.from(
    { length: Math.min(days, 7) + 1 },
    (_, i) => start + (i * (end - start)) / Math.min(days || 1, 7),
  );
  return (
    <figure class="chart" data-testid={p.testid}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" preserveAspectRatio="none">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} class="grid" />
            <text x={PAD.l - 4} y={y(v) + 4} text-anchor="end" class="axis">
              {p.format ? p.format(v) : String(Number.isInteger(v) ? v : v.toFixed(1))}
            </text>
          </g>
        ))}
        {labels.map((ms, i) => (
          <text
            key={ms}
            x={PAD.l + ((ms - start) / (end - start)) * (W - PAD.l - PAD.r)}
            y={H - 8}
            text-anchor={i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle"}
            class="axis"
          >
            {new Date(ms).toLocaleDateString("vi-VN", {
              day: "2-digit",
              month: "2-digit",
              timeZone: "Asia/Ho_Chi_Minh",
            })}
          </text>
        ))}
        {p.series.map((s) => {
          const pts = [...s.points].sort((a, b) => a.at.localeCompare(b.at));
          return (
            <g key={s.name}>
              <polyline
                fill="none"
                stroke={s.color}
                stroke-width="2"
                points={pts.map((q) => `${x(q.at)},${y(q.value)}`).join(" ")}
              />
              {pts.map((q) => (
                <circle key={q.at} cx={x(q.at)} cy={y(q.value)} r="3" fill={s.color}>
                  <title>{`${s.name}: ${q.value}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        {p.series.map((s) => (
          <span key={s.name}>
            <i style={{ background: s.color }} />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function BarChart(p: {
  bars: Array<{ label: string; value: number; text: string; tone?: "bad" | "ok" }>;
  max?: number;
  testid?: string;
}) {
  if (p.bars.length === 0) return <p class="muted">{t("noData")}</p>;
  const max = p.max ?? Math.max(...p.bars.map((b) => b.value), 1e-9);
  return (
    <div class="bars" data-testid={p.testid}>
      {p.bars.map((b) => (
        <div class="bar-row" key={b.label}>
          <span class="bar-label">{b.label}</span>
          <svg viewBox="0 0 100 10" preserveAspectRatio="none" class="bar">
            <rect x="0" y="0" width="100" height="10" class="bar-bg" />
            <rect
              x="0"
              y="0"
              width={Math.max(0, (b.value / max) * 100)}
              height="10"
              class={`bar-fg ${b.tone ?? ""}`}
            />
          </svg>
          <span class="bar-value">{b.text}</span>
        </div>
      ))}
    </div>
  );
}

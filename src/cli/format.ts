/** Text helpers for the CLI's tables and summaries. */
import { t } from "./i18n";

/** "850 ms", "12.3 s", "4 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${min} min ${String(s).padStart(2, "0")} s`;
}

/** A span in its two largest units: "12d 3h", "5h 20m", "42m", "30s". */
export function formatSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

/** Countdown to an expiry: "in 12d 3h", "EXPIRED", "-" when unknown. */
export function countdown(at: string | null, now: number): string {
  if (!at) return "-";
  const left = Date.parse(at) - now;
  return left <= 0 ? t("expired") : t("inTime", { d: formatSpan(left) });
}

/** "5m ago", or "never". */
export function since(at: string | null | undefined, now: number): string {
  if (!at) return t("never");
  return t("ago", { d: formatSpan(now - Date.parse(at)) });
}

/** Display width, counting combining marks as zero (Vietnamese text is NFC, but be safe). */
function width(text: string): number {
  return [...text.normalize("NFC")].filter((c) => !/\p{M}/u.test(c)).length;
}

/** A plain-text table with left-aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c))))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Small shared pieces: a data hook with optional polling, status badges, messages. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { gql } from "./api";
import { t } from "./i18n";

export interface QueryState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads `query` now and whenever `deps` change; with `pollMs`, again every pollMs while shown. */
export function useQuery<T = any>(
  query: string | null,
  variables: Record<string, unknown> | undefined,
  deps: unknown[],
  pollMs?: number,
): QueryState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const varsRef = useRef(variables);
  varsRef.current = variables;
  const run = useCallback(async () => {
    if (!query) return;
    const mine = ++seq.current;
    try {
      const d = await gql<T>(query, varsRef.current);
      if (mine === seq.current) {
        setData(d);
        setError(null);
      }
    } catch (e) {
      if (mine === seq.current) setError((e as Error).message);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [query, ...deps]);
  useEffect(() => {
    setLoading(true);
    void run();
    if (!pollMs) return;
    const timer = setInterval(() => void run(), pollMs);
    return () => clearInterval(timer);
  }, [run, pollMs]);
  return { data, error, loading, reload: run };
}

/** Re-renders every `ms` (countdowns). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

const TONE: Record<string, string> = {
  LIVE: "ok",
  ACTIVE: "ok",
  APPLIED: "ok",
  SUCCEEDED: "ok",
  FINISHED: "ok",
  PENDING: "warn",
  QUEUED: "warn",
  RUNNING: "info",
  RETRYING: "warn",
  PAUSED: "warn",
  EXPIRING: "warn",
  PARTIAL: "warn",
  DRAFT: "muted",
  DELISTED: "muted",
  SKIPPED: "muted",
  PLANNED: "muted",
  SUPERSEDED: "muted",
  FAILED: "bad",
  EXPIRED: "bad",
  REVOKED: "bad",
  NEEDS_REAUTH: "bad",
  DISCONNECTED: "muted",
};

export function Badge(p: { value: string | null | undefined; label?: string }) {
  if (!p.value) return null;
  return <span class={`badge ${TONE[p.value] ?? "muted"}`}>{p.label ?? p.value}</span>;
}

export function Loading() {
  return <p class="muted">{t("loading")}</p>;
}

export function ErrorBox(p: { error: string | null | undefined }) {
  return p.error ? (
    <p class="error" role="alert">
      {p.error}
    </p>
  ) : null;
}

export function Card(p: { title?: ComponentChildren; children: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={p.testid}>
      {p.title ? <h2>{p.title}</h2> : null}
      {p.children}
    </section>
  );
}

export const MARKETPLACE_NAMES: Record<string, string> = {
  SHOPEE: "Shopee",
  LAZADA: "Lazada",
  TIKTOK_SHOP: "TikTok Shop",
  TIKI: "Tiki",
};
export const mpName = (m: string) => MARKETPLACE_NAMES[m] ?? m;

/** A labelled text input (login, connect forms). */
export function Field(p: {
  name: string;
  label: string;
  value: string;
  set: (v: string) => void;
  type?: string;
  autoComplete?: string;
}) {
  return (
    <label class="field">
      <span>{p.label}</span>
      <input
        name={p.name}
        type={(p.type ?? "text") as "text"}
        autoComplete={p.autoComplete}
        value={p.value}
        onInput={(e) => p.set((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

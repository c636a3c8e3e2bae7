/**
 * Starts and ends sale windows on time. Every worker process runs a ticker (every second by
 * default); each tick, in one transaction, flips the occurrences that are due (SCHEDULED → RUNNING
 * at starts_at, RUNNING → ENDED at ends_at), marks the affected listings dirty and updates the
 * campaigns' states. Rows are taken with FOR UPDATE SKIP LOCKED and flipped by state, so with any
 * number of processes each start and each end happens once, and its listings are touched once; the
 * NOTIFY at commit wakes the outbox, which pushes the sale (or normal) prices.
 *
 * A second loop drives native promotions (campaign-promotions.ts), so marketplace calls never hold
 * up a flip.
 * Time comes from the runtime's Clock, so tests move time by hand. An occurrence missed entirely
 * (the hub was down for the whole window) is ended without touching anything: it never took effect.
 */
import type { EntityManager } from "typeorm";
import type { Logger } from "../common/logger";
import type { Clock } from "../common/time";
import type { SyncRuntime } from "../sync/runtime";
import { touchCampaignListings } from "./campaign-effect";
import { syncPromotions, type PromotionSyncResult } from "./campaign-promotions";

export interface TickResult {
  started: number;
  ended: number;
  /** Listings marked dirty (price + stock). */
  touched: number;
  promotions?: PromotionSyncResult;
}

export interface CampaignTickerOptions {
  /** Period of the ticks, ms. Default 1,000: a window opens and closes within about a second. */
  everyMs?: number;
  log?: Logger;
  /** What "now" is for windows; the runtime's clock by default (tests move a ManualClock). */
  clock?: Clock;
}

export class CampaignTicker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly running = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(
    private readonly rt: SyncRuntime,
    private readonly o: CampaignTickerOptions = {},
  ) {
    this.log = o.log ?? rt.log;
  }

  /**
   * Two loops: flips, and native promotions. Separate, so slow marketplace calls never delay a
   * window's start or end.
   */
  start(): void {
    this.loop("campaign tick failed", () => this.flip());
    this.loop("campaign promotion sync failed", () => syncPromotions(this.rt, this.now()));
  }

  private loop(failure: string, work: () => Promise<unknown>): void {
    const next = () => {
      if (this.stopped) return;
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        const p = work().catch((err) => this.log.error({ err }, failure));
        this.running.add(p);
        await p;
        this.running.delete(p);
        next();
      }, this.o.everyMs ?? 1_000);
      this.timers.add(timer);
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.running]);
  }

  private now(): Date {
    return (this.o.clock ?? this.rt.clock).now();
  }

  /** A flip, then the promotion sync: what the two loops do, in one call (tests, scripts). */
  async tick(): Promise<TickResult> {
    const result = await this.flip();
    const promotions = await syncPromotions(this.rt, this.now());
    if (promotions.scheduled || promotions.ended || promotions.fellBack)
      this.log.info({ ...promotions }, "campaign promotions synced");
    return { ...result, promotions };
  }

  /** Starts and ends what is due at the clock's time; safe to run concurrently in any number of processes. */
  async flip(): Promise<TickResult> {
    const now = this.now();
    const result = await this.rt.ds.transaction(async (m) => {
      const started: Array<{ campaign_id: string }> = await m.query(
        `WITH flipped AS (UPDATE campaign_occurrence SET state = 'RUNNING', started_at = now()
          WHERE id IN (SELECT id FROM campaign_occurrence
                        WHERE state = 'SCHEDULED' AND starts_at <= $1 AND ends_at > $1
                        FOR UPDATE SKIP LOCKED)
          RETURNING campaign_id)
         SELECT campaign_id FROM flipped`,
        [now],
      );
      const ended: Array<{ campaign_id: string }> = await m.query(
        `WITH flipped AS (UPDATE campaign_occurrence SET state = 'ENDED', ended_at = now()
          WHERE id IN (SELECT id FROM campaign_occurrence WHERE state = 'RUNNING' AND ends_at <= $1
                        FOR UPDATE SKIP LOCKED)
          RETURNING campaign_id)
         SELECT campaign_id FROM flipped`,
        [now],
      );
      const missed: Array<{ campaign_id: string }> = await m.query(
        `WITH flipped AS (UPDATE campaign_occurrence SET state = 'ENDED'
          WHERE id IN (SELECT id FROM campaign_occurrence WHERE state = 'SCHEDULED' AND ends_at <= $1
                        FOR UPDATE SKIP LOCKED)
          RETURNING campaign_id)
         SELECT campaign_id FROM flipped`,
        [now],
      );
      // The marketplace ended its own promotions at their end time.
      await m.query(
        `UPDATE campaign_promotion SET state = 'ENDED', updated_at = now() WHERE state = 'SCHEDULED' AND ends_at <= $1`,
        [now],
      );
      const effective = [...new Set([...started, ...ended].map((r) => r.campaign_id))];
      const touched = await touchCampaignListings(m, effective);
      await refreshStates(m, [...new Set([...effective, ...missed.map((r) => r.campaign_id)])]);
      return { started: started.length, ended: ended.length, touched: touched.price + touched.stock };
    });
    if (result.started || result.ended)
      this.log.info({ ...result, at: now.toISOString() }, "campaign windows flipped");
    return result;
  }
}

/** A campaign is RUNNING while an occurrence runs, ENDED when none is left, else SCHEDULED. */
async function refreshStates(m: EntityManager, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // In id order, so two ticks touching the same campaigns cannot deadlock.
  await m.query(`SELECT id FROM campaign WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
  await m.query(
    `UPDATE campaign k
        SET state = CASE
              WHEN EXISTS (SELECT 1 FROM campaign_occurrence o WHERE o.campaign_id = k.id AND o.state = 'RUNNING') THEN 'RUNNING'
              WHEN EXISTS (SELECT 1 FROM campaign_occurrence o WHERE o.campaign_id = k.id AND o.state = 'SCHEDULED') THEN 'SCHEDULED'
              ELSE 'ENDED' END,
            updated_at = now()
      WHERE k.id = ANY($1::uuid[]) AND k.state <> 'CANCELLED'`,
    [ids],
  );
}

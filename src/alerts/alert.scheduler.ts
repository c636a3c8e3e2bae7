/**
 * Runs the alert rules on a schedule (node-cron, Asia/Ho_Chi_Minh; every minute by default, or
 * HUB_ALERTS_CRON). Every worker process runs the same task; the tick key (`alerts:<minute>`)
 * makes one of them evaluate each tick (see evaluateAlerts).
 */
import cron, { type ScheduledTask } from "node-cron";
import type { DataSource } from "typeorm";
import type { Logger } from "../common/logger";
import { VN_TIME_ZONE } from "../common/time";
import { evaluateAlerts, EvaluationResult } from "./alert.service";
import type { AlertThresholds } from "./rules";

export interface AlertSchedulerOptions {
  /** Cron expression; default HUB_ALERTS_CRON or every minute. */
  cron?: string;
  thresholds?: Partial<AlertThresholds>;
  log: Logger;
}

/** Seconds precision for 6-field crons, minutes otherwise (as the sync scheduler's tick keys). */
export function alertTickKey(expr: string, at: Date): string {
  const unitMs = expr.trim().split(/\s+/).length >= 6 ? 1_000 : 60_000;
  return `alerts:${new Date(Math.floor(at.getTime() / unitMs) * unitMs).toISOString()}`;
}

export class AlertScheduler {
  private task: ScheduledTask | null = null;
  private readonly expr: string;
  /** Evaluations this process ran (the other ticks were owned by another process). */
  evaluations = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly o: AlertSchedulerOptions,
  ) {
    this.expr = o.cron ?? process.env.HUB_ALERTS_CRON ?? "* * * * *";
    if (!cron.validate(this.expr))
      throw new Error(`HUB_ALERTS_CRON="${this.expr}" is not a valid cron expression`);
  }

  start(): void {
    this.task = cron.schedule(
      this.expr,
      (ctx) => void this.tick(ctx.date).catch((err) => this.o.log.error({ err }, "alert evaluation failed")),
      { timezone: VN_TIME_ZONE, noOverlap: true, name: "alerts" },
    );
  }

  async tick(at: Date): Promise<EvaluationResult> {
    const r = await evaluateAlerts(this.ds, {
      tickKey: alertTickKey(this.expr, at),
      now: at,
      thresholds: this.o.thresholds,
      log: this.o.log,
    });
    if (r.owned) this.evaluations++;
    return r;
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
  }
}

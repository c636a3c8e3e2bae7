/**
 * The scheduled side of OCOP claims: every worker polls (default every 2 s, one cheap query) whether
 * the Vietnamese day changed since the last run or certificates were written, and if so runs
 * OcopClaimsService.refresh(). Expiry happens at 00:00 Asia/Ho_Chi_Minh, so the claim disappears
 * within one poll of that instant plus the outbox push. Several workers may poll at once: the
 * refresh takes an advisory lock (the others skip) and compares against stored state, so each
 * change is recorded and pushed once. The clock is the runtime's (injectable).
 *
 * A second loop of the job follows content edits a marketplace reviews (Tiki; content-reviews.ts),
 * every `reviewPollMs`: an expired claim's product hidden for the review is shown again once Tiki
 * approves the corrected content.
 */
import type { Logger } from "../common/logger";
import type { Clock } from "../common/time";
import type { DataSource } from "typeorm";
import { OcopClaimsService, RefreshResult } from "./claims.service";
import { ContentReviewFollower, type FollowResult } from "./content-reviews";
import type { SyncRuntime } from "../sync/runtime";
import type { JobQueue } from "../sync/jobs";

export interface ClaimsJobOptions {
  /** Where the follow-up queues the publish of a product whose creation the marketplace approved. */
  queue?: JobQueue | null;
  /** Poll period, ms. Default 2,000. */
  pollMs?: number;
  /** Period of the reviewed-content follow-up (Tiki tracking), ms. Default 5,000. */
  reviewPollMs?: number;
  log?: Logger;
}

export class OcopClaimsJob {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<unknown> | null = null;
  private readonly log: Logger | undefined;
  readonly service: OcopClaimsService;
  /** Null when built without a full sync runtime (no connectors to ask). */
  readonly reviews: ContentReviewFollower | null;
  private lastFollow = 0;
  private followTimer: NodeJS.Timeout | null = null;
  private following: Promise<unknown> | null = null;
  /** Runs this process performed (others were skipped or had nothing to do), for tests and ops. */
  runs = 0;

  constructor(
    rt: SyncRuntime | { ds: DataSource; clock: Clock; log?: Logger },
    private readonly o: ClaimsJobOptions = {},
  ) {
    this.log = o.log ?? rt.log;
    this.service = new OcopClaimsService(rt.ds, rt.clock, this.log);
    this.reviews = "connectors" in rt ? new ContentReviewFollower(rt, o.queue ?? null) : null;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        this.running = this.tick().catch((err) => this.log?.error({ err }, "OCOP claims run failed"));
        await this.running;
        this.running = null;
        loop();
      }, this.o.pollMs ?? 2_000);
    };
    loop();
    // Its own loop: many pending Tiki reviews (one tracking call each) must not delay expiry detection.
    const follow = () => {
      if (this.stopped || !this.reviews) return;
      this.followTimer = setTimeout(async () => {
        this.following = this.followReviews(true).catch((err) =>
          this.log?.error({ err }, "content review follow-up failed"),
        );
        await this.following;
        this.following = null;
        follow();
      }, this.o.reviewPollMs ?? 5_000);
    };
    follow();
  }

  /** One poll: runs the refresh when something may have changed; null when there was nothing to do. */
  async tick(): Promise<RefreshResult | null> {
    if (!(await this.service.due())) return null;
    const r = await this.service.refresh();
    if (r.ran) this.runs++;
    return r;
  }

  /** Follows reviewed content edits when `reviewPollMs` has passed since the last time; null otherwise. */
  async followReviews(force = false): Promise<FollowResult | null> {
    if (!this.reviews) return null;
    const now = Date.now();
    if (!force && now - this.lastFollow < (this.o.reviewPollMs ?? 5_000)) return null;
    this.lastFollow = now;
    return this.reviews.followAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.followTimer) clearTimeout(this.followTimer);
    await this.running;
    await this.following;
  }
}

/**
 * Sale windows of a producer: create (or preview), read, cancel. Validation and tenancy live here;
 * the ticker (campaign-ticker.ts) starts and ends occurrences, and desired-state applies them.
 *
 * Overlaps: one variant on one channel has at most one sale price at a time. Creation takes a
 * per-producer advisory lock for its transaction (a campaign's channels and variants all belong to
 * its producer), so two concurrent creations cannot both pass the overlap check.
 */
import type { EntityManager } from "typeorm";
import type { SyncRuntime } from "../sync/runtime";
import { Scope, Viewer, assertCanWriteProducer, canSeeProducer, producerFilter } from "../auth/viewer";
import { UserErrors, UserErrorSpec } from "../common/errors";
import { MAX_UNIT_PRICE_VND } from "../common/money";
import { nfc } from "../common/text";
import type { PageWindow } from "../common/graphql/relay";
import { channelPrice, settingsOf } from "../channels/channel-settings";
import type { MarketplaceCode } from "../channels/channel.entity";
import {
  ApplyMethod,
  ApplyPlan,
  CampaignPricing,
  CampaignState,
  MAX_OCCURRENCES,
  WeeklyRecurrence,
  Window,
  applyPlan,
  campaignPrice,
  occurrencesOf,
  previewWarnings,
  recurrenceProblems,
  type PreviewWarning,
} from "./campaign-rules";
import { LISTING_LIMITS } from "../sync/preflight";
import { touchCampaignListings } from "./campaign-effect";

export type DiscountKind = "PERCENT" | "AMOUNT";

export interface CampaignVariantInput {
  variantId: string;
  salePriceVnd?: number | null;
  reservedUnits?: number | null;
}

export interface CampaignInput {
  producerId: string;
  name: string;
  channelIds: string[];
  variants: CampaignVariantInput[];
  /** PERCENT: basis points (2,000 = 20 %); AMOUNT: whole đồng off the channel's normal price. */
  discount?: { kind: DiscountKind; value: number } | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  recurrence?: WeeklyRecurrence | null;
}

export interface CampaignRow {
  id: string;
  producerId: string;
  name: string;
  state: CampaignState;
  pricing: CampaignPricing;
  discountValue: number | null;
  recurrence: WeeklyRecurrence | null;
  startsAt: Date;
  endsAt: Date;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  channels: Array<{ channelId: string; name: string; marketplace: MarketplaceCode; method: ApplyMethod }>;
  variants: Array<{ variantId: string; sku: string; salePriceVnd: number | null; reservedUnits: number }>;
  occurrences: Array<{
    startsAt: Date;
    endsAt: Date;
    state: CampaignState;
    startedAt: Date | null;
    endedAt: Date | null;
  }>;
}

export interface PreviewRow {
  channelId: string;
  channelName: string;
  marketplace: MarketplaceCode;
  variantId: string;
  sku: string;
  /** What the channel shows outside the window (catalogue price through its price rule, today). */
  normalPriceVnd: number | null;
  salePriceVnd: number | null;
  method: ApplyMethod;
  reasonVi: string;
  reasonEn: string;
  /** Whether the variant has a listing on this channel (without one, nothing is pushed). */
  listed: boolean;
  reservedUnits: number;
  warnings: PreviewWarning[];
}

export interface CreateResult {
  campaign: CampaignRow | null;
  occurrences: Window[];
  preview: PreviewRow[];
}

export interface CampaignFilter {
  producerId?: string | null;
  state?: CampaignState | null;
}

const MAX_CHANNELS = 20;
const MAX_VARIANTS = 5_000;
const MAX_DISCOUNT_BASIS_POINTS = 9_900;

const NONE = "00000000-0000-0000-0000-000000000000";

/** What a CAMPAIGN_STATE refusal says was attempted. */
const ACTIONS = {
  cancel: { actionVi: "hủy", actionEn: "be cancelled" },
  update: { actionVi: "sửa khi đã có buổi bắt đầu", actionEn: "be changed once an occurrence has started" },
};

interface CampaignDbRow {
  id: string;
  producer_id: string;
  name: string;
  state: CampaignState;
  pricing: CampaignPricing;
  discount_value: number | null;
  recurrence: WeeklyRecurrence | null;
  starts_at: Date;
  ends_at: Date;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** An instant as Vietnam wall-clock text for messages ("2026-11-27 20:30"). */
function vnText(at: Date): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
}

export class CampaignService {
  constructor(private readonly rt: SyncRuntime) {}

  // ---------- create / preview ----------

  create(viewer: Viewer, input: CampaignInput, dryRun: boolean): Promise<CreateResult> {
    return this.save(viewer, input, dryRun, null);
  }

  /**
   * Replaces a campaign's definition (name, channels, variants, pricing, window) while none of its
   * occurrences has started; the producer stays the same.
   */
  async update(
    viewer: Viewer,
    id: string,
    input: Omit<CampaignInput, "producerId">,
    dryRun: boolean,
  ): Promise<CreateResult> {
    const [c] = await this.rt.ds.query(`SELECT producer_id FROM campaign WHERE id = $1`, [id]);
    if (!c || !canSeeProducer(viewer, c.producer_id))
      throw UserErrors.one("id", "NOT_FOUND", { entity: "campaign", id });
    return this.save(viewer, { ...input, producerId: c.producer_id }, dryRun, id);
  }

  private async save(
    viewer: Viewer,
    input: CampaignInput,
    dryRun: boolean,
    existingId: string | null,
  ): Promise<CreateResult> {
    assertCanWriteProducer(viewer, input.producerId);
    const errors: UserErrorSpec[] = [];
    const name = nfc(input.name ?? "").trim();
    if (!name) errors.push({ field: "name", code: "REQUIRED" });
    else if (name.length > 200) errors.push({ field: "name", code: "TOO_LONG", params: { max: 200 } });

    // Pricing: a sale price for every variant, or one discount rule.
    const withPrice = input.variants.filter((v) => v.salePriceVnd !== null && v.salePriceVnd !== undefined);
    const discount = input.discount ?? null;
    let pricing: CampaignPricing = "SALE_PRICES";
    if (discount) {
      pricing = discount.kind === "PERCENT" ? "PERCENT_OFF" : "AMOUNT_OFF";
      if (withPrice.length > 0) errors.push({ field: "discount", code: "CAMPAIGN_PRICING" });
      const max = discount.kind === "PERCENT" ? MAX_DISCOUNT_BASIS_POINTS : MAX_UNIT_PRICE_VND;
      if (!Number.isInteger(discount.value) || discount.value <= 0)
        errors.push({ field: "discount.value", code: "MUST_BE_POSITIVE" });
      else if (discount.value > max)
        errors.push({ field: "discount.value", code: "OUT_OF_RANGE", params: { min: 1, max } });
    } else if (withPrice.length !== input.variants.length) {
      input.variants.forEach((v, i) => {
        if (v.salePriceVnd === null || v.salePriceVnd === undefined)
          errors.push({ field: `variants.${i}.salePriceVnd`, code: "CAMPAIGN_PRICING" });
      });
    }
    input.variants.forEach((v, i) => {
      const p = v.salePriceVnd;
      if (p !== null && p !== undefined) {
        if (!Number.isInteger(p) || p <= 0)
          errors.push({ field: `variants.${i}.salePriceVnd`, code: "MUST_BE_POSITIVE" });
        else if (p > MAX_UNIT_PRICE_VND)
          errors.push({
            field: `variants.${i}.salePriceVnd`,
            code: "INVALID_MONEY",
            params: { max: MAX_UNIT_PRICE_VND },
          });
      }
      const r = v.reservedUnits ?? 0;
      if (!Number.isInteger(r) || r < 0 || r > 1_000_000)
        errors.push({
          field: `variants.${i}.reservedUnits`,
          code: "OUT_OF_RANGE",
          params: { min: 0, max: 1_000_000 },
        });
    });
    if (input.variants.length === 0) errors.push({ field: "variants", code: "EMPTY_LIST" });
    if (input.variants.length > MAX_VARIANTS)
      errors.push({ field: "variants", code: "OUT_OF_RANGE", params: { min: 1, max: MAX_VARIANTS } });
    if (new Set(input.variants.map((v) => v.variantId)).size !== input.variants.length)
      errors.push({ field: "variants", code: "DUPLICATE", params: { value: "variantId" } });
    if (input.channelIds.length === 0) errors.push({ field: "channelIds", code: "EMPTY_LIST" });
    if (new Set(input.channelIds).size !== input.channelIds.length)
      errors.push({ field: "channelIds", code: "DUPLICATE", params: { value: "channelId" } });
    if (input.channelIds.length > MAX_CHANNELS)
      errors.push({ field: "channelIds", code: "OUT_OF_RANGE", params: { min: 1, max: MAX_CHANNELS } });

    const windows = this.windowsOf(input, errors);
    if (errors.length) throw new UserErrors(errors);

    // Channels and variants must be the producer's own; "not found" either way (no probing).
    const channels: Array<{
      id: string;
      name: string;
      marketplace: MarketplaceCode;
      settings: Record<string, unknown> | null;
    }> = await this.rt.ds.query(
      `SELECT id, name, marketplace, settings FROM channel
        WHERE id = ANY($1::uuid[]) AND producer_id = $2 AND status <> 'DISCONNECTED'`,
      [input.channelIds, input.producerId],
    );
    const channelById = new Map(channels.map((c) => [c.id, c]));
    input.channelIds.forEach((id, i) => {
      if (!channelById.has(id))
        errors.push({ field: `channelIds.${i}`, code: "NOT_FOUND", params: { entity: "channel", id } });
    });
    const variants: Array<{ id: string; sku: string; price_vnd: number | null }> = await this.rt.ds.query(
      `SELECT id, sku, price_vnd FROM variant WHERE id = ANY($1::uuid[]) AND producer_id = $2`,
      [input.variants.map((v) => v.variantId), input.producerId],
    );
    const variantById = new Map(variants.map((v) => [v.id, v]));
    input.variants.forEach((v, i) => {
      if (!variantById.has(v.variantId))
        errors.push({
          field: `variants.${i}.variantId`,
          code: "NOT_FOUND",
          params: { entity: "variant", id: v.variantId },
        });
    });
    if (errors.length) throw new UserErrors(errors);

    const targets = input.channelIds.map((id) => channelById.get(id)!);
    const plans = new Map(targets.map((c) => [c.id, this.planFor(c.marketplace, windows)]));
    const preview = await this.preview(input, pricing, discount?.value ?? null, targets, variantById, plans);
    const native = targets.filter((c) => plans.get(c.id)!.method === "NATIVE_PROMOTION").map((c) => c.id);
    const run = async (m: EntityManager): Promise<CampaignRow | null> => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `campaign:${input.producerId}`,
      ]);
      if (existingId) await this.assertNotStarted(m, existingId);
      await this.assertNoOverlap(m, input, windows, existingId ?? NONE);
      if (dryRun) return null;
      const first = windows[0].startsAt;
      const last = windows.reduce((a, w) => (w.endsAt > a ? w.endsAt : a), windows[0].endsAt);
      const values = [
        input.producerId,
        name,
        pricing,
        discount?.value ?? null,
        input.recurrence ? JSON.stringify(input.recurrence) : null,
        first,
        last,
      ];
      let id: string;
      if (existingId) {
        id = existingId;
        await m.query(
          `UPDATE campaign SET name = $2, pricing = $3, discount_value = $4, recurrence = $5, starts_at = $6,
                  ends_at = $7, updated_at = now()
            WHERE id = $8 AND producer_id = $1`,
          [...values, id],
        );
        // Promotions already on the marketplace are removed from it (the ticker's promotion sync).
        await m.query(
          `UPDATE campaign_promotion
              SET state = CASE WHEN external_id IS NULL THEN 'ENDED' ELSE 'CANCELLING' END, updated_at = now()
            WHERE campaign_id = $1 AND state IN ('PENDING', 'SCHEDULED')`,
          [id],
        );
        for (const t of ["campaign_channel", "campaign_variant", "campaign_occurrence"])
          await m.query(`DELETE FROM ${t} WHERE campaign_id = $1`, [id]);
      } else {
        const [c] = await m.query(
          `INSERT INTO campaign (producer_id, name, pricing, discount_value, recurrence, starts_at, ends_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
          [...values, viewer.actor],
        );
        id = c.id;
      }
      await m.query(
        `INSERT INTO campaign_channel (campaign_id, channel_id, method)
         SELECT $1, c, CASE WHEN c = ANY($3::uuid[]) THEN 'NATIVE_PROMOTION' ELSE 'PRICE_ADJUST' END
           FROM unnest($2::uuid[]) AS c`,
        [id, input.channelIds, native],
      );
      await m.query(
        `INSERT INTO campaign_variant (campaign_id, variant_id, sale_price_vnd, reserved_units)
         SELECT $1, v, p, r FROM unnest($2::uuid[], $3::int[], $4::int[]) AS t(v, p, r)`,
        [
          id,
          input.variants.map((v) => v.variantId),
          input.variants.map((v) => v.salePriceVnd ?? null),
          input.variants.map((v) => v.reservedUnits ?? 0),
        ],
      );
      await m.query(
        `INSERT INTO campaign_occurrence (campaign_id, starts_at, ends_at)
         SELECT $1, s, e FROM unnest($2::timestamptz[], $3::timestamptz[]) AS t(s, e)`,
        [id, windows.map((w) => w.startsAt), windows.map((w) => w.endsAt)],
      );
      if (native.length > 0)
        await m.query(
          `INSERT INTO campaign_promotion (campaign_id, occurrence_id, channel_id, starts_at, ends_at)
           SELECT o.campaign_id, o.id, c, o.starts_at, o.ends_at
             FROM campaign_occurrence o, unnest($2::uuid[]) AS c WHERE o.campaign_id = $1`,
          [id, native],
        );
      return (await this.load(m, [id]))[0];
    };
    // A dry run takes the same lock and overlap check, and writes nothing.
    const campaign = await this.rt.ds.transaction(run);
    return { campaign, occurrences: windows, preview };
  }

  /**
   * Locks the campaign's occurrences, then the campaign (the ticker's order), and refuses a campaign
   * that is no longer SCHEDULED or whose first occurrence has already started.
   */
  private async assertNotStarted(m: EntityManager, id: string): Promise<void> {
    const occ: Array<{ state: CampaignState }> = await m.query(
      `SELECT state FROM campaign_occurrence WHERE campaign_id = $1 ORDER BY id FOR UPDATE`,
      [id],
    );
    const [c] = await m.query(`SELECT state FROM campaign WHERE id = $1 FOR UPDATE`, [id]);
    const started = occ.find((o) => o.state !== "SCHEDULED");
    if (c.state !== "SCHEDULED" || started)
      throw UserErrors.one("id", "CAMPAIGN_STATE", { state: c.state, ...ACTIONS.update });
  }

  /** The occurrences of the input's window, validated; problems are added to `errors`. */
  private windowsOf(input: CampaignInput, errors: UserErrorSpec[]): Window[] {
    const now = this.rt.clock.now();
    const single = input.startsAt || input.endsAt;
    if (!!single === !!input.recurrence) {
      errors.push({ field: "", code: "CAMPAIGN_WINDOW_REQUIRED" });
      return [];
    }
    if (input.recurrence) {
      const r = input.recurrence;
      const problems = recurrenceProblems(r);
      for (const p of problems) {
        const field = `recurrence.${p.field}`;
        if (p.problem === "FORMAT")
          errors.push({
            field,
            code: "INVALID_FORMAT",
            params: { hint: p.field.endsWith("Time") ? "HH:MM" : "YYYY-MM-DD" },
          });
        else if (p.problem === "ORDER") errors.push({ field, code: "WINDOW_END_BEFORE_START" });
        else
          errors.push({
            field,
            code: "OUT_OF_RANGE",
            params: p.field === "weekdays" ? { min: 1, max: 7 } : { min: 0, max: 366 },
          });
      }
      if (problems.length) return [];
      const list = occurrencesOf(r, now);
      if (list.length === 0) errors.push({ field: "recurrence", code: "RECURRENCE_EMPTY" });
      if (list.length > MAX_OCCURRENCES)
        errors.push({
          field: "recurrence",
          code: "OUT_OF_RANGE",
          params: { min: 1, max: MAX_OCCURRENCES },
        });
      return list;
    }
    if (!input.startsAt) errors.push({ field: "startsAt", code: "REQUIRED" });
    if (!input.endsAt) errors.push({ field: "endsAt", code: "REQUIRED" });
    if (!input.startsAt || !input.endsAt) return [];
    const before = errors.length;
    if (input.startsAt.getTime() <= now.getTime()) errors.push({ field: "startsAt", code: "WINDOW_IN_PAST" });
    if (input.endsAt.getTime() <= input.startsAt.getTime())
      errors.push({ field: "endsAt", code: "WINDOW_END_BEFORE_START" });
    else if (input.endsAt.getTime() - input.startsAt.getTime() > 366 * 86_400_000)
      errors.push({ field: "endsAt", code: "OUT_OF_RANGE", params: { min: 0, max: "366 days" } });
    return errors.length > before ? [] : [{ startsAt: input.startsAt, endsAt: input.endsAt }];
  }

  /** Refuses the first overlap with another live campaign on a shared variant and channel. */
  private async assertNoOverlap(
    m: EntityManager,
    input: CampaignInput,
    windows: Window[],
    exceptId: string = NONE,
  ): Promise<void> {
    const [hit] = await m.query(
      `SELECT k.id, k.name, v.id AS variant_id, v.sku, ch.name AS channel, o.starts_at
         FROM campaign k
         JOIN campaign_occurrence o ON o.campaign_id = k.id AND o.state IN ('SCHEDULED', 'RUNNING')
         JOIN campaign_channel cc ON cc.campaign_id = k.id AND cc.channel_id = ANY($2::uuid[])
         JOIN campaign_variant cv ON cv.campaign_id = k.id AND cv.variant_id = ANY($3::uuid[])
         JOIN channel ch ON ch.id = cc.channel_id
         JOIN variant v ON v.id = cv.variant_id
         JOIN unnest($4::timestamptz[], $5::timestamptz[]) AS n(s, e) ON o.starts_at < n.e AND n.s < o.ends_at
        WHERE k.producer_id = $1 AND k.state IN ('SCHEDULED', 'RUNNING') AND k.id <> $6
        ORDER BY o.starts_at LIMIT 1`,
      [
        input.producerId,
        input.channelIds,
        input.variants.map((v) => v.variantId),
        windows.map((w) => w.startsAt),
        windows.map((w) => w.endsAt),
        exceptId,
      ],
    );
    if (!hit) return;
    const i = input.variants.findIndex((v) => v.variantId === hit.variant_id);
    throw UserErrors.one(`variants.${i}.variantId`, "CAMPAIGN_OVERLAP", {
      name: hit.name,
      id: hit.id,
      sku: hit.sku,
      channel: hit.channel,
      at: vnText(hit.starts_at),
    });
  }

  /** How a channel of this marketplace gets the sale price for these windows. */
  private planFor(marketplace: MarketplaceCode, windows: Window[]): ApplyPlan {
    const c = this.rt.connectors[marketplace];
    return applyPlan(marketplace, {
      supported: c.capabilities.has("promotion") && !!c.schedulePromotion,
      windows,
      now: this.rt.clock.now(),
    });
  }

  /** Per channel × variant: normal price today, sale price, and how the marketplace gets it. */
  private async preview(
    input: CampaignInput,
    pricing: CampaignPricing,
    discountValue: number | null,
    channels: Array<{
      id: string;
      name: string;
      marketplace: MarketplaceCode;
      settings: Record<string, unknown> | null;
    }>,
    variantById: Map<string, { id: string; sku: string; price_vnd: number | null }>,
    plans: Map<string, ApplyPlan>,
  ): Promise<PreviewRow[]> {
    const listed: Array<{ channel_id: string; variant_id: string }> = await this.rt.ds.query(
      `SELECT channel_id, variant_id FROM listing
        WHERE channel_id = ANY($1::uuid[]) AND variant_id = ANY($2::uuid[]) AND state <> 'DELISTED'`,
      [channels.map((c) => c.id), input.variants.map((v) => v.variantId)],
    );
    const has = new Set(listed.map((l) => `${l.channel_id}:${l.variant_id}`));
    const out: PreviewRow[] = [];
    for (const c of channels) {
      const rule = settingsOf(c.settings).priceRule;
      const plan = plans.get(c.id)!;
      for (const v of input.variants) {
        const variant = variantById.get(v.variantId)!;
        const normal = channelPrice(variant.price_vnd, rule);
        const sale = campaignPrice(
          normal,
          { pricing, discountValue, salePriceVnd: v.salePriceVnd ?? null },
          rule,
        );
        const listedHere = has.has(`${c.id}:${v.variantId}`);
        out.push({
          channelId: c.id,
          channelName: c.name,
          marketplace: c.marketplace,
          variantId: v.variantId,
          sku: variant.sku,
          normalPriceVnd: normal,
          salePriceVnd: sale,
          method: plan.method,
          reasonVi: plan.reasonVi,
          reasonEn: plan.reasonEn,
          listed: listedHere,
          reservedUnits: v.reservedUnits ?? 0,
          warnings: previewWarnings({
            listed: listedHere,
            normalPriceVnd: normal,
            salePriceVnd: sale,
            limits: LISTING_LIMITS[c.marketplace],
          }),
        });
      }
    }
    return out;
  }

  // ---------- cancel ----------

  /**
   * Cancels every occurrence not yet ended. A running one ends now: its listings are marked dirty
   * in this transaction, so the normal prices (and released stock) are pushed at once.
   */
  async cancel(viewer: Viewer, id: string): Promise<CampaignRow> {
    return this.rt.ds.transaction(async (m) => {
      const [seen] = await m.query(`SELECT producer_id FROM campaign WHERE id = $1`, [id]);
      if (!seen || !canSeeProducer(viewer, seen.producer_id))
        throw UserErrors.one("id", "NOT_FOUND", { entity: "campaign", id });
      assertCanWriteProducer(viewer, seen.producer_id);
      // Occurrences first, then the campaign: the ticker locks in the same order (no deadlock).
      const occ: Array<{ id: string; state: CampaignState }> = await m.query(
        `SELECT id, state FROM campaign_occurrence WHERE campaign_id = $1 AND state IN ('SCHEDULED', 'RUNNING')
          ORDER BY id FOR UPDATE`,
        [id],
      );
      const [c] = await m.query(`SELECT state FROM campaign WHERE id = $1 FOR UPDATE`, [id]);
      if (c.state === "ENDED" || c.state === "CANCELLED")
        throw UserErrors.one("id", "CAMPAIGN_STATE", { state: c.state, ...ACTIONS.cancel });
      await m.query(
        `UPDATE campaign_occurrence SET state = 'CANCELLED', ended_at = CASE WHEN state = 'RUNNING' THEN now() END
          WHERE id = ANY($1::bigint[])`,
        [occ.map((o) => o.id)],
      );
      if (occ.some((o) => o.state === "RUNNING")) await touchCampaignListings(m, [id]);
      // A promotion scheduled on the marketplace is ended (or deleted) there by the promotion sync.
      await m.query(
        `UPDATE campaign_promotion
            SET state = CASE WHEN external_id IS NULL THEN 'ENDED' ELSE 'CANCELLING' END, updated_at = now()
          WHERE occurrence_id = ANY($1::bigint[]) AND state IN ('PENDING', 'SCHEDULED')`,
        [occ.map((o) => o.id)],
      );
      await m.query(
        `UPDATE campaign SET state = 'CANCELLED', cancelled_at = now(), updated_at = now() WHERE id = $1`,
        [id],
      );
      return (await this.load(m, [id]))[0];
    });
  }

  // ---------- read ----------

  async get(viewer: Viewer, id: string): Promise<CampaignRow | null> {
    const [row] = await this.load(this.rt.ds.manager, [id]);
    return row && canSeeProducer(viewer, row.producerId) ? row : null;
  }

  private where(viewer: Viewer, filter: CampaignFilter): { where: string; params: unknown[] } {
    const params: unknown[] = [];
    const conds: string[] = [];
    const scope = producerFilter(viewer, Scope.READ_CATALOGUE);
    if (scope !== null) {
      params.push(scope);
      conds.push(`producer_id = ANY($${params.length}::uuid[])`);
    }
    if (filter.producerId) {
      params.push(filter.producerId);
      conds.push(`producer_id = $${params.length}`);
    }
    if (filter.state) {
      params.push(filter.state);
      conds.push(`state = $${params.length}`);
    }
    return { where: conds.length ? `WHERE ${conds.join(" AND ")}` : "", params };
  }

  async list(viewer: Viewer, filter: CampaignFilter, win: PageWindow): Promise<CampaignRow[]> {
    const { where, params } = this.where(viewer, filter);
    const ids: Array<{ id: string }> = await this.rt.ds.query(
      `SELECT id FROM campaign ${where} ORDER BY starts_at DESC, id
       OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, win.offset, win.limit + 1],
    );
    return this.load(
      this.rt.ds.manager,
      ids.map((r) => r.id),
    );
  }

  async count(viewer: Viewer, filter: CampaignFilter): Promise<number> {
    const { where, params } = this.where(viewer, filter);
    const [r] = await this.rt.ds.query(`SELECT count(*)::int AS n FROM campaign ${where}`, params);
    return r.n;
  }

  /** Campaigns with their channels, variants and occurrences, in the order of `ids`. */
  private async load(m: EntityManager, ids: string[]): Promise<CampaignRow[]> {
    if (ids.length === 0) return [];
    const rows: CampaignDbRow[] = await m.query(`SELECT * FROM campaign WHERE id = ANY($1::uuid[])`, [ids]);
    const channels: Array<{
      campaign_id: string;
      id: string;
      name: string;
      marketplace: MarketplaceCode;
      method: ApplyMethod;
    }> = await m.query(
      `SELECT cc.campaign_id, c.id, c.name, c.marketplace, cc.method FROM campaign_channel cc
           JOIN channel c ON c.id = cc.channel_id WHERE cc.campaign_id = ANY($1::uuid[]) ORDER BY c.name, c.id`,
      [ids],
    );
    const variants: Array<{
      campaign_id: string;
      variant_id: string;
      sku: string;
      sale_price_vnd: number | null;
      reserved_units: number;
    }> = await m.query(
      `SELECT cv.campaign_id, cv.variant_id, v.sku, cv.sale_price_vnd, cv.reserved_units FROM campaign_variant cv
         JOIN variant v ON v.id = cv.variant_id WHERE cv.campaign_id = ANY($1::uuid[]) ORDER BY v.sku`,
      [ids],
    );
    const occurrences: Array<{
      campaign_id: string;
      starts_at: Date;
      ends_at: Date;
      state: CampaignState;
      started_at: Date | null;
      ended_at: Date | null;
    }> = await m.query(
      `SELECT campaign_id, starts_at, ends_at, state, started_at, ended_at FROM campaign_occurrence
        WHERE campaign_id = ANY($1::uuid[]) ORDER BY starts_at`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const channelsOf = groupBy(channels, (c) => c.campaign_id);
    const variantsOf = groupBy(variants, (v) => v.campaign_id);
    const occurrencesById = groupBy(occurrences, (o) => o.campaign_id);
    return ids
      .filter((id) => byId.has(id))
      .map((id) => {
        const r = byId.get(id)!;
        return {
          id: r.id,
          producerId: r.producer_id,
          name: r.name,
          state: r.state,
          pricing: r.pricing,
          discountValue: r.discount_value,
          recurrence: r.recurrence,
          startsAt: r.starts_at,
          endsAt: r.ends_at,
          cancelledAt: r.cancelled_at,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          channels: (channelsOf.get(id) ?? []).map((c) => ({
            channelId: c.id,
            name: c.name,
            marketplace: c.marketplace,
            method: c.method,
          })),
          variants: (variantsOf.get(id) ?? []).map((v) => ({
            variantId: v.variant_id,
            sku: v.sku,
            salePriceVnd: v.sale_price_vnd,
            reservedUnits: v.reserved_units,
          })),
          occurrences: (occurrencesById.get(id) ?? []).map((o) => ({
            startsAt: o.starts_at,
            endsAt: o.ends_at,
            state: o.state,
            startedAt: o.started_at,
            endedAt: o.ended_at,
          })),
        };
      });
  }
}

/**
 * Catalogue writes: producers, products, variants, stock and certifications. Each method validates
 * its input, checks the caller's rights, and runs in one transaction; expected failures are thrown
 * as UserErrors (rendered as `userErrors`), nothing is half-applied.
 */
import { DataSource, EntityManager, In } from "typeorm";
import { UserErrors, UserErrorSpec } from "../common/errors";
import { cleanName, nfc, searchKey, slugify } from "../common/text";
import { validateInput } from "../common/validation";
import { Clock, vnToday } from "../common/time";
import { idOf, toGlobalId } from "../common/graphql/global-id";
import { writeAuditEntry } from "../audit/audit.service";
import {
  Viewer,
  assertAdmin,
  assertCanWriteProducer,
  canSeeProducer,
  canWriteCatalogue,
} from "../auth/viewer";
import { ForbiddenError } from "../common/errors";
import { Producer } from "./entities/producer.entity";
import { Product, ProductStatus } from "./entities/product.entity";
import { Variant } from "./entities/variant.entity";
import { StockMovementKind } from "./entities/stock.entity";
import { OcopCertification } from "./entities/ocop-certification.entity";
import {
  AddressInput,
  CreateProducerInput,
  CreateProductInput,
  RecordCertificationInput,
  UpdateProducerInput,
  UpdateProductInput,
  VariantInput,
} from "./graphql/catalogue.inputs";
import {
  ValidityBasis,
  categoryOfProductSet,
  producerTypeFromName,
  scoreMatchesStar,
  starForScore,
  validityOf,
} from "./ocop";
import { applyStockChange, createStockLevel, priorChange } from "./stock.service";
import { isIsoDate } from "../common/time";
import { findProvince, resolveCurrent } from "./address/address.lookup";

async function check(input: object): Promise<void> {
  const errors = await validateInput(input);
  if (errors.length) throw new UserErrors(errors);
}

function notFound(field: string, entity: string, id?: string): UserErrors {
  return UserErrors.one(field, "NOT_FOUND", { entity, id });
}

const isUniqueViolation = (e: unknown, constraint?: string) =>
  (e as { code?: string }).code === "23505" &&
  (!constraint || (e as { constraint?: string }).constraint === constraint);

/** The refusal stored for a referenced stock change, thrown again (see recordRefusal). */
async function throwStoredRefusal(
  m: EntityManager,
  variantId: string,
  kind: string,
  reference: string,
): Promise<void> {
  const [r]: Array<{ code: UserErrorSpec["code"]; field: string; params: UserErrorSpec["params"] }> =
    await m.query(
      `SELECT code, field, params FROM stock_refusal WHERE variant_id = $1 AND kind = $2 AND reference = $3`,
      [variantId, kind, reference],
    );
  if (r) throw UserErrors.one(r.field, r.code, r.params);
}

export class CatalogueService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  // ---------- producers ----------

  async createProducer(viewer: Viewer, input: CreateProducerInput): Promise<Producer> {
    assertAdmin(viewer);
    await check(input);
    const legalName = cleanName(input.legalName);
    if (!legalName) throw UserErrors.one("legalName", "REQUIRED", { label: "legalName" });
    const type = input.type ?? producerTypeFromName(legalName);
    if (!type) throw UserErrors.one("type", "REQUIRED", { label: "type" });
    const address = this.address(input.address ?? null);
    const organizationId = input.organizationId ? idOf("Organization", input.organizationId) : null;
    if (input.organizationId && !organizationId) throw notFound("organizationId", "tổ chức / organization");
    return this.ds.transaction(async (m) => {
      try {
        return await m.getRepository(Producer).save(
          m.getRepository(Producer).create({
            legalName,
            nameKey: searchKey(legalName),
            type,
            taxCode: input.taxCode ?? null,
            representative: input.representative ? cleanName(input.representative) : null,
            phone: input.phone ?? null,
            email: input.email ?? null,
            organizationId,
            ...address,
          }),
        );
      } catch (e) {
        if (isUniqueViolation(e)) {
          const field = (e as { constraint?: string }).constraint?.includes("tax") ? "taxCode" : "legalName";
          throw UserErrors.one(field, "DUPLICATE", {
            label: field,
            value: field === "taxCode" ? input.taxCode! : legalName,
          });
        }
        // A well-formed id of an organization that does not exist (found by the mutation fuzzer).
        if ((e as { code?: string }).code === "23503") {
          throw notFound("organizationId", "tổ chức / organization", input.organizationId!);
        }
        throw e;
      }
    });
  }

  async updateProducer(viewer: Viewer, input: UpdateProducerInput): Promise<Producer> {
    await check(input);
    const id = idOf("Producer", input.id);
    if (!id) throw notFound("id", "chủ thể / producer", input.id);
    return this.ds.transaction(async (m) => {
      const producer = await m
        .getRepository(Producer)
        .findOne({ where: { id }, lock: { mode: "pessimistic_write" } });
      if (!producer) throw notFound("id", "chủ thể / producer", input.id);
      assertCanWriteProducer(viewer, producer.id);
      if (input.legalName != null) {
        producer.legalName = cleanName(input.legalName);
        // Whitespace passes a length check but is no name.
        if (!producer.legalName) throw UserErrors.one("legalName", "REQUIRED", { label: "legalName" });
        producer.nameKey = searchKey(producer.legalName);
      }
      if (input.type != null) producer.type = input.type;
      if (input.taxCode !== undefined) producer.taxCode = input.taxCode;
      if (input.representative !== undefined)
        producer.representative = input.representative ? cleanName(input.representative) : null;
      if (input.phone !== undefined) producer.phone = input.phone;
      if (input.email !== undefined) producer.email = input.email;
      if (input.address !== undefined) Object.assign(producer, this.address(input.address));
      try {
        await m.getRepository(Producer).save(producer);
      } catch (e) {
        if (isUniqueViolation(e)) {
          const field = (e as { constraint?: string }).constraint?.includes("tax") ? "taxCode" : "legalName";
          throw UserErrors.one(field, "DUPLICATE", {
            label: field,
            value: field === "taxCode" ? (producer.taxCode ?? "") : producer.legalName,
          });
        }
        throw e;
      }
      if (input.legalName != null) {
        // The producer's name is part of each product's search key.
        const products = await m
          .getRepository(Product)
          .find({ where: { producerId: producer.id }, select: { id: true, name: true } });
        for (const p of products) {
          await m.query(`UPDATE product SET search_key = $2 WHERE id = $1`, [
            p.id,
            searchKey(p.name, producer.legalName),
          ]);
        }
      }
      return producer;
    });
  }

  /** Checks the current province/ward codes against the 2025 administrative units and fills their names. */
  private address(input: AddressInput | null): Partial<Producer> {
    if (!input)
      return { addressRaw: null, provinceCode: null, provinceName: null, wardCode: null, wardName: null };
    let provinceCode: string | null = null;
    let provinceName: string | null = null;
    let wardCode: string | null = null;
    let wardName: string | null = null;
    if (input.wardCode) {
      const found = resolveCurrent({ wardCode: input.wardCode });
      if (!found?.wardCode) throw notFound("address.wardCode", "xã/phường / ward", input.wardCode);
      if (input.provinceCode && input.provinceCode !== found.provinceCode) {
        throw UserErrors.one("address.wardCode", "INVALID_VALUE", {
          value: input.wardCode,
          label: "wardCode",
        });
      }
      ({ provinceCode, provinceName, wardCode, wardName } = found);
    } else if (input.provinceCode) {
      const province = findProvince(input.provinceCode);
      if (!province) throw notFound("address.provinceCode", "tỉnh/thành / province", input.provinceCode);
      provinceCode = province.code;
      provinceName = province.name;
    }
    return { addressRaw: nfc(input.raw), provinceCode, provinceName, wardCode, wardName };
  }

  // ---------- products and variants ----------

  async createProduct(viewer: Viewer, input: CreateProductInput): Promise<Product> {
    await check(input);
    const producerId = idOf("Producer", input.producerId);
    if (!producerId) throw notFound("producerId", "chủ thể / producer", input.producerId);
    assertCanWriteProducer(viewer, producerId);
    const category = input.category ?? (input.productSetNo ? categoryOfProductSet(input.productSetNo) : null);
    if (!category) throw UserErrors.one("category", "REQUIRED", { label: "category" });
    const setCategory = input.productSetNo ? categoryOfProductSet(input.productSetNo) : null;
    if (setCategory && setCategory !== category) {
      throw UserErrors.one("productSetNo", "INVALID_VALUE", {
        value: input.productSetNo!,
        label: "productSetNo",
      });
    }
    this.assertDistinctSkus(input.variants);
    return this.ds.transaction(async (m) => {
      const producer = await m.getRepository(Producer).findOneBy({ id: producerId });
      if (!producer) throw notFound("producerId", "chủ thể / producer", input.producerId);
      const name = cleanName(input.name);
      const product = await m.getRepository(Product).save(
        m.getRepository(Product).create({
          producerId,
          refCode: null,
          name,
          searchKey: searchKey(name, producer.legalName),
          slug: await this.freeSlug(m, producerId, slugify(name)),
          description: nfc(input.description ?? ""),
          story: nfc(input.story ?? ""),
          category,
          productSetNo: input.productSetNo ?? null,
          images: (input.images ?? []).map((i) => ({ url: i.url, ...(i.alt ? { alt: nfc(i.alt) } : {}) })),
          status: ProductStatus.ACTIVE,
          provenance: {},
        }),
      );
      await this.writeVariants(m, viewer, product, input.variants, true);
      return product;
    });
  }

  async updateProduct(viewer: Viewer, input: UpdateProductInput): Promise<Product> {
    await check(input);
    return this.ds.transaction(async (m) => {
      const product = await this.lockProduct(m, viewer, input.id, "id");
      if (product.status === ProductStatus.ARCHIVED) throw UserErrors.one("id", "ARCHIVED");
      if (input.name != null) {
        product.name = cleanName(input.name);
        const producer = await m.getRepository(Producer).findOneByOrFail({ id: product.producerId });
        product.searchKey = searchKey(product.name, producer.legalName);
      }
      if (input.description != null) product.description = nfc(input.description);
      if (input.story != null) product.story = nfc(input.story);
      if (input.productSetNo !== undefined) product.productSetNo = input.productSetNo;
      if (input.category != null) product.category = input.category;
      else if (input.productSetNo) product.category = categoryOfProductSet(input.productSetNo)!;
      const setCategory = product.productSetNo ? categoryOfProductSet(product.productSetNo) : null;
      if (setCategory && setCategory !== product.category) {
        throw UserErrors.one("productSetNo", "INVALID_VALUE", {
          value: product.productSetNo!,
          label: "productSetNo",
        });
      }
      if (input.images != null)
        product.images = input.images.map((i) => ({ url: i.url, ...(i.alt ? { alt: nfc(i.alt) } : {}) }));
      return m.getRepository(Product).save(product);
    });
  }

  async archiveProduct(viewer: Viewer, id: string): Promise<Product> {
    return this.ds.transaction(async (m) => {
      const product = await this.lockProduct(m, viewer, id, "id");
      product.status = ProductStatus.ARCHIVED;
      return m.getRepository(Product).save(product);
    });
  }

  async upsertVariants(viewer: Viewer, productId: string, variants: VariantInput[]): Promise<Variant[]> {
    for (const [i, v] of variants.entries()) {
      const errors = await validateInput(v);
      if (errors.length)
        throw new UserErrors(errors.map((e) => ({ ...e, field: `variants.${i}.${e.field}` })));
    }
    if (variants.length === 0) throw UserErrors.one("variants", "EMPTY_LIST", { label: "variants" });
    this.assertDistinctSkus(variants);
    return this.ds.transaction(async (m) => {
      const product = await this.lockProduct(m, viewer, productId, "productId");
      if (product.status === ProductStatus.ARCHIVED) throw UserErrors.one("productId", "ARCHIVED");
      return this.writeVariants(m, viewer, product, variants, false);
    });
  }

  private assertDistinctSkus(variants: VariantInput[]): void {
    const seen = new Map<string, number>();
    const errors: UserErrorSpec[] = [];
    variants.forEach((v, i) => {
      const key = v.sku.toUpperCase();
      if (seen.has(key))
        errors.push({ field: `variants.${i}.sku`, code: "DUPLICATE_SKU", params: { sku: v.sku } });
      seen.set(key, i);
    });
    if (errors.length) throw new UserErrors(errors);
  }

  private async writeVariants(
    m: EntityManager,
    viewer: Viewer,
    product: Product,
    inputs: VariantInput[],
    creating: boolean,
  ): Promise<Variant[]> {
    const repo = m.getRepository(Variant);
    const existing = await repo.find({
      where: { producerId: product.producerId, sku: In(inputs.map((v) => v.sku)) },
    });
    const bySku = new Map(existing.map((v) => [v.sku, v]));
    const maxPos = creating
      ? -1
      : ((
          await m.query(`SELECT coalesce(max(position), -1) AS p FROM variant WHERE product_id = $1`, [
            product.id,
          ])
        )[0].p as number);
    const out: Variant[] = [];
    for (const [i, input] of inputs.entries()) {
      let v = bySku.get(input.sku);
      if (v && v.productId !== product.id) {
        throw UserErrors.one(`variants.${i}.sku`, "DUPLICATE_SKU", { sku: input.sku });
      }
      const isNew = !v;
      const priceBefore = v?.priceVnd ?? null;
      v ??= repo.create({
        productId: product.id,
        producerId: product.producerId,
        sku: input.sku,
        position: maxPos + 1 + i,
        vatRatePercent: 8,
        packSpec: "",
      });
      if (input.packSpec !== undefined) v.packSpec = nfc(input.packSpec ?? "");
      if (input.weightGrams !== undefined) v.weightGrams = input.weightGrams ?? null;
      if (input.lengthMm !== undefined) v.lengthMm = input.lengthMm ?? null;
      if (input.widthMm !== undefined) v.widthMm = input.widthMm ?? null;
      if (input.heightMm !== undefined) v.heightMm = input.heightMm ?? null;
      if (input.barcode !== undefined) v.barcode = input.barcode ?? null;
      if (input.priceVnd !== undefined) v.priceVnd = input.priceVnd ?? null;
      if (input.vatRatePercent != null) v.vatRatePercent = input.vatRatePercent;
      try {
        v = await repo.save(v);
      } catch (e) {
        if (isUniqueViolation(e))
          throw UserErrors.one(`variants.${i}.sku`, "DUPLICATE_SKU", { sku: input.sku });
        throw e;
      }
      if (isNew) await createStockLevel(m, v.id, input.initialStock ?? 0, viewer.actor);
      else if ((v.priceVnd ?? null) !== priceBefore) {
        // Price changes reach every marketplace: keep the old value beside the new one.
        await writeAuditEntry(m, {
          actor: viewer.actor,
          userId: viewer.userId ?? null,
          apiKeyId: viewer.keyId,
          operation: "variant.priceChanged",
          targetType: "Variant",
          targetId: toGlobalId("Variant", v.id),
          producerIds: [v.producerId],
          changes: { sku: v.sku, priceVnd: { before: priceBefore, after: v.priceVnd ?? null } },
        });
      }
      out.push(v);
    }
    return out;
  }

  private async freeSlug(m: EntityManager, producerId: string, base: string): Promise<string> {
    const taken: Array<{ slug: string }> = await m.query(
      `SELECT slug FROM product WHERE producer_id = $1 AND (slug = $2 OR slug LIKE $2 || '-%')`,
      [producerId, base],
    );
    const set = new Set(taken.map((t) => t.slug));
    if (!set.has(base)) return base;
    for (let i = 2; ; i++) if (!set.has(`${base}-${i}`)) return `${base}-${i}`;
  }

  private async lockProduct(
    m: EntityManager,
    viewer: Viewer,
    globalId: string,
    field: string,
  ): Promise<Product> {
    const id = idOf("Product", globalId);
    const product = id
      ? await m.getRepository(Product).findOne({ where: { id }, lock: { mode: "pessimistic_write" } })
      : null;
    if (!product) throw notFound(field, "sản phẩm / product", globalId);
    if (!canWriteCatalogue(viewer)) throw new ForbiddenError();
    // A producer key must not learn that another producer's product exists.
    if (!canSeeProducer(viewer, product.producerId)) throw notFound(field, "sản phẩm / product", globalId);
    assertCanWriteProducer(viewer, product.producerId);
    return product;
  }

  private async lockVariant(m: EntityManager, viewer: Viewer, globalId: string): Promise<Variant> {
    const id = idOf("Variant", globalId);
    const variant = id ? await m.getRepository(Variant).findOneBy({ id }) : null;
    if (!variant || !canSeeProducer(viewer, variant.producerId)) {
      throw notFound("variantId", "biến thể / variant", globalId);
    }
    assertCanWriteProducer(viewer, variant.producerId);
    await m.query(`SELECT 1 FROM stock_level WHERE variant_id = $1 FOR UPDATE`, [variant.id]);
    return variant;
  }

  // ---------- stock ----------

  async setStock(
    viewer: Viewer,
    input: { variantId: string; onHand: number; expectedOnHand?: number | null; reason?: string | null },
  ): Promise<{ variant: Variant; onHand: number; reserved: number }> {
    if (!Number.isInteger(input.onHand) || input.onHand < 0 || input.onHand > 10_000_000) {
      throw UserErrors.one("onHand", "OUT_OF_RANGE", { min: 0, max: 10_000_000 });
    }
    return this.ds.transaction(async (m) => {
      const variant = await this.lockVariant(m, viewer, input.variantId);
      const [cur] = await m.query(`SELECT on_hand FROM stock_level WHERE variant_id = $1`, [variant.id]);
      const result = await applyStockChange(m, {
        variantId: variant.id,
        onHandDelta: input.onHand - cur.on_hand,
        reservedDelta: 0,
        kind: StockMovementKind.COUNT,
        reason: nfc(input.reason ?? "stock count"),
        actor: viewer.actor,
        expectedOnHand: input.expectedOnHand ?? null,
      });
      return { variant, ...result };
    });
  }

  async adjustStock(
    viewer: Viewer,
    input: { variantId: string; delta: number; reason: string; reference?: string | null },
  ): Promise<{ variant: Variant; onHand: number; reserved: number; applied: boolean }> {
    const errors: UserErrorSpec[] = [];
    if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > 10_000_000) {
      errors.push({ field: "delta", code: "OUT_OF_RANGE", params: { min: -10_000_000, max: 10_000_000 } });
    }
    if (!input.reason || !input.reason.trim())
      errors.push({ field: "reason", code: "REQUIRED", params: { label: "reason" } });
    else if (input.reason.length > 500)
      errors.push({ field: "reason", code: "TOO_LONG", params: { max: 500 } });
    if (input.reference && input.reference.length > 200)
      errors.push({ field: "reference", code: "TOO_LONG", params: { max: 200 } });
    if (errors.length) throw new UserErrors(errors);
    const reference = input.reference || null;
    try {
      return await this.ds.transaction(async (m) => {
        const variant = await this.lockVariant(m, viewer, input.variantId);
        // A reference answers the same way every time: refused once, refused for good.
        if (reference) await throwStoredRefusal(m, variant.id, StockMovementKind.ADJUSTMENT, reference);
        const result = await applyStockChange(
          m,
          {
            variantId: variant.id,
            onHandDelta: input.delta,
            reservedDelta: 0,
            kind: StockMovementKind.ADJUSTMENT,
            reason: nfc(input.reason),
            reference,
            actor: viewer.actor,
          },
          "delta",
        );
        return { variant, ...result };
      });
    } catch (e) {
      // Recorded after the rollback, under the same row lock, so an earlier attempt of this reference
      // still running somewhere cannot apply after the client was told "refused".
      if (reference && e instanceof UserErrors)
        return this.recordRefusal(viewer, input.variantId, reference, e);
      throw e;
    }
  }

  /**
   * Stores the refusal of a referenced adjustment and throws it, unless an attempt with the same
   * reference applied meanwhile: then that is the answer.
   */
  private async recordRefusal(
    viewer: Viewer,
    variantGlobalId: string,
    reference: string,
    refusal: UserErrors,
  ): Promise<{ variant: Variant; onHand: number; reserved: number; applied: boolean }> {
    const applied = await this.ds.transaction(async (m) => {
      const variant = await this.lockVariant(m, viewer, variantGlobalId);
      const prior = await priorChange(m, variant.id, StockMovementKind.ADJUSTMENT, reference);
      if (prior) return { variant, ...prior };
      const [first] = refusal.errors;
      await m.query(
        `INSERT INTO stock_refusal (variant_id, kind, reference, code, field, params)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [
          variant.id,
          StockMovementKind.ADJUSTMENT,
          reference,
          first.code,
          first.field,
          JSON.stringify(first.params ?? {}),
        ],
      );
      return null;
    });
    if (applied) return applied;
    throw refusal;
  }

  // ---------- certifications ----------

  async recordCertification(viewer: Viewer, input: RecordCertificationInput): Promise<OcopCertification> {
    await check(input);
    const errors: UserErrorSpec[] = [];
    if (!isIsoDate(input.decisionDate))
      errors.push({ field: "decisionDate", code: "INVALID_FORMAT", params: { hint: "YYYY-MM-DD" } });
    else if (input.decisionDate > vnToday(this.clock.now()))
      errors.push({ field: "decisionDate", code: "DATE_IN_FUTURE" });
    if (input.potentialFiveStar && input.star !== 4) {
      errors.push({
        field: "potentialFiveStar",
        code: "INVALID_VALUE",
        params: { value: "true", label: "potentialFiveStar" },
      });
    }
    if (input.score != null && !scoreMatchesStar(input.score, input.star, input.potentialFiveStar)) {
      errors.push({
        field: "score",
        code: "SCORE_STAR_MISMATCH",
        params: { score: input.score, star: input.star, expected: starForScore(input.score) },
      });
    }
    if (errors.length) throw new UserErrors(errors);
    return this.ds.transaction(async (m) => {
      const product = await this.lockProduct(m, viewer, input.productId, "productId");
      const validity = validityOf({ decisionDate: input.decisionDate, expires: null, year: null });
      const repo = m.getRepository(OcopCertification);
      const existing = await repo.findOneBy({
        productId: product.id,
        decisionNumber: input.decisionNumber,
        decisionDate: input.decisionDate,
        issuerName: nfc(input.issuerName),
        star: input.star,
      });
      if (existing) return existing; // recording the same decision twice is a no-op
      const cert = await repo.save(
        repo.create({
          productId: product.id,
          star: input.star,
          potentialFiveStar: input.potentialFiveStar,
          score: input.score != null ? input.score.toFixed(2) : null,
          decisionNumber: nfc(input.decisionNumber),
          decisionDate: input.decisionDate,
          decisionYear: Number(input.decisionDate.slice(0, 4)),
          issuerLevel: input.issuerLevel,
          issuerName: nfc(input.issuerName),
          criteriaVersion: input.criteriaVersion ?? null,
          validUntil: validity.validUntil,
          validityBasis: ValidityBasis.DECISION_DATE,
          verification: "A",
          sourceUrl: input.sourceUrl ?? null,
          isReRecognition: input.isReRecognition,
          notes: nfc(input.notes ?? ""),
          supersededAt: null,
          supersededById: null,
          revokedAt: null,
          revocationReason: null,
        }),
      );
      // A newer decision (re-recognition, upgraded star) supersedes earlier ones still in force.
      await m.query(
        `UPDATE ocop_certification SET superseded_at = now(), superseded_by_id = $2
          WHERE product_id = $1 AND id <> $2 AND superseded_at IS NULL AND revoked_at IS NULL
            AND (decision_date IS NULL OR decision_date <= $3)`,
        [product.id, cert.id, input.decisionDate],
      );
      return cert;
    });
  }

  /** Variants by id for payloads (after a write). */
  async variantsOf(productId: string): Promise<Variant[]> {
    return this.ds.getRepository(Variant).find({ where: { productId }, order: { position: "ASC" } });
  }
}

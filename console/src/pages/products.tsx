/** Producer pages: the product list (search + filters) and one product (variants, stock, certificates, listings). */
import { useState } from "preact/hooks";
import { gql, userErrorText } from "../api";
import { fmtNum, lang, t } from "../i18n";
import { Badge, Card, ErrorBox, Loading, mpName, useQuery } from "../ui";
import { navigate } from "../router";

const CATEGORIES = ["FOOD", "BEVERAGE", "HERBAL", "HANDICRAFT", "ORNAMENTAL", "TOURISM"];
const CATEGORY_VI: Record<string, string> = {
  FOOD: "Thực phẩm",
  BEVERAGE: "Đồ uống",
  HERBAL: "Thảo dược",
  HANDICRAFT: "Thủ công mỹ nghệ",
  ORNAMENTAL: "Sinh vật cảnh",
  TOURISM: "Du lịch",
};
const CATEGORY_EN: Record<string, string> = {
  FOOD: "Food",
  BEVERAGE: "Beverage",
  HERBAL: "Herbal",
  HANDICRAFT: "Handicraft",
  ORNAMENTAL: "Ornamental",
  TOURISM: "Tourism",
};
export const categoryName = (c: string) => (lang.value === "en" ? CATEGORY_EN : CATEGORY_VI)[c] ?? c;

const LIST = `query($f: ProductFilter) { products(first: 50, filter: $f) { totalCount nodes {
  id name category currentStar producer { legalName }
  currentCertification { status daysLeft }
  variants { sku priceVnd stock { available } }
  listings { marketplace state } } } }`;

type ListingStatus = "" | "LIVE" | "FAILED" | "PENDING" | "NONE";

function matchesListing(p: any, f: ListingStatus): boolean {
  if (!f) return true;
  const states: string[] = p.listings.map((l: any) => l.state);
  if (f === "NONE") return states.length === 0;
  return states.includes(f);
}

export function ProductList(p: { selected: Set<string>; onSelect: (s: Set<string>) => void }) {
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState("");
  const [star, setStar] = useState("");
  const [category, setCategory] = useState("");
  const [listing, setListing] = useState<ListingStatus>("");
  const filter = {
    ...(applied ? { search: applied } : {}),
    ...(star ? { star: Number(star) } : {}),
    ...(category ? { category } : {}),
  };
  const q = useQuery(LIST, { f: filter }, [applied, star, category]);
  const nodes = (q.data?.products.nodes ?? []).filter((x: any) => matchesListing(x, listing));
  const toggle = (id: string) => {
    const s = new Set(p.selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    p.onSelect(s);
  };
  return (
    <div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(search.trim());
        }}
      >
        <input
          type="search"
          name="search"
          aria-label={t("search")}
          placeholder={t("searchPlaceholder")}
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <button type="submit">{t("search")}</button>
        <select
          aria-label={t("star")}
          name="star"
          value={star}
          onChange={(e) => setStar((e.target as HTMLSelectElement).value)}
        >
          <option value="">
            {t("star")}: {t("all")}
          </option>
          {[3, 4, 5].map((s) => (
            <option value={String(s)} key={s}>
              {"★".repeat(s)}
            </option>
          ))}
        </select>
        <select
          aria-label={t("category")}
          name="category"
          value={category}
          onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}
        >
          <option value="">
            {t("category")}: {t("all")}
          </option>
          {CATEGORIES.map((c) => (
            <option value={c} key={c}>
              {categoryName(c)}
            </option>
          ))}
        </select>
        <select
          aria-label={t("channelStatus")}
          name="listing"
          title={t("filterOnPage")}
          value={listing}
          onChange={(e) => setListing((e.target as HTMLSelectElement).value as ListingStatus)}
        >
          <option value="">
            {t("channelStatus")}: {t("all")}
          </option>
          <option value="LIVE">{t("anyLive")}</option>
          <option value="PENDING">{t("pending")}</option>
          <option value="FAILED">{t("anyFailed")}</option>
          <option value="NONE">{t("notListed")}</option>
        </select>
      </form>
      <ErrorBox error={q.error} />
      {q.loading && !q.data ? <Loading /> : null}
      {q.data ? (
        <p class="muted" data-testid="product-count">
          {fmtNum(q.data.products.totalCount)} {t("found")}
          {q.data.products.totalCount > 50 ? ` · ${t("perPage")}` : ""}
          {listing && q.data.products.totalCount > 50 ? ` · ${t("filterOnPage")}` : ""}
          {p.selected.size ? ` · ${p.selected.size} ${t("selected")}` : ""}
        </p>
      ) : null}
      {p.selected.size ? (
        <button class="primary" data-testid="open-publish" onClick={() => navigate("/publish")}>
          {t("publish")} ({p.selected.size})
        </button>
      ) : null}
      <ul class="product-list" data-testid="product-list">
        {nodes.map((x: any) => (
          <li key={x.id} class="product-row">
            <input
              type="checkbox"
              aria-label={`${t("selectForPublish")}: ${x.name}`}
              checked={p.selected.has(x.id)}
              onChange={() => toggle(x.id)}
            />
            <a href={`#/products/${encodeURIComponent(x.id)}`} class="product-name">
              {x.name}
            </a>
            <span class="muted small">
              {x.producer.legalName} · {categoryName(x.category)}
            </span>
            <span class="chips">
              {x.currentStar ? <span class="star">{"★".repeat(x.currentStar)}</span> : null}
              {x.currentCertification?.status === "EXPIRING" ? (
                <Badge value="EXPIRING" label={t("expiring")} />
              ) : null}
              {x.listings.map((l: any, i: number) => (
                <Badge key={i} value={l.state} label={`${mpName(l.marketplace)}: ${l.state}`} />
              ))}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

const PRODUCT = `query($id: ID!) { product(id: $id) {
  id name category description currentStar producer { id legalName }
  variants { id sku packSpec priceVnd stock { onHand reserved available } }
  certifications { id star decisionNumber decisionDate validUntil daysLeft status }
  listings { id channelName marketplace sku state lastErrorCode updatedAt } } }`;

function VariantRow(p: { productId: string; v: any; onSaved: () => void }) {
  const [price, setPrice] = useState(String(p.v.priceVnd ?? ""));
  const [onHand, setOnHand] = useState(String(p.v.stock.onHand));
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const save = async () => {
    setMsg(null);
    setErr(null);
    try {
      if (price !== String(p.v.priceVnd ?? "")) {
        const r = await gql(
          `mutation($p: ID!, $v: [VariantInput!]!) { upsertVariants(productId: $p, variants: $v) { userErrors { field message } } }`,
          { p: p.productId, v: [{ sku: p.v.sku, priceVnd: price === "" ? null : Number(price) }] },
        );
        const e = userErrorText(r.upsertVariants.userErrors);
        if (e) return setErr(e);
      }
      if (onHand !== String(p.v.stock.onHand)) {
        const r = await gql(
          `mutation($i: SetStockInput!) { setStock(input: $i) { userErrors { field message } } }`,
          {
            i: {
              variantId: p.v.id,
              onHand: Number(onHand),
              expectedOnHand: p.v.stock.onHand,
              reason: "console",
            },
          },
        );
        const e = userErrorText(r.setStock.userErrors);
        if (e) return setErr(e);
      }
      setMsg(t("saved"));
      p.onSaved();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <tr data-testid={`variant-${p.v.sku}`}>
      <td data-label={t("sku")}>
        <b>{p.v.sku}</b>
        <div class="muted small">{p.v.packSpec}</div>
      </td>
      <td data-label={t("price")}>
        <input
          type="number"
          inputMode="numeric"
          name="price"
          min="0"
          aria-label={`${t("price")} ${p.v.sku}`}
          value={price}
          onInput={(e) => setPrice((e.target as HTMLInputElement).value)}
        />
      </td>
      <td data-label={t("onHand")}>
        <input
          type="number"
          inputMode="numeric"
          name="onHand"
          min="0"
          aria-label={`${t("onHand")} ${p.v.sku}`}
          value={onHand}
          onInput={(e) => setOnHand((e.target as HTMLInputElement).value)}
        />
      </td>
      <td data-label={t("reserved")}>{fmtNum(p.v.stock.reserved)}</td>
      <td data-label={t("available")} data-testid="available">
        {fmtNum(p.v.stock.available)}
      </td>
      <td>
        <button onClick={save}>{t("save")}</button>
        {msg ? <span class="ok-text"> {msg}</span> : null}
        {err ? (
          <span class="error" role="alert">
            {err}
          </span>
        ) : null}
      </td>
    </tr>
  );
}

export function ProductPage(p: { id: string; onPublish: (ids: string[]) => void }) {
  const q = useQuery(PRODUCT, { id: p.id }, [p.id]);
  if (q.loading && !q.data) return <Loading />;
  if (q.error) return <ErrorBox error={q.error} />;
  const x = q.data?.product;
  if (!x) return <p>{t("none")}</p>;
  return (
    <div data-testid="product-page">
      <p>
        <a href="#/products">← {t("back")}</a>
      </p>
      <h1>
        {x.name} {x.currentStar ? <span class="star">{"★".repeat(x.currentStar)}</span> : null}
      </h1>
      <p class="muted">
        {x.producer.legalName} · {categoryName(x.category)}
      </p>
      <button class="primary" data-testid="publish-this" onClick={() => p.onPublish([x.id])}>
        {t("publish")}
      </button>
      <Card title={t("variants")}>
        <table class="responsive">
          <thead>
            <tr>
              <th>{t("sku")}</th>
              <th>{t("price")}</th>
              <th>{t("onHand")}</th>
              <th>{t("reserved")}</th>
              <th>{t("available")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {x.variants.map((v: any) => (
              <VariantRow key={v.id} productId={x.id} v={v} onSaved={q.reload} />
            ))}
          </tbody>
        </table>
      </Card>
      <Card title={t("certificates")} testid="certificates">
        {x.certifications.length === 0 ? <p class="muted">{t("none")}</p> : null}
        <ul class="certs">
          {x.certifications.map((c: any) => (
            <li
              key={c.id}
              class={`cert ${c.status === "EXPIRING" ? "cert-expiring" : ""} ${c.status === "EXPIRED" ? "cert-expired" : ""}`}
              data-status={c.status}
            >
              <span class="star">{"★".repeat(c.star)}</span> {t("decision")} {c.decisionNumber ?? "—"} ·{" "}
              {t("validUntil")} {c.validUntil ?? "—"} <Badge value={c.status} />
              {c.daysLeft !== null && c.status !== "SUPERSEDED" && c.status !== "REVOKED" ? (
                <b class="days-left">
                  {" "}
                  {c.daysLeft >= 0 ? t("daysLeft", { n: c.daysLeft }) : t("expiredAgo", { n: -c.daysLeft })}
                </b>
              ) : null}
            </li>
          ))}
        </ul>
      </Card>
      <Card title={t("listings")} testid="listings">
        {x.listings.length === 0 ? <p class="muted">{t("notListed")}</p> : null}
        <ul class="plain">
          {x.listings.map((l: any) => (
            <li key={l.id} data-testid="listing">
              <b>{mpName(l.marketplace)}</b> · {l.channelName} · {l.sku} <Badge value={l.state} />
              {l.lastErrorCode ? <span class="error small"> {l.lastErrorCode}</span> : null}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

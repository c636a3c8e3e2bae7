/**
 * Fuzzes every mutation of the schema over HTTP with fast-check. Input shapes come from the running
 * hub's introspection, so a new mutation is fuzzed without touching this file. No response may carry
 * a stack trace, SQL text or a 5xx, and every rejection must be a `userErrors` entry or a top-level
 * error with a known code (GraphQL's own type errors, BAD_USER_INPUT / GRAPHQL_VALIDATION_FAILED, are
 * counted apart: they are refused before any resolver runs).
 *
 * `npm test` runs FUZZ_RUNS=300 (default); `npm run test:fuzz` runs 10,000. FUZZ_SEED replays a run.
 */
import fc from "fast-check";
import { getIntrospectionQuery, IntrospectionInputTypeRef, IntrospectionQuery } from "graphql";
import { startTestHub, TestHub } from "../support/test-hub";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Codes a client may legitimately get at the top level for a generated input. */
const KNOWN_CODES = new Set([
  "BAD_USER_INPUT",
  "GRAPHQL_VALIDATION_FAILED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "QUERY_TOO_COMPLEX",
  "QUERY_TOO_LARGE",
  "PAYLOAD_TOO_LARGE",
]);
const GRAPHQL_LAYER = new Set(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]);

const STACK_RE = /\n\s+at .+:\d+:\d+|\bat (?:async )?[\w.<>]+ \(.*:\d+:\d+\)/;
const SQL_RE =
  /\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|QueryFailedError|duplicate key value|violates (?:foreign key|check|not-null|unique)|syntax error at or near|relation "\w+"|invalid input syntax for/i;

type Input = IntrospectionQuery["__schema"]["types"][number];

const NASTY = [
  "",
  " ",
  "'; DROP TABLE product; --",
  `" OR 1=1 --`,
  "\u0000",
  "\u202e\u200b",
  "Cà phê".normalize("NFD"),
  "🍵🇻🇳",
  "x".repeat(5000),
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%s%n%x",
  "NaN",
  "-0",
  "1e309",
  "2025-02-30",
  "0000-00-00T00:00:00Z",
  "http://",
  "javascript:alert(1)",
  "+84 912 345 678",
  "0312345678-001",
  "SKU-001",
  "null",
];

function stringArb(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    ...(known.length ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []),
  );
}

const INT = fc.oneof(
  fc.integer({ min: -5, max: 100 }),
  fc.integer(),
  fc.constantFrom(0, -1, 2147483647, -2147483648, 1_000_000_000),
);

/** Arbitrary for a GraphQL input type reference; occasionally a wrong-typed value (GraphQL layer). */
class InputArbitraries {
  private readonly types = new Map<string, Input>();
  constructor(
    schema: IntrospectionQuery["__schema"],
    private readonly ids: string[],
    private readonly texts: string[],
  ) {
    for (const t of schema.types) this.types.set(t.name, t);
  }

  of(ref: IntrospectionInputTypeRef, depth = 0): fc.Arbitrary<unknown> {
    if (ref.kind === "NON_NULL") return this.of(ref.ofType, depth);
    if (ref.kind === "LIST")
      return fc.array(this.nullable(ref.ofType, depth + 1), { maxLength: depth > 1 ? 2 : 5 });
    const t = this.types.get(ref.name)!;
    if (t.kind === "ENUM")
      return fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...t.enumValues.map((v) => v.name)) },
        { weight: 1, arbitrary: fc.string() },
      );
    if (t.kind === "INPUT_OBJECT") {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const f of t.inputFields) {
        fields[f.name] = this.nullable(f.type, depth + 1);
        if (f.type.kind === "NON_NULL" && f.defaultValue === null) required.push(f.name);
      }
      return fc.record(fields, { requiredKeys: required });
    }
    return this.scalar(ref.name);
  }

  /** Nullable positions sometimes get null; non-null ones rarely (GraphQL rejects those). */
  private nullable(ref: IntrospectionInputTypeRef, depth: number): fc.Arbitrary<unknown> {
    const weight = ref.kind === "NON_NULL" ? 1 : 10;
    return fc.oneof({ weight: 60, arbitrary: this.of(ref, depth) }, { weight, arbitrary: fc.constant(null) });
  }

  private scalar(name: string): fc.Arbitrary<unknown> {
    switch (name) {
      case "Int":
        return fc.oneof(
          { weight: 20, arbitrary: INT },
          { weight: 1, arbitrary: fc.constantFrom(2 ** 40, 1.5, "7") },
        );
      case "Float":
        return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), INT);
      case "Boolean":
        return fc.oneof(
          { weight: 20, arbitrary: fc.boolean() },
          { weight: 1, arbitrary: fc.constant("true") },
        );
      case "ID":
        return fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...this.ids) },
          { weight: 1, arbitrary: stringArb([]) },
          { weight: 1, arbitrary: fc.uuid() },
        );
      case "DateTime":
        return fc.oneof(
          fc
            .date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true })
            .map((d) => d.toISOString()),
          stringArb([]),
        );
      case "BigInt":
        return fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String), INT, stringArb([]));
      case "JSONObject":
        return fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          fc.string(),
        );
      default:
        // String and any scalar added later: text, nasty text and values seen in the catalogue.
        return stringArb(this.texts);
    }
  }
}

interface Mutation {
  name: string;
  document: string;
  vars: fc.Arbitrary<Record<string, unknown>>;
}

function unwrapName(ref: { kind: string; name?: string | null; ofType?: unknown }): string {
  let r = ref as { kind: string; name?: string | null; ofType?: any };
  while (r.ofType) r = r.ofType;
  return r.name!;
}

function mutationsOf(schema: IntrospectionQuery["__schema"], arbs: InputArbitraries): Mutation[] {
  const types = new Map(schema.types.map((t) => [t.name, t]));
  const root = types.get(schema.mutationType!.name)!;
  if (root.kind !== "OBJECT") throw new Error("no Mutation type");
  return root.fields.map((f) => {
    const payload = types.get(unwrapName(f.type))!;
    const hasUserErrors = payload.kind === "OBJECT" && payload.fields.some((x) => x.name === "userErrors");
    const selection =
      payload.kind === "OBJECT"
        ? `{ __typename${hasUserErrors ? " userErrors { field code message }" : ""} }`
        : "";
    const params = f.args.map((a) => `$${a.name}: ${typeText(a.type)}`).join(", ");
    const args = f.args.map((a) => `${a.name}: $${a.name}`).join(", ");
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const a of f.args) shape[a.name] = arbs.of(a.type as IntrospectionInputTypeRef);
    const required = f.args.filter((a) => a.type.kind === "NON_NULL").map((a) => a.name);
    return {
      name: f.name,
      document: `mutation${params ? `(${params})` : ""} { ${f.name}${args ? `(${args})` : ""} ${selection} }`,
      vars: fc.record(shape, { requiredKeys: required }),
    };
  });
}

function typeText(ref: any): string {
  if (ref.kind === "NON_NULL") return `${typeText(ref.ofType)}!`;
  if (ref.kind === "LIST") return `[${typeText(ref.ofType)}]`;
  return ref.name;
}

interface Tally {
  accepted: number;
  userErrors: number;
  graphqlLayer: number;
  otherKnown: Record<string, number>;
  failures: Array<{ mutation: string; why: string; vars: string; body: string }>;
}

function check(m: Mutation, vars: unknown, status: number, text: string, t: Tally): void {
  const fail = (why: string): void =>
    void t.failures.push({
      mutation: m.name,
      why,
      vars: JSON.stringify(vars).slice(0, 400),
      body: text.slice(0, 400),
    });
  if (status >= 500) return fail(`HTTP ${status}`);
  if (STACK_RE.test(text)) return fail("stack trace in response");
  if (SQL_RE.test(text)) return fail("SQL in response");
  let body: {
    data?: Record<string, any> | null;
    errors?: Array<{ message?: string; extensions?: { code?: string } }>;
  };
  try {
    body = JSON.parse(text);
  } catch {
    return fail("response is not JSON");
  }
  if (body.errors?.length) {
    for (const e of body.errors) {
      const code = e.extensions?.code ?? "(none)";
      if (!KNOWN_CODES.has(code)) return fail(`top-level error code ${code}`);
      if (!e.message) return fail("top-level error without a message");
    }
    const code = body.errors[0].extensions!.code!;
    if (GRAPHQL_LAYER.has(code) && !body.data) t.graphqlLayer++;
    else t.otherKnown[code] = (t.otherKnown[code] ?? 0) + 1;
    return;
  }
  const payload = body.data?.[m.name];
  if (payload === undefined) return fail("no data and no errors");
  const errs = payload?.userErrors as Array<{ code?: string; message?: string }> | undefined;
  if (errs && errs.length) {
    if (errs.some((e) => !e.code || !e.message)) return fail("userErrors entry without code or message");
    t.userErrors++;
  } else t.accepted++;
}

describe("mutation fuzzing", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it(`${RUNS} generated inputs over every mutation: no 5xx, stack or SQL; every rejection explained`, async () => {
    const intro = await hub.gql(getIntrospectionQuery());
    const schema = (intro.data as IntrospectionQuery).__schema;
    // Real objects to aim at, so generated ids reach past "not found" into the services.
    const seeded =
      await hub.gql(`mutation { createProducer(input: { legalName: "HTX Fuzz", taxCode: "0312345678",
      address: { raw: "Thôn 1, xã Trường Xuân, tỉnh Lâm Đồng", wardCode: "24730" } }) { producer { id } userErrors { code } } }`);
    const producerId = seeded.data.createProducer.producer.id as string;
    const product = await hub.gql(
      `mutation($p: ID!) { createProduct(input: { producerId: $p, name: "Cà phê Fuzz", productSetNo: 13,
        variants: [{ sku: "FZ-1", packSpec: "gói 250g", priceVnd: 95000, initialStock: 5 }] }) {
        product { id variants { id sku } } userErrors { code } } }`,
      { p: producerId },
    );
    const p = product.data.createProduct.product;
    const ids = [producerId, p.id, p.variants[0].id];
    const arbs = new InputArbitraries(schema, ids, ["FZ-1", "Cà phê Fuzz", "HTX Fuzz", "0312345678"]);
    const mutations = mutationsOf(schema, arbs);
    // The same number of cases for each mutation, interleaved, so every one is covered at any RUNS.
    const per = Math.ceil(RUNS / mutations.length);
    const samples = mutations.map((m, i) => fc.sample(m.vars, { numRuns: per, seed: SEED + i }));
    const cases = Array.from({ length: per }, (_, k) => mutations.map((m, i) => ({ m, vars: samples[i][k] })))
      .flat()
      .slice(0, Math.max(RUNS, mutations.length));
    const tally: Tally = { accepted: 0, userErrors: 0, graphqlLayer: 0, otherKnown: {}, failures: [] };
    const perMutation: Record<string, number> = {};
    const started = performance.now();
    for (const { m, vars } of cases) {
      perMutation[m.name] = (perMutation[m.name] ?? 0) + 1;
      const res = await fetch(hub.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${hub.adminKey}` },
        body: JSON.stringify({ query: m.document, variables: vars }),
        signal: AbortSignal.timeout(15_000),
      });
      check(m, vars, res.status, await res.text(), tally);
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      seed: SEED,
      runs: RUNS,
      mutations: mutations.length,
      mutationsFuzzed: Object.keys(perMutation).length,
      accepted: tally.accepted,
      rejectedWithUserErrors: tally.userErrors,
      rejectedByGraphqlLayer: tally.graphqlLayer,
      otherTopLevel: tally.otherKnown,
      failures: tally.failures.length,
      seconds: Number(seconds.toFixed(1)),
    };
    if (process.env.FUZZ_RUNS) console.log(JSON.stringify(summary));
    expect(tally.failures.slice(0, 5)).toEqual([]);
    expect(summary.mutationsFuzzed).toBe(mutations.length);
  }, 600_000);
});

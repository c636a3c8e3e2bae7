/**
 * Hot read paths load entities with one hand-written SQL statement instead of TypeORM's query
 * builder: the select list comes from the entity's TypeORM metadata (so it follows migrations and
 * entity changes), and rows become real entity instances (GraphQL resolves interfaces by class).
 */
import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";

const selectCache = new Map<unknown, Map<string, string>>();

/** `alias."col" AS "prop", …` for every column of the entity (cached per entity and alias). */
export function selectList(ds: DataSource, entity: EntityTarget<ObjectLiteral>, alias: string): string {
  let byAlias = selectCache.get(entity);
  if (!byAlias) selectCache.set(entity, (byAlias = new Map()));
  let list = byAlias.get(alias);
  if (!list) {
    list = ds
      .getMetadata(entity)
      .columns.filter((c) => c.isSelect)
      .map((c) => `${alias}."${c.databaseName}" AS "${c.propertyName}"`)
      .join(", ");
    byAlias.set(alias, list);
  }
  return list;
}

/** Turns rows whose keys are property names into instances of `cls`. */
export function hydrate<T extends object>(cls: new () => T, rows: object[]): T[] {
  const proto = cls.prototype as object;
  return rows.map((r) => Object.assign(Object.create(proto) as T, r));
}

const jsonCache = new Map<unknown, Map<string, string>>();

/**
 * `json_build_object('prop', alias."col", …)` for every column: a row as JSON keyed by property name.
 * `extra` adds pairs, e.g. `'stock', json_build_object(…)` (cheaper than merging jsonb afterwards).
 */
export function jsonObject(
  ds: DataSource,
  entity: EntityTarget<ObjectLiteral>,
  alias: string,
  extra = "",
): string {
  if (extra) return `${jsonObject(ds, entity, alias).slice(0, -1)}, ${extra})`;
  let byAlias = jsonCache.get(entity);
  if (!byAlias) jsonCache.set(entity, (byAlias = new Map()));
  let expr = byAlias.get(alias);
  if (!expr) {
    expr = `json_build_object(${ds
      .getMetadata(entity)
      .columns.filter((c) => c.isSelect)
      .map((c) => `'${c.propertyName}', ${alias}."${c.databaseName}"`)
      .join(", ")})`;
    byAlias.set(alias, expr);
  }
  return expr;
}

const dateProps = new Map<unknown, string[]>();

/** Instances from JSON rows: timestamp properties become Dates again (JSON carries them as text). */
export function hydrateJson<T extends object>(ds: DataSource, cls: new () => T, rows: object[]): T[] {
  let props = dateProps.get(cls);
  if (!props) {
    props = ds
      .getMetadata(cls)
      .columns.filter((c) => c.type === "timestamptz" || c.type === Date || c.isCreateDate || c.isUpdateDate)
      .map((c) => c.propertyName);
    dateProps.set(cls, props);
  }
  const out = hydrate(cls, rows);
  for (const o of out as Array<Record<string, unknown>>) {
    for (const p of props) if (typeof o[p] === "string") o[p] = new Date(o[p] as string);
  }
  return out;
}

interface ColumnPlan {
  props: string[];
  isDate: boolean[];
}
const arrayPlans = new Map<unknown, ColumnPlan>();

function planOf(ds: DataSource, entity: EntityTarget<ObjectLiteral>): ColumnPlan {
  let plan = arrayPlans.get(entity);
  if (!plan) {
    const cols = ds.getMetadata(entity).columns.filter((c) => c.isSelect);
    plan = {
      props: cols.map((c) => c.propertyName),
      isDate: cols.map((c) => c.type === "timestamptz" || c.isCreateDate || c.isUpdateDate),
    };
    arrayPlans.set(entity, plan);
  }
  return plan;
}

/**
 * `json_build_array(alias."col", …)`: a row as a positional JSON array, about half the bytes of an
 * object (no keys) for PostgreSQL to build and for Node to parse. `extra` appends elements.
 */
export function jsonArray(
  ds: DataSource,
  entity: EntityTarget<ObjectLiteral>,
  alias: string,
  extra = "",
): string {
  const cols = ds.getMetadata(entity).columns.filter((c) => c.isSelect);
  return `json_build_array(${cols.map((c) => `${alias}."${c.databaseName}"`).join(", ")}${extra ? `, ${extra}` : ""})`;
}

/** Instances of `cls` from rows built by jsonArray (extra elements, if any, are ignored). */
export function fromJsonArrays<T extends object>(ds: DataSource, cls: new () => T, arrays: unknown[][]): T[] {
  const { props, isDate } = planOf(ds, cls);
  const proto = cls.prototype as object;
  return arrays.map((a) => {
    const o = Object.create(proto) as Record<string, unknown>;
    for (let i = 0; i < props.length; i++) {
      const v = a[i];
      o[props[i]] = isDate[i] && typeof v === "string" ? new Date(v) : v;
    }
    return o as T;
  });
}

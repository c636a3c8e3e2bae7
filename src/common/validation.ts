/**
 * Input validation with class-validator, mapped to our stable error codes and field paths so every
 * rejection reaches the client as a `userErrors` entry in Vietnamese or English.
 * A decorator may name its code through `context: { code: "INVALID_SKU" }`.
 */
import {
  IsEmail,
  IsInt,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validate,
  ValidationError,
} from "class-validator";
import { MAX_UNIT_PRICE_VND } from "./money";
import type { UserErrorSpec } from "./errors";
import type { MessageCode } from "./i18n";

/** Patterns shared by inputs and the CSV import. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TAX_CODE_PATTERN = /^\d{10}(-\d{3})?$/;
export const VN_PHONE_PATTERN = /^(\+84|0)(3|5|7|8|9|2\d)\d{8}$/;

function codeFor(constraint: string): MessageCode {
  switch (constraint) {
    case "maxLength":
      return "TOO_LONG";
    case "minLength":
      return "TOO_SHORT";
    case "isNotEmpty":
    case "isDefined":
      return "REQUIRED";
    case "min":
    case "max":
      return "OUT_OF_RANGE";
    case "isEnum":
    case "isIn":
      return "INVALID_VALUE";
    case "arrayNotEmpty":
    case "arrayMinSize":
      return "EMPTY_LIST";
    case "arrayMaxSize":
      return "OUT_OF_RANGE";
    default:
      return "INVALID_FORMAT";
  }
}

function flatten(errors: ValidationError[], prefix: string, out: UserErrorSpec[]): void {
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      // One entry per field: the first failing constraint is the most useful to fix first.
      const [name] = Object.keys(e.constraints);
      const ctx = (e.contexts?.[name] ?? {}) as {
        code?: MessageCode;
        params?: Record<string, string | number>;
      };
      out.push({
        field,
        code: ctx.code ?? codeFor(name),
        params: { value: String(e.value ?? ""), ...ctx.params },
      });
    }
    if (e.children?.length) flatten(e.children, field, out);
  }
}

/** Validates a (nested) input object; [] when valid. */
export async function validateInput(input: object): Promise<UserErrorSpec[]> {
  const errors = await validate(input, { forbidUnknownValues: false, validationError: { target: false } });
  const out: UserErrorSpec[] = [];
  flatten(errors, "", out);
  return out;
}

// Decorators that carry their bounds into the message parameters.

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}

export const Text = (max: number, min = 0): PropertyDecorator =>
  compose(
    MaxLength(max, { context: { params: { max } } }),
    ...(min > 0
      ? [MinLength(min, { context: { code: min === 1 ? "REQUIRED" : "TOO_SHORT", params: { min } } })]
      : []),
  );

export const IntRange = (min: number, max: number): PropertyDecorator =>
  compose(
    IsInt({ context: { code: "OUT_OF_RANGE", params: { min, max } } }),
    Min(min, { context: { params: { min, max } } }),
    Max(max, { context: { params: { min, max } } }),
  );

export const Money = (): PropertyDecorator =>
  compose(
    IsInt({ context: { code: "INVALID_MONEY", params: { max: MAX_UNIT_PRICE_VND } } }),
    Min(0, { context: { code: "INVALID_MONEY", params: { max: MAX_UNIT_PRICE_VND } } }),
    Max(MAX_UNIT_PRICE_VND, { context: { code: "INVALID_MONEY", params: { max: MAX_UNIT_PRICE_VND } } }),
  );

export const Sku = (): PropertyDecorator => Matches(SKU_PATTERN, { context: { code: "INVALID_SKU" } });
export const TaxCode = (): PropertyDecorator =>
  Matches(TAX_CODE_PATTERN, { context: { code: "INVALID_TAX_CODE" } });
export const Phone = (): PropertyDecorator =>
  Matches(VN_PHONE_PATTERN, { context: { code: "INVALID_PHONE" } });
export const Email = (): PropertyDecorator =>
  IsEmail({}, { context: { params: { hint: "name@example.vn" } } });
export const HttpsUrl = (): PropertyDecorator =>
  IsUrl(
    { protocols: ["https", "http"], require_protocol: true },
    { context: { params: { hint: "https://…" } } },
  );

/**
 * Two error channels (as in Vendure): expected business failures are `UserErrors` that services
 * throw and resolvers turn into `userErrors` payload entries; anything else is a fault that the
 * API masks before it reaches a client.
 */
import { Locale, MessageCode, render } from "./i18n";

export interface UserErrorSpec {
  /** Dotted path of the input field at fault, e.g. "variants.0.sku"; "" for the whole input. */
  field: string;
  code: MessageCode;
  params?: Record<string, string | number | undefined>;
}

export interface RenderedUserError {
  field: string;
  code: MessageCode;
  message: string;
}

export class UserErrors extends Error {
  constructor(public readonly errors: UserErrorSpec[]) {
    super(errors.map((e) => `${e.field}: ${e.code}`).join("; "));
    this.name = "UserErrors";
  }

  static one(field: string, code: MessageCode, params?: UserErrorSpec["params"]): UserErrors {
    return new UserErrors([{ field, code, params }]);
  }
}

export function renderUserError(e: UserErrorSpec, locale: Locale): RenderedUserError {
  return { field: e.field, code: e.code, message: render(e.code, { label: e.field, ...e.params }, locale) };
}

/** Raised for an authenticated caller that lacks the right; surfaces as a top-level FORBIDDEN error. */
export class ForbiddenError extends Error {
  constructor(message = "Forbidden") {
    super(message);
    this.name = "ForbiddenError";
  }
}

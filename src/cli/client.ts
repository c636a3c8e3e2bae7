/**
 * The CLI's only way into the hub: its public GraphQL API over HTTP, with the caller's API key and
 * language. Connection and authentication problems become CliFailure with exit code 2; a throttled
 * request waits the time the hub asks for and is sent again.
 */
import { t } from "./i18n";

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_USAGE = 2;

/** A failure that ends the command with a message and an exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    public readonly exitCode: number,
  ) {
    super(message);
    this.name = "CliFailure";
  }
}

export interface UserErrorOut {
  field: string;
  code: string;
  message: string;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }>;
}

export interface ClientOptions {
  /** GraphQL endpoint URL. */
  url: string;
  apiKey: string | null;
  lang: "vi" | "en";
  /** Retries of a throttled request before giving up (default 5). */
  maxThrottleRetries?: number;
  /** Called before waiting out a throttle, to tell the user. */
  onThrottle?: (seconds: number) => void;
}

/** HUB_URL may be the hub's base URL or its /graphql endpoint. */
export function graphqlUrl(base: string): string {
  const u = new URL(base);
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/graphql";
  return u.toString();
}

export class HubClient {
  constructor(private readonly opts: ClientOptions) {}

  get url(): string {
    return this.opts.url;
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const retries = this.opts.maxThrottleRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const { status, body } = await this.post<T>(query, variables);
      const errors = body.errors ?? [];
      const throttled = errors.find((e) => e.extensions?.code === "THROTTLED");
      if (throttled && attempt < retries) {
        const seconds = throttled.extensions?.retryAfterSeconds ?? 1;
        this.opts.onThrottle?.(seconds);
        await new Promise((r) => setTimeout(r, seconds * 1000));
        continue;
      }
      if (errors.some((e) => e.extensions?.code === "UNAUTHENTICATED") || status === 401) {
        throw new CliFailure(this.opts.apiKey ? t("authFailed") : t("noKey"), EXIT_USAGE);
      }
      if (errors.length > 0) {
        // Top-level errors from the hub are already written "vi / en".
        const message = errors.map(
          (e) => `${e.message}${e.extensions?.code ? ` [${e.extensions.code}]` : ""}`,
        );
        const code = errors[0].extensions?.code;
        const usage = code === "GRAPHQL_VALIDATION_FAILED" || code === "GRAPHQL_PARSE_FAILED";
        throw new CliFailure(t("hubError", { message: message.join("; ") }), usage ? EXIT_USAGE : EXIT_USER);
      }
      if (!body.data) throw new CliFailure(t("badResponse", { status, url: this.opts.url }), EXIT_USAGE);
      return body.data;
    }
  }

  private async post<T>(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ status: number; body: GraphQLResponse<T> }> {
    let res: Response;
    try {
      res = await fetch(this.opts.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "accept-language": this.opts.lang,
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new CliFailure(t("cannotConnect", { url: this.opts.url, reason }), EXIT_USAGE);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as GraphQLResponse<T> };
    } catch {
      throw new CliFailure(t("badResponse", { status: res.status, url: this.opts.url }), EXIT_USAGE);
    }
  }
}

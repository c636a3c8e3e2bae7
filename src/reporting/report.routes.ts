/**
 * GET /reports/programme.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&provinceCode=..][&producerId=..]
 * The programme report as CSV, authenticated by the same bearer key or access token as /graphql and
 * scoped the same way. UTF-8 with a BOM, so Excel opens Vietnamese names correctly.
 */
import type { FastifyInstance } from "fastify";
import type { HubServices } from "../app/services";
import { authenticateBearer } from "../auth/authenticate";
import { UserErrors, renderUserError } from "../common/errors";
import { idOf } from "../common/graphql/global-id";
import { localeFrom } from "../common/i18n";
import { ProgrammeReportService, reportCsv } from "./programme-report.service";

const BOM = "\uFEFF";
const NO_UUID = "00000000-0000-0000-0000-000000000000";

export function reportRoutes(services: HubServices) {
  return (app: FastifyInstance): void => {
    app.get<{ Querystring: Record<string, string | undefined> }>(
      "/reports/programme.csv",
      async (req, reply) => {
        const locale = localeFrom(req.headers["accept-language"]);
        const header = req.headers.authorization;
        const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : null;
        const viewer = token ? await authenticateBearer(services, token) : null;
        if (!viewer) {
          return reply
            .code(401)
            .header("www-authenticate", "Bearer")
            .send({ error: "Cần khóa API hợp lệ (Authorization: Bearer …). / A valid API key is required." });
        }
        const q = req.query;
        try {
          const report = await new ProgrammeReportService(services.sync.ds, services.clock).report(
            viewer,
            {
              from: q.from ?? "",
              to: q.to ?? "",
              provinceCode: q.provinceCode || null,
              producerId: q.producerId ? (idOf("Producer", q.producerId) ?? NO_UUID) : null,
            },
            locale,
          );
          const name = `ocop-programme-${report.filter.from}-${report.filter.to}.csv`;
          return reply
            .header("content-type", "text/csv; charset=utf-8")
            .header("content-disposition", `attachment; filename="${name}"`)
            .header("cache-control", "no-store")
            .send(BOM + reportCsv(report));
        } catch (e) {
          if (e instanceof UserErrors) {
            const err = renderUserError(e.errors[0], locale);
            return reply.code(400).send({ error: err.message, field: err.field, code: err.code });
          }
          throw e;
        }
      },
    );
  };
}

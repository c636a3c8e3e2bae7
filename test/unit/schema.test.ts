import fs from "node:fs";
import path from "node:path";
import { isInterfaceType, isObjectType } from "graphql";
import { buildHubSchema, printHubSchema } from "../../src/app/schema";

describe("GraphQL schema", () => {
  it("matches the committed schema/schema.graphql (run `npm run schema:emit` after a change)", () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "..", "schema", "schema.graphql"), "utf8");
    expect(printHubSchema()).toBe(committed);
  });

  it("exposes no secret-bearing field", () => {
    // Secrets may come in (a password, a shop's app secret, a refresh token to exchange) but never
    // go out, except the session tokens that login exists to hand out (each shown once).
    const allowed = new Set(["SessionPayload.accessToken", "SessionPayload.refreshToken"]);
    const secret = /^(keyHash|credentials|appSecret|accessToken|refreshToken|password|passwordHash)$/i;
    const found: string[] = [];
    for (const type of Object.values(buildHubSchema().getTypeMap())) {
      if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith("__")) continue;
      for (const field of Object.values(type.getFields())) {
        if (secret.test(field.name)) found.push(`${type.name}.${field.name}`);
      }
    }
    expect(found.filter((f) => !allowed.has(f))).toEqual([]);
  });
});

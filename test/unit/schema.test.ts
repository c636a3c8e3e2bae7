import fs from "node:fs";
import path from "node:path";
import { printHubSchema } from "../../src/app/schema";

describe("GraphQL schema", () => {
  it("matches the committed schema/schema.graphql (run `npm run schema:emit` after a change)", () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "..", "schema", "schema.graphql"), "utf8");
    expect(printHubSchema()).toBe(committed);
  });

  it("exposes no secret-bearing field", () => {
    const sdl = printHubSchema();
    for (const word of ["keyHash", "credentials", "appSecret", "accessToken", "refreshToken", "password"]) {
      expect(sdl).not.toMatch(new RegExp(`\\b${word}\\b\\s*:`));
    }
  });
});

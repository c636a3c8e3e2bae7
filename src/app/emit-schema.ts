/** `npm run schema:emit`: writes the SDL to schema/schema.graphql. */
import fs from "node:fs";
import path from "node:path";
import { printHubSchema } from "./schema";

const target = path.resolve(__dirname, "..", "..", "..", "schema", "schema.graphql");
const fallback = path.resolve(process.cwd(), "schema", "schema.graphql");
const file = fs.existsSync(path.dirname(target)) ? target : fallback;
fs.writeFileSync(file, printHubSchema());
console.log(`schema written to ${file}`);

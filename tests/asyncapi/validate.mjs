// Validate an AsyncAPI document with the reference parser.
// Usage: node validate.mjs FILE; prints the diagnostics as JSON, exits 1 on any error.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const [file] = process.argv.slice(2);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
// Severity 0 is an error; 1-3 are warnings, information and hints.
const errors = diagnostics.filter((d) => d.severity === 0);
const report = diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
console.log(JSON.stringify({ parsed: document !== undefined, errors: errors.length, diagnostics: report }, null, 2));
process.exit(errors.length === 0 && document !== undefined ? 0 : 1);

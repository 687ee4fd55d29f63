/**
 * `npm run verify-evidence -- <pack.zip>`: checks a case's evidence pack (every file's SHA-256
 * against manifest.json, every audit entry against its chain hash). Exits 0 when all match,
 * 1 naming each file or entry that does not, 2 when the pack cannot be read.
 */
import { readFileSync } from 'node:fs';
import { verifyEvidencePack } from '../worker/reports/verify-pack';

const path = process.argv[2];
if (!path) {
  console.error('usage: npm run verify-evidence -- <pack.zip>');
  process.exit(2);
}
let bytes: Uint8Array;
try {
  bytes = new Uint8Array(readFileSync(path));
} catch (error) {
  console.error(`cannot read ${path}: ${(error as Error).message}`);
  process.exit(2);
}
const verdict = await verifyEvidencePack(bytes);
for (const file of verdict.checked) console.log(`ok        ${file}`);
for (const problem of verdict.problems) console.log(`MISMATCH  ${problem}`);
console.log(verdict.ok ? `${path}: every hash matches.` : `${path}: ${verdict.problems.length} problem(s).`);
process.exit(verdict.ok ? 0 : 1);

// Regenerates docs/rules.md: `npx tsx test/core/gen-rules-doc.ts`.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc } from './rules-doc.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'rules.md');
writeFileSync(target, renderRulesDoc());
console.log(`wrote ${target}`);

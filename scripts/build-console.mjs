#!/usr/bin/env node
// Copies the console's page and style sheet beside its compiled modules (dist/console/), which
// `gatehouse serve` serves at / and /console/<name>. The modules themselves come from
// `tsc -p src/console/tsconfig.json`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/console/', import.meta.url));
const out = fileURLToPath(new URL('../dist/console/', import.meta.url));
mkdirSync(out, { recursive: true });
for (const name of ['index.html', 'console.css']) copyFileSync(src + name, out + name);

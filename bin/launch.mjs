// Started by bin/gatehouse: checks the runtime and the build, then runs the CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`error: Gatehouse needs Node.js 24 or newer; this is ${process.version}. Run "npm ci" in the repository (it brings Node.js 24 from the npm registry), or install Node.js 24 (GH_RUNTIME_UNSUPPORTED)\n`);
  process.exit(1);
}
const entry = new URL('../dist/src/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('error: Gatehouse is not built yet; run "npm ci && npm run build" in the repository first (GH_INTERNAL)\n');
  process.exit(1);
}
await import(entry.href);

#!/usr/bin/env node
// Stops a command that needs Node 22.12+ (Electron 45's tools) with a clear message on an
// older Node, before it fails somewhere deep inside them.
//
//   node scripts/check-node.mjs WHAT    (e.g. `npm run dist`; exits 1 when this Node is too old)
import { nodeRequirementLines, nodeTooOld } from './lib.mjs';

if (nodeTooOld()) {
  const what = process.argv[2] ?? 'This command';
  for (const line of nodeRequirementLines(what)) console.error(line);
  process.exit(1);
}

#!/usr/bin/env node
// The `sae-explorer` command: registers tsx so the TypeScript CLI runs as is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');

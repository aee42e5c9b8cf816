#!/usr/bin/env node
// Entry point of the `qdc` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

// graphql-js skips its development-only checks in production; set before any module loads it.
process.env.NODE_ENV ??= 'production';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

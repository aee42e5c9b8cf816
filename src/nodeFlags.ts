import { nodeOptions } from './config.js';

/** The flags node was started with: its command line and NODE_OPTIONS. */
export function nodeFlags(): string[] {
  return [...process.execArgv, ...nodeOptions().split(/\s+/)].filter((arg) => arg !== '');
}

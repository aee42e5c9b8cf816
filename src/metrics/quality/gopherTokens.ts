/**
 * The token split of quality.heuristic_quality (see heuristicQuality.ts). datatrove tokenises with
 * NLTK's word_tokenize, which splits punctuation off words. Without an NLP tokenizer we use:
 * whitespace tokens (design section 4), each split into a leading run of punctuation/symbol
 * characters (Unicode \p{P} or \p{S}), the core, and a trailing run — e.g. "(Hello," -> "(",
 * "Hello", ","; "..." stays one token; "don't" and "3.5" stay whole.
 */
import { trailingRunStart } from '../trailingRun.js';
import { whitespaceTokens } from '../types.js';

const LEADING_SYMBOLS = /^[\p{P}\p{S}]+/u;
const SYMBOL = /^[\p{P}\p{S}]$/u;

/** Whitespace tokens with leading and trailing punctuation/symbol runs split off (see above). */
export function gopherTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const token of whitespaceTokens(text)) {
    const lead = LEADING_SYMBOLS.exec(token)?.[0] ?? '';
    if (lead.length === token.length) {
      tokens.push(token);
      continue;
    }
    const trail = token.slice(trailingRunStart(token, SYMBOL));
    if (lead !== '') tokens.push(lead);
    tokens.push(token.slice(lead.length, token.length - trail.length));
    if (trail !== '') tokens.push(trail);
  }
  return tokens;
}

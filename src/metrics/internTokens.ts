/** Dense integer ids for the tokens of a bounded set of texts (a seeded subset, one pair, one sample). */
export interface InternedTokens {
  /** Each list's tokens as ids, in order. */
  ids: Int32Array[];
  /** Distinct tokens seen; ids run from 0 to vocabularySize - 1 in order of first appearance. */
  vocabularySize: number;
}

export function internTokens(tokenLists: readonly (readonly string[])[]): InternedTokens {
  const vocabulary = new Map<string, number>();
  const ids = tokenLists.map((tokens) => {
    const out = new Int32Array(tokens.length);
    for (let p = 0; p < tokens.length; p++) {
      const token = tokens[p]!;
      let id = vocabulary.get(token);
      if (id === undefined) {
        id = vocabulary.size;
        vocabulary.set(token, id);
      }
      out[p] = id;
    }
    return out;
  });
  return { ids, vocabularySize: vocabulary.size };
}

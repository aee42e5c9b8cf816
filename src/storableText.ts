/**
 * Whether a string can be stored as PostgreSQL text and is valid Unicode: text and jsonb refuse
 * NUL characters (a raw driver error wherever one is bound), and lone UTF-16 surrogates are not
 * Unicode (PostgreSQL turns them into U+FFFD). Used by the GraphQL input check and by the routes
 * that take text outside GraphQL (the scores route's scorer, OpenLineage events).
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be taken, or null. */
export function unstorableString(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  return match[0] === '\u0000'
    ? 'contains a NUL character (\\u0000), which PostgreSQL cannot store'
    : 'contains an unpaired UTF-16 surrogate (invalid Unicode)';
}

/** An unstorable string in a JSON-like value (walked without recursion): its path and the reason. */
export function findUnstorable(value: unknown, path: string): { path: string; problem: string } | null {
  const stack: Array<[value: unknown, path: string]> = [[value, path]];
  while (stack.length > 0) {
    const [item, at] = stack.pop()!;
    if (typeof item === 'string') {
      const problem = unstorableString(item);
      if (problem) return { path: at, problem };
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], `${at}[${i}]`]);
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item).reverse()) {
        const problem = unstorableString(key);
        if (problem) return { path: `${at} (the key ${JSON.stringify(key)})`, problem };
        stack.push([child, `${at}.${key}`]);
      }
    }
  }
  return null;
}

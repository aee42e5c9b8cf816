/**
 * Where a text's trailing run of some characters starts, in linear time. The regex `[...]+$` says
 * the same, but a backtracking engine retries it from every character of a run that does not reach
 * the end, which is quadratic: one sample with a long run of spaces, dots or symbols stalled the
 * whole process (security review F2).
 */

/**
 * Index where the trailing run of characters accepted by `member` begins (`text.length` when the
 * last character is not one). `member` tests one character; a surrogate pair is tested as one
 * code point, so `\p{...}` classes with the `u` flag work.
 */
export function trailingRunStart(text: string, member: RegExp): number {
  let start = text.length;
  while (start > 0) {
    const last = text.charCodeAt(start - 1);
    const width =
      start >= 2 && last >= 0xdc00 && last <= 0xdfff && isHighSurrogate(text.charCodeAt(start - 2)) ? 2 : 1;
    if (!member.test(text.slice(start - width, start))) break;
    start -= width;
  }
  return start;
}

/** `text` without its trailing run of characters accepted by `member`. */
export function trimTrailing(text: string, member: RegExp): string {
  return text.slice(0, trailingRunStart(text, member));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Python str semantics that the Gopher rules (datatrove) measure with: len, splitlines, count. */

/** Python's str.splitlines boundaries (which include the file/group/record separators 0x1c-0x1e). */
// eslint-disable-next-line no-control-regex -- the control characters are the point
const LINE_BOUNDARY = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Length in code points (Python's len). */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/** Python's str.splitlines(): no trailing empty line, '' -> []. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(LINE_BOUNDARY);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Non-overlapping occurrences, as Python's str.count. */
export function countOccurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

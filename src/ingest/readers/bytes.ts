/** Byte values and byte classes shared by the JSONL and JSON array readers. */
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const OPEN_BRACKET = 0x5b;
export const BACKSLASH = 0x5c;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/** JSON whitespace (RFC 8259): space, tab, LF, CR. */
export const IS_WS = new Uint8Array(256);
IS_WS[SPACE] = IS_WS[TAB] = IS_WS[LF] = IS_WS[CR] = 1;

/** Bytes that end a scalar (number / literal / junk) array element: whitespace and structural bytes other than '}'. */
export const ENDS_SCALAR = new Uint8Array(256);
for (const b of [SPACE, TAB, LF, CR, COMMA, CLOSE_BRACKET, OPEN_BRACKET, OPEN_BRACE, QUOTE])
  ENDS_SCALAR[b] = 1;

/** Bytes inside a string that the array scanner must look at: the closing quote, an escape, a line feed. */
export const STRING_STOP = new Uint8Array(256);
STRING_STOP[QUOTE] = STRING_STOP[BACKSLASH] = STRING_STOP[LF] = 1;

/** Bytes outside strings inside a nested element that the array scanner must look at. */
export const STRUCTURE_STOP = new Uint8Array(256);
for (const b of [QUOTE, OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET, LF]) STRUCTURE_STOP[b] = 1;

export function describeByte(byte: number): string {
  return byte > 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

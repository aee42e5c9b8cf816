/**
 * TInt values and how they are written. A number is a string of decimal digits (leading zeros are
 * possible after noise), optionally with a leading '-' (sub) or one '.' (a median of two middle
 * values). A list is an array of numbers. In traces every character is its own token:
 *   57        -> "5 7"        -12 -> "- 1 2"       12.5 -> "1 2 . 5"
 *   [31,4,15] -> "[ 3 1 , 4 , 1 5 ]"
 * A line assigns one or more variables: "x = 5 7 , y = 6 8".
 */

export type Num = string;
export type Value = Num | readonly Num[];

const DIGITS = /^\d+$/;

export function isDigits(value: string): boolean {
  return DIGITS.test(value);
}

export function spaced(num: Num): string {
  // A plain loop: split('').join(' ') was a fifth of generation time (bench/tint profile).
  let out = num.length > 0 ? num[0]! : '';
  for (let i = 1; i < num.length; i++) out += ' ' + num[i];
  return out;
}

export function formatValue(value: Value): string {
  if (typeof value === 'string') return spaced(value);
  return value.length === 0 ? '[ ]' : `[ ${value.map(spaced).join(' , ')} ]`;
}

export function formatAssignments(names: readonly string[], values: readonly Value[]): string {
  return names.map((name, i) => `${name} = ${formatValue(values[i]!)}`).join(' , ');
}

export function formatCall(target: string, fn: string, args: readonly Value[]): string {
  return `${target} = call( ${fn}( ${args.map(formatValue).join(' , ')} ) )`;
}

/** Splits at " , " outside brackets and parentheses. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') depth--;
    else if (depth === 0 && ch === ',' && text[i - 1] === ' ' && text[i + 1] === ' ') {
      parts.push(text.slice(start, i - 1));
      start = i + 2;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const NUM_TOKENS = /^-?(?: ?\d)+(?: \. (?:\d ?)+)?$/;

/** Parses "5 7", "- 1 2", "1 2 . 5" or "[ 3 1 , 4 ]"; null when the text is not a value. */
export function parseValue(text: string): Value | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    if (!trimmed.endsWith(']')) return null;
    const inner = trimmed.slice(1, -1).trim();
    if (inner === '') return [];
    const items = splitTopLevel(inner).map(parseNum);
    return items.every((item): item is Num => item !== null) ? items : null;
  }
  return parseNum(trimmed);
}

function parseNum(text: string): Num | null {
  const trimmed = text.trim();
  if (!NUM_TOKENS.test(trimmed)) return null;
  return trimmed.replace(/ /g, '');
}

export interface ParsedLine {
  names: string[];
  values: Value[];
}

const ASSIGNMENT = /^([A-Za-z_]\w*) = (.*)$/;

/** Parses an assignment line ("x = 5 7 , y = 6 8"); null for call lines and anything else. */
export function parseAssignments(line: string): ParsedLine | null {
  const names: string[] = [];
  const values: Value[] = [];
  for (const part of splitTopLevel(line)) {
    const match = ASSIGNMENT.exec(part);
    if (!match) return null;
    const value = parseValue(match[2]!);
    if (value === null) return null;
    names.push(match[1]!);
    values.push(value);
  }
  return { names, values };
}

/** The target of a call line ("t = call( f( ... ) )"), or null. */
export function callTarget(line: string): string | null {
  const match = /^([A-Za-z_]\w*) = call\( /.exec(line);
  return match ? match[1]! : null;
}

/** "mul( 1 2 , 3 4 )" -> { fn: 'mul', args: ['12', '34'] }; null when it is not a call. */
export function parseInvocation(text: string): { fn: string; args: Value[] } | null {
  const match = /^([a-z_]+)\( (.*) \)$/.exec(text.trim());
  if (!match) return null;
  const args: Value[] = [];
  for (const part of splitTopLevel(match[2]!)) {
    const value = parseValue(part);
    if (value === null) return null;
    args.push(value);
  }
  return { fn: match[1]!, args };
}

export function formatInvocation(fn: string, args: readonly Value[]): string {
  return `${fn}( ${args.map(formatValue).join(' , ')} )`;
}

/** Numeric order of digit strings (leading zeros ignored). */
export function compareDigits(a: Num, b: Num): number {
  const x = stripLeadingZeros(a);
  const y = stripLeadingZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function stripLeadingZeros(num: Num): Num {
  const stripped = num.replace(/^0+(?=\d)/, '');
  return stripped;
}

export function isZero(num: Num): boolean {
  return /^0+$/.test(num);
}

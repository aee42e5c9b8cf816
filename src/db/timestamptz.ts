/**
 * Decoding of `timestamp with time zone` values as PostgreSQL sends them in text (DateStyle ISO,
 * the driver's default): "2026-11-21 10:22:33.123456+00", with an offset such as "+05:30" when the
 * session's TimeZone is not UTC.
 *
 * drizzle decodes them with `new Date(text)`, V8's general date parser; a catalog listing decodes
 * about a thousand per request, and that parser cost ~1.5% of bench/graphql's instructions. This
 * reads the fixed layout directly. Anything else (infinity, BC or five-digit years, years before
 * 100, offsets with seconds) goes to `new Date(text)` exactly as before.
 */

/** The two-digit number at `at`, or -1 when either character is not a digit. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** Milliseconds since the epoch, or NaN when `text` is not in the common layout. */
export function epochMillisOfTimestamptz(text: string): number {
  const n = text.length;
  if (n < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32)
    return NaN;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NaN;
  const century = twoDigits(text, 0);
  const yearInCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (century < 1 || yearInCentury < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0)
    return NaN;

  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46) {
    // Up to six fractional digits; like V8's parser, keep the first three (truncated, not rounded).
    at += 1;
    let scale = 100;
    for (; at < n; at++) {
      const digit = text.charCodeAt(at) - 48;
      if (digit < 0 || digit > 9) break;
      millis += digit * scale;
      scale /= 10;
    }
    millis = Math.floor(millis);
  }

  const sign = text.charCodeAt(at);
  if ((sign !== 43 && sign !== 45) || at + 3 > n) return NaN;
  const offsetHours = twoDigits(text, at + 1);
  let offsetMinutes = 0;
  at += 3;
  if (at < n) {
    if (text.charCodeAt(at) !== 58 || at + 3 !== n) return NaN;
    offsetMinutes = twoDigits(text, at + 1);
    at += 3;
  }
  if (at !== n || offsetHours < 0 || offsetMinutes < 0) return NaN;

  const year = century * 100 + yearInCentury;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return NaN;
  const local =
    ((daysSinceEpoch(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return sign === 43 ? local - offset : local + offset;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; Date.UTC cost as much as the parsing). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** A `Date` for PostgreSQL's text form of a timestamptz. */
export function parseTimestamptz(text: string): Date {
  const millis = epochMillisOfTimestamptz(text);
  return Number.isNaN(millis) ? new Date(text) : new Date(millis);
}

import { randomHex } from '../monitoring/internal.js';

/** Hex digit -> the variant digit (10xx) keeping its two low bits. */
const VARIANT: Readonly<Record<string, string>> = Object.fromEntries(
  [...'0123456789abcdef'].map((digit) => [digit, '89ab'.charAt(Number.parseInt(digit, 16) & 3)]),
);
let lastMs = 0;
/** `tttttttt-tttt-` for the current millisecond, formatted once per millisecond. */
let prefix = '';
let prefixOf = -1;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids made by one process
 * sort in creation order, even within one millisecond (a 12-bit counter takes the rand_a bits).
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = Number.parseInt(randomHex(2), 16) & 0x3ff;
  } else {
    sequence++;
    if (sequence > 0xfff) {
      // Counter spent within one millisecond: borrow the next one, keeping the order.
      lastMs++;
      sequence = 0;
    }
  }
  if (prefixOf !== lastMs) {
    prefixOf = lastMs;
    const hex = lastMs.toString(16).padStart(12, '0');
    prefix = `${hex.slice(0, 8)}-${hex.slice(8)}-`;
  }
  // 64 random bits, of which the first hex digit gives way to the variant (10xx): 62 remain.
  const random = randomHex(8);
  return `${prefix}${(0x7000 | sequence).toString(16)}-${VARIANT[random.charAt(0)] ?? '8'}${random.slice(1, 4)}-${random.slice(4)}`;
}

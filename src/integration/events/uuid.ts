import { randomHex } from '../monitoring/index.js';

const VARIANT = '89ab';
let lastMs = 0;
let msHex = '';
let msHexOf = -1;
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
  if (msHexOf !== lastMs) {
    msHexOf = lastMs;
    msHex = lastMs.toString(16).padStart(12, '0');
  }
  // 64 random bits, of which the first hex digit gives way to the variant (10xx): 62 remain.
  const random = randomHex(8);
  const variant = VARIANT[Number.parseInt(random.charAt(0), 16) & 3] ?? '8';
  return `${msHex.slice(0, 8)}-${msHex.slice(8)}-${(0x7000 | sequence).toString(16)}-${variant}${random.slice(1, 4)}-${random.slice(4)}`;
}

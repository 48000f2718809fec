// Bit arithmetic on tree sizes and indexes. JavaScript's bitwise operators truncate to 32 bits,
// and a log may outgrow 2^32 leaves, so everything here uses plain arithmetic, exact for every
// safe integer (up to 2^53 - 1).

/** A tree size, leaf index or node index: a non-negative safe integer. */
export function isTreeCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function isOdd(value: number): boolean {
  return value % 2 === 1;
}

/** Right shift by one bit. */
export function halve(value: number): number {
  return Math.floor(value / 2);
}

export function isPowerOfTwo(value: number): boolean {
  if (value < 1) return false;
  let remaining = value;
  while (!isOdd(remaining)) remaining = halve(remaining);
  return remaining === 1;
}

/** Number of set bits. */
export function countOnes(value: number): number {
  let ones = 0;
  for (let remaining = value; remaining > 0; remaining = halve(remaining)) if (isOdd(remaining)) ones++;
  return ones;
}

/** Number of trailing zero bits of a positive value. */
export function countTrailingZeros(value: number): number {
  let zeros = 0;
  for (let remaining = value; !isOdd(remaining); remaining = halve(remaining)) zeros++;
  return zeros;
}

/** `x` rounded to `digits` decimals (half away from zero on the binary value, as Math.round does for positives). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

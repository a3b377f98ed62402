/** The few statistics every benchmark reports. */
export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
export const round = (n: number) => Math.round(n * 10) / 10;
export const stats = (xs: number[]) => ({
  n: xs.length,
  p50: round(quantile(xs, 0.5)),
  p90: round(quantile(xs, 0.9)),
  p99: round(quantile(xs, 0.99)),
  max: round(Math.max(...xs)),
});

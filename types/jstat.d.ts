// jstat ships no types (module.exports is the jStat object); Ulasan uses its chi-square CDF (drift)
// the log beta and log binomial coefficient (the alerts' beta-binomial test) and the binomial CDF
// (McNemar's exact test in `npm run gate:check`).
declare module 'jstat' {
  const jStat: {
    chisquare: { cdf(x: number, dof: number): number };
    betaln(a: number, b: number): number;
    combinationln(n: number, k: number): number;
    binomial: { cdf(k: number, n: number, p: number): number };
  };
  export default jStat;
}

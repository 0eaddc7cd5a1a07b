// jstat ships no types (module.exports is the jStat object); Ulasan uses its chi-square CDF (drift)
// and the log beta and log binomial coefficient (the alerts' beta-binomial test).
declare module 'jstat' {
  const jStat: {
    chisquare: { cdf(x: number, dof: number): number };
    betaln(a: number, b: number): number;
    combinationln(n: number, k: number): number;
  };
  export default jStat;
}

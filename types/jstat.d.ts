// jstat ships no types (module.exports is the jStat object); Ulasan uses its chi-square CDF only.
declare module 'jstat' {
  const jStat: { chisquare: { cdf(x: number, dof: number): number } };
  export default jStat;
}

/** The part of jStat's API the drift stage uses (jstat ships no types). */
declare const jStat: {
  chisquare: { cdf(x: number, dof: number): number };
  normal: { cdf(x: number, mean: number, std: number): number };
};
export default jStat;

// Measures this machine's fp32 FMA peak: every core runs 12 independent 512-bit FMA chains
// (enough to cover FMA latency x pipes), so the figure is what the FP units sustain, at the clock
// the CPU actually runs. Used by bench/bert-encoder.ts for "% of peak". Build: gcc -O3 -march=native -fopenmp (at -O2 gcc keeps the accumulators in memory and measures half the peak)
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

int main(void) {
  const long iters = 200000000L;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      __m512 a[12];
      const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
      for (int k = 0; k < 12; k++) a[k] = _mm512_set1_ps((float)k);
      for (long i = 0; i < iters / 12; i++)
        for (int k = 0; k < 12; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
      for (int k = 0; k < 12; k++) sink += _mm512_reduce_add_ps(a[k]);
    }
    double secs = omp_get_wtime() - t0;
    double flops = (double)omp_get_max_threads() * (iters / 12) * 12 * 16 * 2;
    if (flops / secs > best) best = flops / secs;
    if (sink == 42.0f) printf("#");
  }
  printf("%.1f\n", best / 1e9);
  return 0;
}

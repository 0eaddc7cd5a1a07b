// Measures this machine's fp32 FMA peak: every core runs 12 independent FMA chains of the widest
// vectors the CPU has (512-bit with AVX-512, else 256-bit AVX2 + FMA), enough to cover FMA latency x
// pipes, so the figure is what the FP units sustain at the clock the CPU actually runs. Used by
// bench/bert-encoder.ts for "% of peak". Build: gcc -O3 -march=native -fopenmp (at -O2 gcc keeps the
// accumulators in memory and measures half the peak). Prints GFLOP/s, then the vector width in bits.
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
static float sum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__FMA__) && defined(__AVX2__)
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
static float sum(vec v) {
  float out[8];
  _mm256_storeu_ps(out, v);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}
#else
#error "needs AVX-512 or AVX2 with FMA"
#endif

int main(void) {
  const long iters = 200000000L;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      vec a[12];
      const vec m = SET1(0.9999999f), c = SET1(1e-7f);
      for (int k = 0; k < 12; k++) a[k] = SET1((float)k);
      for (long i = 0; i < iters / 12; i++)
        for (int k = 0; k < 12; k++) a[k] = FMA(a[k], m, c);
      for (int k = 0; k < 12; k++) sink += sum(a[k]);
    }
    double secs = omp_get_wtime() - t0;
    double flops = (double)omp_get_max_threads() * (iters / 12) * 12 * LANES * 2;
    if (flops / secs > best) best = flops / secs;
    if (sink == 42.0f) printf("#");
  }
  printf("%.1f %d\n", best / 1e9, LANES * 32);
  return 0;
}

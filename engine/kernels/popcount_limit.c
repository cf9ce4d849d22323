/* popcount_limit.c: tight XOR + popcount + accumulate loops over L1-resident data, one per
 * ISA and method, timed to give the machine's binary-op throughput limit (G binary ops/s). */
#include "popcount_limit.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

#define NWORDS 512 /* 4 KiB stream: stays in L1 */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static _Alignas(64) uint64_t data[NWORDS + 64];
static volatile uint64_t sink;

/* Each loop returns a sum over all accumulators so nothing is optimised away.
 * "1 load / N ops": every loaded vector is XORed with N register-resident vectors (the conv
 * kernels reuse each broadcast input word against 2-4 weight vectors). */

/* Portable: whatever __builtin_popcountll compiles to without ISA flags (the scalar kernel). */
static uint64_t loop_scalar(long reps) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const uint64_t r0 = data[NWORDS], r1 = data[NWORDS + 1], r2 = data[NWORDS + 2], r3 = data[NWORDS + 3];
  for (long r = 0; r < reps; r++)
    for (int i = 0; i < NWORDS; i += 4) {
      a0 += (uint64_t)__builtin_popcountll(data[i] ^ r0);
      a1 += (uint64_t)__builtin_popcountll(data[i + 1] ^ r1);
      a2 += (uint64_t)__builtin_popcountll(data[i + 2] ^ r2);
      a3 += (uint64_t)__builtin_popcountll(data[i + 3] ^ r3);
    }
  return a0 + a1 + a2 + a3;
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static uint64_t loop_popcnt64(long reps) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const uint64_t r0 = data[NWORDS], r1 = data[NWORDS + 1], r2 = data[NWORDS + 2], r3 = data[NWORDS + 3];
  for (long r = 0; r < reps; r++)
    for (int i = 0; i < NWORDS; i += 4) {
      a0 += (uint64_t)_mm_popcnt_u64(data[i] ^ r0);
      a1 += (uint64_t)_mm_popcnt_u64(data[i + 1] ^ r1);
      a2 += (uint64_t)_mm_popcnt_u64(data[i + 2] ^ r2);
      a3 += (uint64_t)_mm_popcnt_u64(data[i + 3] ^ r3);
    }
  return a0 + a1 + a2 + a3;
}

#define T_AVX2 __attribute__((target("avx2,fma,popcnt")))
T_AVX2 static inline __m256i mula(__m256i x, __m256i lut, __m256i low4) {
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, low4)),
                         _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low4)));
}

/* Mula nibble-LUT popcount on ymm, 1 load / 4 ops, 8 byte accumulators folded by vpsadbw
 * every 16 steps. */
T_AVX2 static uint64_t loop_avx2_mula(long reps) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f), z = _mm256_setzero_si256();
  __m256i r[4], s[8];
  for (int j = 0; j < 4; j++) r[j] = _mm256_load_si256((const __m256i *)(data + NWORDS + 4 * j));
  for (int j = 0; j < 8; j++) s[j] = z;
  for (long rr = 0; rr < reps; rr++)
    for (int i = 0; i < NWORDS; i += 64) {
      __m256i b[8];
      for (int j = 0; j < 8; j++) b[j] = z;
      for (int j = 0; j < 64; j += 8) {
        const __m256i x0 = _mm256_load_si256((const __m256i *)(data + i + j));
        const __m256i x1 = _mm256_load_si256((const __m256i *)(data + i + j + 4));
        for (int q = 0; q < 4; q++) {
          b[q] = _mm256_add_epi8(b[q], mula(_mm256_xor_si256(x0, r[q]), lut, low4));
          b[4 + q] = _mm256_add_epi8(b[4 + q], mula(_mm256_xor_si256(x1, r[q]), lut, low4));
        }
      }
      for (int j = 0; j < 8; j++) s[j] = _mm256_add_epi64(s[j], _mm256_sad_epu8(b[j], z));
    }
  __m256i t = z;
  for (int j = 0; j < 8; j++) t = _mm256_add_epi64(t, s[j]);
  return (uint64_t)_mm256_extract_epi64(t, 0) + (uint64_t)_mm256_extract_epi64(t, 1) +
         (uint64_t)_mm256_extract_epi64(t, 2) + (uint64_t)_mm256_extract_epi64(t, 3);
}

/* What bconv3x3_avx2.c does: operands pre-split into nibbles (the broadcast word once, the 4
 * "weight" vectors ahead, read from L1), so an op is 2 XORs + 2 pshufb + 2 byte adds;
 * 2 broadcast words x 4 weight vectors per step, folded by vpsadbw every 16 steps. */
static _Alignas(32) uint64_t wsplit[32]; /* set in bnn_popcount_measure, opaque here */
T_AVX2 static uint64_t loop_avx2_nibbles(long reps) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f), z = _mm256_setzero_si256();
  const __m256i *w = (const __m256i *)wsplit;
  __m256i s = z;
  for (long rr = 0; rr < reps; rr++)
    for (int i = 0; i < NWORDS; i += 32) {
      __m256i b[8];
      for (int j = 0; j < 8; j++) b[j] = z;
      for (int j = 0; j < 32; j += 2)
        for (int h = 0; h < 2; h++) {
          const __m256i x = _mm256_set1_epi64x((long long)data[i + j + h]);
          const __m256i xl = _mm256_and_si256(x, low4);
          const __m256i xh = _mm256_and_si256(_mm256_srli_epi16(x, 4), low4);
          for (int q = 0; q < 4; q++) {
            const __m256i wl = _mm256_load_si256(w + q), wh = _mm256_load_si256(w + 4 + q);
            b[4 * h + q] = _mm256_add_epi8(b[4 * h + q], _mm256_shuffle_epi8(lut, _mm256_xor_si256(xl, wl)));
            b[4 * h + q] = _mm256_add_epi8(b[4 * h + q], _mm256_shuffle_epi8(lut, _mm256_xor_si256(xh, wh)));
          }
        }
      __m256i t = z;
      for (int j = 0; j < 8; j++) t = _mm256_add_epi64(t, _mm256_sad_epu8(b[j], z));
      s = _mm256_add_epi64(s, t);
    }
  return (uint64_t)_mm256_extract_epi64(s, 0) + (uint64_t)_mm256_extract_epi64(s, 1) +
         (uint64_t)_mm256_extract_epi64(s, 2) + (uint64_t)_mm256_extract_epi64(s, 3);
}

#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,popcnt")))
T_AVX512 static uint64_t reduce512(__m512i a) {
  return (uint64_t)_mm512_reduce_add_epi64(a);
}

/* zmm vpopcntq, 1 load / 1 op: 8 independent accumulators. */
T_AVX512 static uint64_t loop_avx512_l1(long reps) {
  const __m512i r = _mm512_load_si512((const void *)(data + NWORDS));
  __m512i a[8];
  for (int j = 0; j < 8; j++) a[j] = _mm512_setzero_si512();
  for (long rr = 0; rr < reps; rr++)
    for (int i = 0; i < NWORDS; i += 64)
      for (int j = 0; j < 8; j++)
        a[j] = _mm512_add_epi64(a[j], _mm512_popcnt_epi64(_mm512_xor_si512(
                                          _mm512_load_si512((const void *)(data + i + 8 * j)), r)));
  __m512i s = a[0];
  for (int j = 1; j < 8; j++) s = _mm512_add_epi64(s, a[j]);
  return reduce512(s);
}

/* zmm vpopcntq, 1 load / 4 ops: each loaded vector against 4 register vectors. */
T_AVX512 static uint64_t loop_avx512_reg(long reps) {
  __m512i r[4], a[8];
  for (int j = 0; j < 4; j++) r[j] = _mm512_load_si512((const void *)(data + NWORDS + 8 * j));
  for (int j = 0; j < 8; j++) a[j] = _mm512_setzero_si512();
  for (long rr = 0; rr < reps; rr++)
    for (int i = 0; i < NWORDS; i += 16) {
      const __m512i x0 = _mm512_load_si512((const void *)(data + i));
      const __m512i x1 = _mm512_load_si512((const void *)(data + i + 8));
      for (int j = 0; j < 4; j++) {
        a[j] = _mm512_add_epi64(a[j], _mm512_popcnt_epi64(_mm512_xor_si512(x0, r[j])));
        a[4 + j] = _mm512_add_epi64(a[4 + j], _mm512_popcnt_epi64(_mm512_xor_si512(x1, r[j])));
      }
    }
  __m512i s = a[0];
  for (int j = 1; j < 8; j++) s = _mm512_add_epi64(s, a[j]);
  return reduce512(s);
}
#endif

#if defined(__aarch64__)
/* vcnt bytes, byte accumulators folded with pairwise widening adds every 16 steps. */
static uint64_t loop_neon(long reps) {
  const uint64x2_t r0 = vld1q_u64(data + NWORDS), r1 = vld1q_u64(data + NWORDS + 2);
  uint64x2_t s0 = vdupq_n_u64(0), s1 = s0, s2 = s0, s3 = s0;
  for (long r = 0; r < reps; r++)
    for (int i = 0; i < NWORDS; i += 32) {
      uint8x16_t b0 = vdupq_n_u8(0), b1 = b0, b2 = b0, b3 = b0;
      for (int j = 0; j < 32; j += 4) {
        const uint64x2_t x0 = vld1q_u64(data + i + j), x1 = vld1q_u64(data + i + j + 2);
        b0 = vaddq_u8(b0, vcntq_u8(vreinterpretq_u8_u64(veorq_u64(x0, r0))));
        b1 = vaddq_u8(b1, vcntq_u8(vreinterpretq_u8_u64(veorq_u64(x0, r1))));
        b2 = vaddq_u8(b2, vcntq_u8(vreinterpretq_u8_u64(veorq_u64(x1, r0))));
        b3 = vaddq_u8(b3, vcntq_u8(vreinterpretq_u8_u64(veorq_u64(x1, r1))));
      }
      s0 = vpadalq_u32(s0, vpaddlq_u16(vpaddlq_u8(b0)));
      s1 = vpadalq_u32(s1, vpaddlq_u16(vpaddlq_u8(b1)));
      s2 = vpadalq_u32(s2, vpaddlq_u16(vpaddlq_u8(b2)));
      s3 = vpadalq_u32(s3, vpaddlq_u16(vpaddlq_u8(b3)));
    }
  const uint64x2_t s = vaddq_u64(vaddq_u64(s0, s1), vaddq_u64(s2, s3));
  return vgetq_lane_u64(s, 0) + vgetq_lane_u64(s, 1);
}
#endif

/* Time loop(reps) with reps grown until a run takes ~2 ms, then the fastest of the runs that
 * fit in `seconds` (short runs and the minimum, as the machine may be shared).
 * ops_per_rep: binary ops (bits XORed and counted) per repetition. */
static double measure(uint64_t (*loop)(long), double ops_per_rep, double seconds) {
  long reps = 1;
  double best;
  for (;;) {
    double t0 = now_s();
    sink += loop(reps);
    best = now_s() - t0;
    if (best > 0.002 || reps > (1L << 40)) break;
    reps *= 2;
  }
  for (int i = 0, n = (int)(seconds / best) + 3; i < n; i++) {
    double t0 = now_s();
    sink += loop(reps);
    double dt = now_s() - t0;
    if (dt < best) best = dt;
  }
  return ops_per_rep * (double)reps / best * 1e-9;
}

int bnn_popcount_measure(bnn_popcount_variant *v, int max, double seconds) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < NWORDS + 64; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data[i] = x;
  }
  for (int j = 0; j < 16; j++) {
    wsplit[j] = data[NWORDS + j] & 0x0f0f0f0f0f0f0f0full;
    wsplit[16 + j] = (data[NWORDS + j] >> 4) & 0x0f0f0f0f0f0f0f0full;
  }
  int n = 0;
#define ADD(nm, is, loop, ops)                                                                   \
  if (n < max) v[n].name = nm, v[n].isa = is, v[n].gops = measure(loop, ops, seconds), n++;
  ADD("scalar: __builtin_popcountll, baseline flags", BNN_ISA_SCALAR, loop_scalar, 64.0 * NWORDS);
#if defined(__x86_64__)
  if (bnn_isa_supported(BNN_ISA_AVX2)) {
    ADD("avx2: 64-bit popcnt instruction", BNN_ISA_AVX2, loop_popcnt64, 64.0 * NWORDS);
    ADD("avx2: ymm Mula pshufb + vpsadbw, 1 load / 4 ops", BNN_ISA_AVX2, loop_avx2_mula,
        4.0 * 64.0 * NWORDS);
    ADD("avx2: ymm nibble-split pshufb, 1 bcast / 4 ops", BNN_ISA_AVX2, loop_avx2_nibbles,
        4.0 * 256.0 * NWORDS); /* every word broadcast against 4 x 256 bits */
  }
  if (bnn_isa_supported(BNN_ISA_AVX512)) {
    ADD("avx512: zmm vpopcntq, 1 load / 1 op", BNN_ISA_AVX512, loop_avx512_l1, 64.0 * NWORDS);
    ADD("avx512: zmm vpopcntq, 1 load / 4 ops", BNN_ISA_AVX512, loop_avx512_reg,
        4.0 * 64.0 * NWORDS);
  }
#endif
#if defined(__aarch64__)
  ADD("neon: vcnt + pairwise widening adds, 1 load / 2 ops", BNN_ISA_NEON, loop_neon,
      2.0 * 64.0 * NWORDS);
#endif
#undef ADD
  return n;
}

double bnn_popcount_limit_of(const bnn_popcount_variant *v, int n, bnn_isa isa) {
  double best = 0;
  for (int i = 0; i < n; i++)
    if (v[i].isa == isa && v[i].gops > best) best = v[i].gops;
  return best;
}

/* SSE differential tests: the seeded RNG and the operand value classes
 * (floats biased to zeros, denormals, infinities, NaNs with payloads,
 * SNaNs, max/min, halves and integer/overflow boundaries; integers to the
 * saturation edges; strings from a small alphabet with NULs ...). */
#include <string.h>
#include "tests/unit/sse_diff.h"

uint64_t rng_s;

/* ---- value classes ---------------------------------------------------------- */
uint32_t gen_f32(void) {
  static const uint32_t edge[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000,
    0x3f000000, 0xbf000000, 0x00000001, 0x007fffff, 0x80400000, 0x00800000,
    0x80800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
    0x7fc12345, 0xffc00001, 0xffc00000, 0x7f800001, 0x7fa00000, 0xff812345,
    0x4b000000, 0x4afffffe, 0x4b7fffff, 0x4f000000, 0xcf000000, 0x4effffff,
    0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0x3effffff, 0x3f7fffff,
    0x1f800000, 0x20000000, 0x0c000000, 0x72800000};
  uint32_t s = (uint32_t)(rnd() & 0x80000000u);
  switch (rn(16)) {
  case 0: case 1: return edge[rn(sizeof edge / 4)];
  case 2: return (uint32_t)rnd();
  case 3: return s | (uint32_t)(rnd() & 0x007fffff);                 /* denormal */
  case 4: { float f = (float)((int64_t)(rnd() >> rn(64))) + (rn(2) ? 0.5f : 0.0f);
            uint32_t x; memcpy(&x, &f, 4); return x ^ s; }
  case 5: return s | (uint32_t)((1 + rn(24)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* tiny */
  case 6: return s | (uint32_t)((230 + rn(24)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* huge */
  case 7: return s | (0x4e800000u + (uint32_t)rn(0x1000000)) ;        /* near 2^30..2^32 */
  case 8: return s | (0x5e800000u + (uint32_t)rn(0x1000000));         /* near 2^62..2^64 */
  default: return s | (uint32_t)((97 + rn(60)) << 23) | (uint32_t)(rnd() & (rn(2) ? 0x7fffff : 0x7f0000));
  }
}
uint64_t gen_f64(void) {
  static const uint64_t edge[] = {
    0, 1ull << 63, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3ff8000000000000ull,
    0x4004000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull, 1,
    0x000fffffffffffffull, 0x8008000000000000ull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff8000012345678ull,
    0xfff8000000000001ull, 0xfff8000000000000ull, 0x7ff0000000000001ull,
    0x7ff4000000000000ull, 0xfff0000012345678ull, 0x4330000000000000ull,
    0x432fffffffffffffull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0x41dfffffffe00000ull,
    0x43e0000000000000ull, 0xc3e0000000000000ull, 0x43dfffffffffffffull,
    0x47efffffe0000000ull, 0x47efffff00000000ull, 0x36a0000000000000ull,
    0x3810000000000000ull, 0x380fffffffffffffull, 0x47f0000000000000ull};
  uint64_t s = rnd() & (1ull << 63);
  switch (rn(16)) {
  case 0: case 1: return edge[rn(sizeof edge / 8)];
  case 2: return rnd();
  case 3: return s | (rnd() & 0x000fffffffffffffull);
  case 4: { double f = (double)((int64_t)(rnd() >> rn(64))) + (rn(2) ? 0.5 : 0.0);
            uint64_t x; memcpy(&x, &f, 8); return x ^ s; }
  case 5: return s | (uint64_t)(1 + rn(60)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 6: return s | (uint64_t)(1990 + rn(57)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 7: return s | (uint64_t)(1023 + 29 + rn(4)) << 52 | (rnd() & 0x000fffffffffffffull >> rn(52));
  case 8: return s | (uint64_t)(1023 + 61 + rn(4)) << 52 | (rnd() & 0x000fffffffffffffull >> rn(52));
  case 9: /* float-range edges for CVTSD2SS */
    return s | (uint64_t)(1023 - 150 + rn(30)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 10:
    return s | (uint64_t)(1023 + 120 + rn(10)) << 52 | (rnd() & 0x000fffffffffffffull);
  default: return s | (uint64_t)(1023 - 40 + rn(80)) << 52 |
                  (rnd() & (rn(2) ? 0x000fffffffffffffull : 0x000ff00000000000ull));
  }
}
uint64_t gen_int(unsigned esz) {
  unsigned bits = esz * 8;
  uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1, top = 1ull << (bits - 1);
  switch (rn(8)) {
  case 0: { static const int64_t e[] = {0, 1, -1, 2, -2};
            return (uint64_t)e[rn(5)] & m; }
  case 1: return top;                                  /* min */
  case 2: return (top - 1) & m;                        /* max */
  case 3: return (top + 1 - rn(3)) & m;
  case 4: return (rnd() >> rn(64)) & m;
  case 5: return (0 - (rnd() >> rn(64))) & m;
  default: return rnd() & m;
  }
}
void gen_vec(xmm_t *v, int cls) {
  static const uint8_t alpha8[] = {'a', 'b', 'c', 'd', 'a', 'b', 0x80, 0xff, 0x7f, 1, 'A', 'z', 0x81};
  static const uint16_t alpha16[] = {'a', 'b', 'c', 0x8000, 0xffff, 0x7fff, 0x0161, 'a', 0x6100};
  switch (cls) {
  case V_F32: for (int k = 0; k < 4; k++) v->d[k] = gen_f32(); break;
  case V_F64: for (int k = 0; k < 2; k++) v->q[k] = gen_f64(); break;
  case V_I8: for (int k = 0; k < 16; k++) v->b[k] = (uint8_t)gen_int(1); break;
  case V_I16: for (int k = 0; k < 8; k++) v->w[k] = (uint16_t)gen_int(2); break;
  case V_I32: for (int k = 0; k < 4; k++) v->d[k] = (uint32_t)gen_int(4); break;
  case V_I64: for (int k = 0; k < 2; k++) v->q[k] = gen_int(8); break;
  case V_STR8:
    for (int k = 0; k < 16; k++) v->b[k] = rn(20) ? alpha8[rn(sizeof alpha8)] : 0;
    if (rn(3) == 0) memset(v->b + rn(16), 'a', 1);
    break;
  case V_STR16:
    for (int k = 0; k < 8; k++) v->w[k] = rn(12) ? alpha16[rn(sizeof alpha16 / 2)] : 0;
    break;
  case V_SH:
    v->q[0] = rn(2) ? rn(72) : gen_int(8);
    v->q[1] = rnd();
    if (rn(2)) for (int k = 0; k < 8; k++) v->w[k] = (uint16_t)gen_int(2);
    break;
  default:
    v->q[0] = rnd(); v->q[1] = rnd();
    if (rn(4) == 0) { v->d[rn(4)] = gen_f32(); v->q[rn(2)] = gen_f64(); }
    break;
  }
}
void share(xmm_t *v, int n) {
  for (int t = 0; t < 8; t++) {
    xmm_t *a = &v[rn(n)], *b = &v[rn(n)];
    switch (rn(4)) {
    case 0: a->d[rn(4)] = b->d[rn(4)]; break;
    case 1: a->q[rn(2)] = b->q[rn(2)]; break;
    case 2: { unsigned o = rn(16), l = 1 + rn(6); if (o + l > 16) l = 16 - o;
              unsigned p = rn(16 - l + 1); memmove(a->b + p, b->b + o, l); break; }
    default: { unsigned k = rn(4); a->d[k] = b->d[k] + (uint32_t)rn(3) - 1; break; }
    }
  }
}

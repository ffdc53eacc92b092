/* Differential tests: memory set-up shared by the native and interpreter
 * sides (both call these on their own copy of the data area, so the
 * initial memory is identical byte for byte). */
#include "tests/unit/int_diff.h"
#include <string.h>

static void fill_rand(uint8_t *p, size_t n, uint64_t s) {
  s = s * 0x9E3779B97F4A7C15ull + 0x1234567ull;
  if (!s) s = 1;
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    uint64_t v = id_rng(&s);
    memcpy(p + k, &v, 8);
  }
  if (k < n) {
    uint64_t v = id_rng(&s);
    memcpy(p + k, &v, n - k);
  }
}

void id_fill_area(uint8_t *area, uint32_t seed) {
  fill_rand(area, FX_DATA_SIZE, (uint64_t)seed << 20 | 0xA5);
}

void id_fill_case(uint8_t *area, const struct id_case *c) {
  fill_rand(area + ID_DWIN_OFF, ID_DWIN_LEN, (uint64_t)c->mseed * 3 + 1);
  fill_rand(area + ID_SWIN_OFF, ID_SWIN_LEN, (uint64_t)c->mseed * 3 + 2);
  if (c->xoff >= 0) fill_rand(area + c->xoff, ID_XWIN_LEN, (uint64_t)c->mseed * 3 + 3);
  for (unsigned k = 0; k < c->nmop; k++) {
    const struct id_mop *m = &c->mop[k];
    switch (m->kind) {
    case MOP_SET:
      memcpy(area + m->off, &m->val, m->esz);
      break;
    case MOP_REP:
      for (unsigned e = 0; e < m->n; e++) memcpy(area + m->off + e * m->esz, &m->val, m->esz);
      break;
    case MOP_COPY:
      memmove(area + m->off, area + m->off2, m->n);
      break;
    default:
      break;
    }
  }
}

void id_grab(const uint8_t *area, const struct id_case *c, struct id_result *r) {
  memcpy(r->dwin, area + ID_DWIN_OFF, ID_DWIN_LEN);
  memcpy(r->swin, area + ID_SWIN_OFF, ID_SWIN_LEN);
  if (c->xoff >= 0) memcpy(r->xwin, area + c->xoff, ID_XWIN_LEN);
  else memset(r->xwin, 0, ID_XWIN_LEN);
}

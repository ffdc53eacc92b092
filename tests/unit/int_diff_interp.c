/* Differential tests: the interpreter side (cpu_fixture bare machine). */
#include "tests/unit/int_diff.h"
#include "cpu-x86/cpu.h"
#include <stdlib.h>
#include <string.h>

struct id_interp { struct fx *f; };

struct id_interp *id_interp_new(void) {
  struct id_interp *ip = calloc(1, sizeof *ip);
  ip->f = fx_new();
  fx_map(ip->f, FX_CODE + 0x1000, PTE_P | PTE_U);   /* a second code page */
  return ip;
}

void id_interp_free(struct id_interp *ip) {
  fx_free(ip->f);
  free(ip);
}

/* Host pointer of a mapped guest address (4-level walk of the fixture's
 * page tables). */
static uint8_t *host_of(struct vcpu *c, uint64_t va) {
  uint64_t t = c->ctl.cr3 & PTE_ADDR;
  for (int level = 4; level >= 1; level--) {
    uint64_t e = ((uint64_t *)mem_host(c->mmu->mem, t))[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(e & PTE_P)) return NULL;
    t = e & PTE_ADDR;
  }
  return mem_host(c->mmu->mem, t) + (va & 0xfff);
}

/* Like fx_exec (code at FX_CODE, UD2 after it marks the end), without its
 * replacement of RSP = 0: a register operand may well be 0 in RSP. */
static int exec_code(struct vcpu *c, uint8_t *page[2], unsigned cofs, const uint8_t *code, size_t len) {
  uint8_t buf[ID_MAXCODE + 2];
  memcpy(buf, code, len);
  buf[len] = 0x0F;
  buf[len + 1] = 0x0B;
  memset(page[0], 0x90, 64);
  for (size_t k = 0; k < len + 2; k++) {
    size_t o = cofs + k;
    page[o >> 12][o & 0xfff] = buf[k];
  }
  cpu_invalidate_frame(c, (uint64_t)(page[0] - c->mmu->mem->host));
  cpu_invalidate_frame(c, (uint64_t)(page[1] - c->mmu->mem->host));
  c->rip = FX_CODE + cofs;
  c->icount_stop = c->icount + 100000;
  int r = cpu_run(c);
  if (r == CPU_EXIT_EXCEPTION && c->exc.vector == EXC_UD && c->exc.rip == FX_CODE + cofs + len)
    return CPU_EXIT_HLT;
  return r;
}

void id_interp_batch(struct id_interp *ip, const struct id_case *cs, size_t n,
                     struct id_result *res, uint32_t area_seed, uint8_t *area_out) {
  struct vcpu *c = fx_cpu(ip->f);
  uint8_t *area = fx_data(ip->f);
  uint8_t *page[2] = {host_of(c, FX_CODE), host_of(c, FX_CODE + 0x1000)};
  id_fill_area(area, area_seed);
  for (size_t k = 0; k < n; k++) {
    const struct id_case *t = &cs[k];
    struct id_result *r = &res[k];
    id_fill_case(area, t);
    memcpy(c->r, t->r, 128);
    c->r[R_ZERO] = 0;
    cpu_set_rflags(c, t->fl);
    int x = exec_code(c, page, t->cofs, t->code, t->len);
    memcpy(r->r, c->r, 128);
    r->fl = cpu_get_rflags(c);
    if (x == CPU_EXIT_HLT) {
      r->outcome = 0;
      r->rip = 0;
    } else if (x == CPU_EXIT_EXCEPTION) {
      r->outcome = ID_FAULT | c->exc.vector;
      r->rip = c->exc.rip;
    } else {
      r->outcome = ID_CRASH | 0x800 | (uint32_t)x;
      r->rip = c->rip;
    }
    id_grab(area, t, r);
  }
  if (area_out) memcpy(area_out, area, FX_DATA_SIZE);
}

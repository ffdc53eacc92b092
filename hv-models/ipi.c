/* --cpus N: what a mode needs of the other vCPUs.  The host runs one vCPU
 * at a time (sim/smp.c); a cross-CPU flush switches the machine to each
 * target for its handler, so the handler's steps, exits and TLB work are
 * that vCPU's, on its own clock, and switches back. */
#include "hv-models/hv.h"

int hv_on_cpu(struct hv *h, int j) {
  int me = h->this_cpu;
  if (j != me) h->on_cpu(h->on_cpu_ctx, j);
  return me;
}

void hv_local_flush(struct hv *h, uint64_t va, bool all) {
  if (all) {
    tlb_flush_guest(&h->cpu->tlb);
    if (h->mmu->pwc) pwc_flush(h->mmu->pwc);
  } else {
    tlb_flush_va(&h->cpu->tlb, va);    /* every PCID: the KPTI pair too */
    if (h->mmu->pwc) pwc_flush_va(h->mmu->pwc, va);
  }
}

void hv_ipi_flush(struct hv *h, const int *targets, int n, uint64_t va, bool all,
                  int send, int flush, int wait) {
  for (int i = 0; i < n; i++) {
    hv_step(h, send, 0, (uint64_t)targets[i], 0);
    h->sd.ipis_sent++;
  }
  for (int i = 0; i < n; i++) {        /* each handler on its target, at once */
    int me = hv_on_cpu(h, targets[i]);
    hv_begin(h, flush, all ? 0 : va, all);
    hv_local_flush(h, va, all);
    hv_end(h, 0);
    h->sd.ipis_received[targets[i]]++;
    h->sd.remote_flushes++;
    hv_on_cpu(h, me);
  }
  hv_step(h, wait, 0, (uint64_t)n, 0);  /* until the last acknowledgement */
}

bool hv_cpu_holds(struct hv *h, int j, uint64_t va, uint64_t pages) {
  int me = hv_on_cpu(h, j);
  bool holds = false;
  for (uint64_t p = 0; p < pages && !holds; p++) holds = tlb_holds_va(&h->cpu->tlb, va + p * 4096);
  hv_on_cpu(h, me);
  return holds;
}

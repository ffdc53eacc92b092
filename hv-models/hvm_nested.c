/* hvm-nested: hardware-assisted paging (EPT on --cpu intel, NPT on amd).
 * The guest kernel's page tables hold guest-physical addresses; the MMU
 * translates every guest-physical reference of a walk through the nested
 * tables (mmu/nested.c).  A guest #PF goes straight to the guest's handler
 * with no exit.  Touching a guest-physical page the nested tables do not
 * map yet exits (EPT violation, basic reason 48 / #NPF, EXITCODE 0x400):
 * the hypervisor has the host back the page and fills the entry, then
 * resumes the guest (KVM's tdp page fault).
 *
 * Backing: guest-physical page X is backed by machine page X (the
 * hypervisor's choice of host frame changes nothing the model measures but
 * cache placement); nested tables come from the hypervisor pool.  The host
 * zeroing of a first-touched page is charged (host.backing) but not done to
 * memory: pages a device model wrote straight into guest RAM (the page
 * cache's reads) keep their contents, as with a real virtio backend. */
#include "hv-models/hvm.h"
#include <stddef.h>
#include "mmu/cache.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define EPT_RWX 7ull
#define EPT_WB (6ull << 3)          /* memory type write-back (SDM 29.3.7) */
#define EPT_LARGE (1ull << 7)

struct hvm_nested {
  struct hvm x;
  /* the nested tables are the VM's; each vCPU has its own VMCS, nested
   * TLB and nested walk caches (the running one's: mmu->nested) */
  struct nested n[HV_MAX_CPUS];
  struct pwc npwc[HV_MAX_CPUS];
  struct hvm_cpus cpus;
  bool fill_2m, backing;
};
_Static_assert(offsetof(struct hvm_nested, x) == 0, "hvm_remote_flush finds struct hvm at priv");

/* entry bits for a non-leaf / leaf nested entry in the vendor's format */
static uint64_t nt_table_bits(const struct hv *h) {
  return hvm_is_amd(h) ? PTE_P | PTE_W | PTE_U : EPT_RWX;
}
static uint64_t nt_leaf_bits(const struct hv *h, bool large) {
  if (hvm_is_amd(h)) return PTE_P | PTE_W | PTE_U | (large ? PTE_PS : 0);
  return EPT_RWX | EPT_WB | (large ? EPT_LARGE : 0);
}

/* EPT violation / #NPF: fill the nested tables for the faulting
 * guest-physical page and resume. */
static int nested_fault(struct hv *h, uint64_t gla, uint32_t acc) {
  struct hvm_nested *s = h->priv;
  struct nested *n = h->mmu->nested;
  struct vcpu *c = h->cpu;
  struct machine_mem *mem = h->mmu->mem;
  uint64_t gpa = n->fault_gpa;
  struct virt_npf f = {
    .access = (n->fault_access & ACC_F) ? VIRT_ACC_FETCH : (n->fault_access & ACC_W) ? VIRT_ACC_WRITE : VIRT_ACC_READ,
    .perms = (uint8_t)((n->fault_perm & TP_U ? VIRT_PERM_R : 0) | (n->fault_perm & TP_W ? VIRT_PERM_W : 0) |
                       (n->fault_perm & TP_X ? VIRT_PERM_X : 0)),
    .user = (acc & ACC_U) != 0, .rsvd = n->fault_rsvd, .gla_valid = true,
    .final = n->fault_final, .gpa = gpa, .gla = gla,
  };
  n->fault = false;
  virt_record_npf_exit(&s->x.virt, &f, 0);
  /* the fault's header shows the access kind (the qualification /
   * EXITINFO1 is in the VMCS/VMCB model) */
  hv_begin(h, EV_S_FAULT, gla, acc & (ACC_W | ACC_U | ACC_F));
  hv_fault_kind(h, EV_K_NESTED_FILL, false);
  hvm_exit(h, &s->x);
  int sig = 0;
  if (f.rsvd || f.perms || gpa >= mem->ram_bytes + mem->pool_bytes) {
    /* a misconfiguration or a permission violation cannot come from the
     * tables this hypervisor writes; an address beyond memory is MMIO the
     * model has no device for: the VM dies, as KVM_RUN would report */
    sig = SIGBUS;
    hv_fault_kind(h, EV_K_NESTED_FATAL, false);
    goto out;
  }
  bool large = s->fill_2m && (gpa & ~0x1fffffull) + 0x200000 <= mem->ram_bytes + mem->pool_bytes;
  int leaf_level = large ? 2 : 1, level;
  uint64_t page = gpa & ~(pt_span(leaf_level) - 1), cyc = 0;
  /* KVM's tdp fault: walk the nested tables down to the leaf, creating
   * missing tables, have the host back the page, write the leaf */
  hv_begin(h, EV_S_NESTED_FILL, page, (uint64_t)leaf_level);
  struct hv_pt x = {.h = h, .cyc = &cyc, .table_bits = nt_table_bits(h), .alloc_step = EV_S_NESTED_PT_ALLOC};
  struct pt_ops o;
  hv_pt_ops(&x, &o, hvm_is_amd(h) ? PTE_P : EPT_RWX, true);
  int levels = (n->ctl.cr4 & CR4_LA57) ? 5 : 4;
  uint64_t leaf = pt_descend(&o, n->ctl.cr3 & PTE_ADDR, levels, gpa, leaf_level, &level, NULL);
  for (int l = 0; l < 5; l++) h->st.counter[HV_C_NESTED_TABLES] += x.created[l];
  if (!leaf || level != leaf_level) {
    hv_end(h, cyc);
    sig = SIGKILL;
    hv_fault_kind(h, EV_K_NESTED_FATAL, false);
    goto out;
  }
  if (s->backing) {
    /* the host's fault on the guest RAM mapping: allocate and zero */
    uint64_t pages = large ? 512 : 1, bcyc = 0;
    hv_begin(h, EV_S_HOST_BACKING, page, pages);
    if (c->dcache) bcyc += cache_access_range(c->dcache, page, large ? 0x200000 : 4096, true);
    hv_end_n(h, bcyc, pages);
  }
  hv_write64(h, leaf, page | nt_leaf_bits(h, large), &cyc);   /* backing: host page = guest page */
  h->st.counter[HV_C_NESTED_FILLS]++;
  hv_end(h, cyc);
out:
  hvm_entry(h, &s->x);
  hv_end(h, 0);
  return sig;
}

static int hvm_nested_init(struct hv *h) {
  struct hvm_nested *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  if (hvm_init(h, &s->x)) return -1;
  bool amd = hvm_is_amd(h);
  if (hv_mem_init(h, HV_DIRECT_MAP)) return -1;
  uint64_t root = mem_pool_alloc(h->mmu->mem);
  if (!root) { snprintf(h->error, sizeof h->error, "no pool page for the EPT/NPT root (raise guest.pool_mib)"); return -1; }
  int levels = (int)hv_param(h, "nested.levels");
  if (levels != 4 && levels != 5) {
    snprintf(h->error, sizeof h->error, "nested.levels must be 4 or 5, not %d", levels);
    return -1;
  }
  bool ad = hv_param(h, "nested.ept_ad") != 0;
  for (int i = 0; i < h->ncpus; i++) {
    struct nested *n = &s->n[i];
    n->fmt = amd ? &walk_format_x86 : ad ? &walk_format_ept_ad : &walk_format_ept;
    n->ctl.cr0 = CR0_PG | CR0_WP;
    n->ctl.cr4 = CR4_PAE | (levels == 5 ? CR4_LA57 : 0);
    n->ctl.efer = EFER_NXE;
    n->ctl.maxphyaddr = h->cpu->ctl.maxphyaddr;
    /* EPTP: memory type WB (bits 2:0 = 6), walk length - 1 in 5:3, A/D in
     * bit 6 (SDM 24.6.11); nCR3 is a plain table address (APM 15.25.4) */
    n->ctl.cr3 = root | (amd ? 0 : 6 | (uint64_t)(levels - 1) << 3 | (ad ? 1u << 6 : 0));
    n->gpt_write = amd || ad;
    if (nested_init(n, (uint32_t)hv_param(h, "nested.tlb.entries"))) return -1;
    if (hv_param(h, "nested.pwc") && h->mmu->pwc) {
      uint32_t ent[6];
      for (int l = 0; l < 6; l++) ent[l] = h->mmu->pwc->lv[l].entries;
      if (pwc_init(&s->npwc[i], h->mmu->pwc->kind, ent, h->mmu->pwc->hit_latency)) return -1;
      n->pwc = &s->npwc[i];
    }
  }
  if (amd) { s->x.virt.vmcb.np_enable = true; s->x.virt.vmcb.ncr3 = root; }
  else { s->x.virt.vmcs.enable_ept = true; s->x.virt.vmcs.eptp = s->n[0].ctl.cr3; }
  s->fill_2m = hv_param(h, "nested.fill_2m") != 0;
  s->backing = hv_param(h, "nested.host_backing") != 0;
  h->mmu->nested = &s->n[0];
  hvm_cpus_init(h, &s->cpus, &s->x);
  return 0;
}

static void nested_select_cpu(struct hv *h, int from, int to) {
  struct hvm_nested *s = h->priv;
  hvm_select_cpu(&s->cpus, &s->x, from, to);
  h->mmu->nested = &s->n[to];
}

/* before the stats: every vCPU's nested walks and NTLB counts in the one
 * the stats read */
static void nested_finish(struct hv *h) {
  struct hvm_nested *s = h->priv;
  struct nested *cur = h->mmu->nested;
  for (int i = 0; i < h->ncpus; i++) {
    struct nested *n = &s->n[i];
    if (n == cur) continue;
    cur->walks += n->walks; cur->refs += n->refs;
    cur->ntlb_hits += n->ntlb_hits; cur->ntlb_misses += n->ntlb_misses;
    n->walks = n->refs = n->ntlb_hits = n->ntlb_misses = 0;
  }
}

static void nested_ipi_send(struct hv *h, int target) { hvm_ipi_send(h, h->priv, target); }
static void nested_ipi_receive(struct hv *h, bool eoi) { hvm_ipi_receive(h, h->priv, eoi); }

static void nested_fini_mode(struct hv *h) {
  struct hvm_nested *s = h->priv;
  if (!s) return;
  int n = h->ncpus > 0 ? h->ncpus : 1;
  if (h->mmu && h->mmu->nested >= &s->n[0] && h->mmu->nested < &s->n[n]) h->mmu->nested = NULL;
  for (int i = 0; i < n; i++) {
    nested_fini(&s->n[i]);
    pwc_fini(&s->npwc[i]);
  }
  free(s);
  h->priv = NULL;
}

const struct hv_mode hv_mode_hvm_nested = {
  .name = "hvm-nested",
  .doc = "HVM with EPT (intel) / NPT (amd): guest #PF handled in the guest, EPT violation/#NPF on first touch",
  .init = hvm_nested_init,
  .page_fault = linux_guest_pf,
  .nested_fault = nested_fault,
  .select_cpu = nested_select_cpu,
  .ipi_send = nested_ipi_send,
  .ipi_receive = nested_ipi_receive,
  .flush_on_entry = hvm_flush_on_entry,
  .finish = nested_finish,
  .fini = nested_fini_mode,
  .params = hvm_params,
};

/* vkernel: DragonFly BSD's virtual kernel (seeds 000 and 001, Matthew
 * Dillon).  Three layers: the real (host) kernel, the vkernel — a host user
 * process whose "RAM" is a memory-mapped file (--mem) — and the virtual
 * user processes it runs (the guest binary).
 *
 * The vkernel's page tables (vPTEs) live in its RAM; the CPU walks real
 * page tables, the host's pmap for each vmspace, which the host fills on
 * demand from the vPTEs (vm_fault -> vm_fault_vpagetable):
 *  (I) a fault in a virtual user process: the host walks the vPTEs (reads
 *      through the MMU, setting VPTE_A, and VPTE_M on writes, at every
 *      level with compare-and-set); a valid vPTE: the host installs the
 *      real PTE and resumes.  An invalid vPTE (or a write without VPTE_RW,
 *      a fetch with VPTE_NX): the host returns from the vkernel's
 *      vmspace_ctl(VMSPACE_CTL_RUN) with the trap frame; the vkernel's trap
 *      handler (the Linux handler of native.c, in the vkernel layer)
 *      allocates in its RAM and writes the vPTE; vmspace_ctl re-enters; the
 *      retry faults in the host again and now resolves from the vPTE.
 * (II) a fault of the vkernel itself inside its VPAGETABLE submap (its
 *      kernel virtual memory, here its direct map of RAM, whose vPTEs it
 *      fills lazily when vkernel.kvm_lazy=1): the host sends SIGSEGV; the
 *      vkernel's handler reads the ucontext, writes its own vPTE; sigreturn;
 *      retry.
 * M bit: the host maps a page read-only until a write sets VPTE_M, so the
 * first write after a read faults in the host only.  vPTE changes reach the
 * host as vmspace_mcontrol(MADV_INVAL) (the vkernel's INVLPG and flushes).
 * The vkernel's prefault heuristic (vkernel.prefault pages: Dillon: "needs
 * to be beefed up") fills vPTEs ahead; the host never prefaults
 * VPAGETABLE mappings, so each prefilled page still costs a host fault.
 *
 * Modeled vs not: RAM-file page X is machine page X.  One hardware address
 * space holds both the vmspace's user half and the vkernel's half (the
 * vkernel half is supervisor-only), with one host pmap per vmspace whose
 * vkernel half is shared; a vkernel <-> user transition is charged as the
 * host's vmspace switch.  vPTE bits are x86's (V = P, RW = W, M = D). */
#include "hv-models/hvm.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_TABLE (PTE_P | PTE_W | PTE_U | PTE_A)

/* No fault cost of the vkernel has been published (CALIBRATION.md): each
 * step is derived from the host operation it stands for. */
const struct fl_param_def vkernel_params[] = {
  {"vkernel.host_trap", 150, "cycles", "host trap entry", "derived: as native.kernel_entry"},
  {"vkernel.host_vm_fault", 300, "cycles", "host vm_fault: map entry lookup, VPAGETABLE object", "derived"},
  {"vkernel.host_vpagetable", 40, "cycles/level", "host vm_fault_vpagetable per level (CAS of A/M) besides its read", "derived"},
  {"vkernel.host_pmap_enter", 250, "cycles", "host installs the real PTE in the vmspace's pmap", "derived"},
  {"vkernel.host_mbit", 150, "cycles", "host sets VPTE_M and upgrades a read-only mapping", "derived"},
  {"vkernel.host_vmspace_return", 1200, "cycles", "host returns from vmspace_ctl with the trap frame: context switch to the vkernel",
   "derived: a syscall return plus a pmap switch"},
  {"vkernel.vmspace_ctl", 1200, "cycles", "vkernel's vmspace_ctl(VMSPACE_CTL_RUN): syscall, pmap switch, resume", "derived"},
  {"vkernel.host_sigsegv", 1500, "cycles", "host delivers SIGSEGV to the vkernel (siginfo, ucontext)", "derived: as native.signal"},
  {"vkernel.sighandler", 300, "cycles", "vkernel's SIGSEGV handler: read the ucontext, write its vPTE", "derived"},
  {"vkernel.host_sigreturn", 800, "cycles", "sigreturn to the faulting vkernel context", "derived"},
  {"vkernel.host_ipi_send", 300, "cycles", "--cpus: the host's IPI to another real CPU running the vmspace (MADV_INVAL)",
   "estimate: as native.ipi_send"},
  {"vkernel.host_ipi_flush", 1000, "cycles", "--cpus: that CPU's host invalidation handler (its own cycles)",
   "estimate: as native.tlb_ipi_flush"},
  {"vkernel.host_ipi_wait", 1500, "cycles", "--cpus: the host waits for the other CPUs' acknowledgements",
   "estimate: as native.ipi_wait (Amit, USENIX ATC'17)"},
  {"vkernel.mcontrol", 700, "cycles", "vkernel's vmspace_mcontrol/madvise(MADV_INVAL) syscall", "derived: a syscall"},
  {"vkernel.host_pmap_remove", 150, "cycles/page", "host removes a real PTE (per page)", "derived"},
  {"vkernel.vmspace_create", 3000, "cycles", "vmspace_create + vmspace_mmap(MAP_VPAGETABLE) + vmspace_mcontrol(MADV_SETMAP)",
   "derived: three syscalls and a pmap"},
  {"vkernel.switch", 600, "cycles", "a vkernel <-> virtual-user transition besides faults (syscalls)", "derived"},
  {"vkernel.vpte_fix", 300, "cycles", "vkernel handles a refused vPTE (rewrites it)", "derived"},
  {"vkernel.prefault", 0, "pages", "anonymous pages the vkernel fills ahead on a write fault (0: none, as Linux)",
   "seed 000: the heuristic 'needs to be beefed up'"},
  {"vkernel.kvm_lazy", 1, "bool", "the vkernel fills the vPTEs of its own direct map on demand (path II)", "seed 001 path (II)"},
  {"vkernel.inject_bad_vpte", 0, "count", "fault injection: the Nth resolved user fault leaves a vPTE beyond the RAM file (0: off)",
   "test hook: the host's object-size check must refuse it"},
  {NULL, 0, NULL, NULL, NULL},
};

struct vmspace { uint64_t vpt_root, pmap; };

struct vkernel {
  struct hv *h;
  struct vmspace *vs;
  int nvs, capvs;
  uint64_t kernel_l3[2];     /* shared host tables of the vkernel half (its direct
                                map's and its text's PML4 slots) */
  uint64_t cur_vpt;          /* the vmspace running (its vPT root) */
  uint64_t cur_pmap;
  bool kvm_lazy;
  uint64_t kpdpt;            /* the vkernel's vPT page for its direct map */
  uint64_t *dmap_saved;      /* its entries, withheld until first use */
  uint64_t pending_page;     /* a path-(I) fault the retry must refault */
  bool pending;
  uint64_t inj_n, resolved, bad_page, bad_vpte_pa, bad_vpte_good;
  uint64_t switch_cost;      /* vkernel.switch */
  /* --cpus: the vkernel's vCPUs are host threads; each runs its own
   * vmspace (swapped in by select_cpu) */
  struct { uint64_t cur_vpt, cur_pmap, pending_page; bool pending; } saved[HV_MAX_CPUS];
};

#define VK_CTR(h, c) ((h)->st.counter[HV_C_##c]++)

/* The host kernel's own address space: DragonFly's direct map (DMAP). */
#define HOST_DMAP 0xfffff80000000000ull

/* ---- the host's pmap: one 4-level tree per vmspace, vkernel half shared;
 * the host kernel reads and writes it through its own address space ---- */
static uint64_t pmap_new(struct vkernel *s, uint64_t *cyc) {
  struct hv *h = s->h;
  uint64_t root = mem_pool_alloc(h->mmu->mem);
  if (!root) return 0;
  hv_clear_page(h, root, cyc);
  hv_write64(h, pt_entry_pa(root, h->ops.direct_map_base, 4), s->kernel_l3[0] | HOST_TABLE, cyc);
  hv_write64(h, pt_entry_pa(root, h->ops.kernel_text_base, 4), s->kernel_l3[1] | HOST_TABLE, cyc);
  return root;
}

/* the user half of a pmap emptied (its tables freed) */
static void pmap_free_tree(struct vkernel *s, uint64_t table, int level, uint64_t *cyc) {
  int lim = level == 4 ? 256 : 512;
  for (int i = 0; i < lim && level > 1; i++) {
    uint64_t epa = table + 8ull * (unsigned)i, e = hv_read64(s->h, epa, cyc);
    if (!(e & PTE_P)) continue;
    pmap_free_tree(s, e & PTE_ADDR, level - 1, cyc);
    if (level == 4) hv_write64(s->h, epa, 0, cyc);
  }
  if (level < 4) mem_pool_free(s->h->mmu->mem, table);
}

/* va's entry in a pmap (the one descent; missing tables created when
 * create): its machine address, or 0 */
static uint64_t pmap_entry(struct vkernel *s, uint64_t root, uint64_t va, bool create, uint64_t *cyc) {
  struct hv_pt x = {.h = s->h, .cyc = cyc, .table_bits = HOST_TABLE, .alloc_step = -1};
  struct pt_ops o;
  hv_pt_ops(&x, &o, PTE_P, create);
  int level;
  uint64_t e = pt_descend(&o, root, 4, va, 1, &level, NULL);
  return level == 1 ? e : 0;
}

static bool pmap_enter(struct vkernel *s, uint64_t root, uint64_t va, uint64_t pte, uint64_t *cyc) {
  uint64_t e = pmap_entry(s, root, va, true, cyc);
  if (e) hv_write64(s->h, e, pte, cyc);
  return e != 0;
}

static struct vmspace *vmspace_of(struct vkernel *s, uint64_t vpt) {
  for (int i = 0; i < s->nvs; i++)
    if (s->vs[i].vpt_root == vpt) return &s->vs[i];
  return NULL;
}

/* ---- the host's fault handling ---- */

/* vm_fault_vpagetable: walk the vPTEs of the running vmspace with the
 * one walker (A, and M on a write, set at every level). */
static bool vpt_walk(struct vkernel *s, uint64_t va, uint32_t acc, struct walk_result *r) {
  struct hv *h = s->h;
  struct mmu_ctl g = h->cpu->ctl;
  g.cr3 = s->cur_vpt;
  hv_begin(h, EV_S_HOST_VPAGETABLE, va, 0);
  bool ok = mmu_walk_software(h->mmu, &g, va, acc, r);
  hv_set_arg(h, ok);
  hv_end_n(h, r->cycles, r->path_n);
  return ok;
}

/* Install the real PTE for a resolved walk: writable only once VPTE_M
 * is set (M-bit emulation); 4 KiB pieces of large vPTEs. */
static void host_install(struct vkernel *s, uint64_t va, const struct walk_result *r, uint32_t acc) {
  struct hv *h = s->h;
  uint64_t page = va & ~0xfffull;
  /* the host's compare-and-set gave the vPTE its M bit: the page was
   * writable but unwritten (prefaulted, or mapped read-only so far) */
  bool upgrade = r->dirtied && (acc & ACC_W);
  uint64_t pte = (r->pa & ~0xfffull) | PTE_P | PTE_A | ((r->perm & TP_U) ? PTE_U : 0) |
                 ((r->perm & TP_X) ? 0 : PTE_NX) | ((r->perm & TP_G) ? PTE_G : 0);
  if ((r->perm & TP_W) && (r->perm & TP_D)) pte |= PTE_W | PTE_D;
  if (upgrade) {
    VK_CTR(h, VK_MBIT);
    hv_step(h, EV_S_HOST_MBIT, page, 0, 0);
  }
  uint64_t cyc = 0;
  hv_begin(h, EV_S_HOST_PMAP_ENTER, page, 0);
  bool ok = pmap_enter(s, s->cur_pmap, page, pte, &cyc);
  if (ok) tlb_flush_va(&h->cpu->tlb, page);
  hv_end(h, cyc);
  if (!ok) return;
  VK_CTR(h, VK_HOST_RESOLVED);
}

static void host_entry(struct hv *h) {
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, EV_S_HOST_TRAP, 0, 0, 0);
  hv_step(h, EV_S_HOST_VM_FAULT, 0, 0, 0);
}

/* the host's object-size check: a user vPTE must point into the RAM file */
static bool in_ram_file(const struct hv *h, uint64_t pa) { return pa < h->mmu->mem->ram_bytes; }

static void note_refault(struct vkernel *s, uint64_t va) {
  if (s->pending && (va & ~0xfffull) == s->pending_page) {
    s->pending = false;
    VK_CTR(s->h, VK_REFAULTS);
  }
}

static int vk_pf(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct vkernel *s = h->priv;
  uint32_t acc = err & (ACC_W | ACC_U | ACC_F);
  if (in_kernel && !(acc & ACC_U)) acc |= ACC_AC;
  hv_begin(h, EV_S_FAULT, va, err);
  host_entry(h);
  struct walk_result r;
  bool ok = vpt_walk(s, va, acc, &r);
  if (ok && !in_ram_file(h, r.pa)) {
    /* vm_fault's object-size check fails: the vmspace_ctl returns with the
     * failure and the vkernel sees it (fault injection) */
    hv_fault_kind(h, EV_K_VK_REFUSED, false);
    VK_CTR(h, VK_HOST_REFUSALS);
    hv_step(h, EV_S_HOST_REFUSE, r.pa, 0, 0);
    hv_step(h, EV_S_HOST_VMSPACE_RETURN, 0, 0, 0);
    uint64_t cyc = 0;
    hv_begin(h, EV_S_VKERNEL_VPTE_FIX, s->bad_vpte_pa, 0);
    guest_write64(h, s->bad_vpte_pa, s->bad_vpte_good, &cyc);
    hv_end(h, cyc);
    hv_step(h, EV_S_VKERNEL_VMSPACE_CTL, 0, 0, 0);
    hv_end(h, 0);
    return 0;
  }
  if (ok) {
    hv_fault_kind(h, EV_K_VK_HOST, false);
    note_refault(s, va);
    host_install(s, va, &r, acc);
    hv_end(h, 0);
    return 0;
  }
  /* path (I): the vPTE does not allow it.  From a virtual user process the
   * host returns from vmspace_ctl to the vkernel with the trap frame; the
   * vkernel's own copyin (in_kernel) is already in the vkernel. */
  if (s->pending) VK_CTR(h, VK_MISSED_REFAULTS);   /* the last one never refaulted */
  s->pending = false;
  if (!in_kernel) {
    /* the trap frame goes back to the vkernel with vmspace_ctl's return:
     * the host copies it out into the vkernel's memory */
    uint64_t cyc = 0, sp = h->ops.kstack_pa(h->ops.k) + 4096 - 24 * 8;
    hv_begin(h, EV_S_HOST_VMSPACE_RETURN, 0, 0);
    for (int i = 0; i < 24; i++) {
      uint64_t word = i == 0 ? va : i == 1 ? err : 0;
      guest_write64(h, sp + 8 * i, word, &cyc);
    }
    VK_CTR(h, VK_VMSPACE_RETURNS);
    hv_end(h, cyc);
  }
  h->fault_open = true;
  h->pv_bounce = true;
  int sig = linux_guest_pf(h, va, r.pfec & 0xffff, in_kernel, si_code);
  if (!sig) {
    s->pending = true;
    s->pending_page = va & ~0xfffull;
    VK_CTR(h, VK_VKERNEL_RESOLVED);
    if (++s->resolved == s->inj_n) {
      /* fault injection: the vkernel leaves a vPTE beyond its RAM file */
      struct walk_result w;
      struct mmu_ctl g = h->cpu->ctl;
      g.cr3 = s->cur_vpt;
      if (mmu_walk_software(h->mmu, &g, va, acc & ~ACC_W, &w) && w.path_n) {
        s->bad_vpte_pa = w.path[w.path_n - 1];
        /* (the injection itself is the test's doing, not modeled work) */
        s->bad_vpte_good = mem_peek64(h->mmu->mem, s->bad_vpte_pa);
        mem_poke64(h->mmu->mem, s->bad_vpte_pa, (s->bad_vpte_good & ~PTE_ADDR) | (h->mmu->mem->ram_bytes + 0x1000));
      }
    }
  }
  if (!in_kernel) hv_step(h, EV_S_VKERNEL_VMSPACE_CTL, 0, 0, 0);
  hv_end(h, 0);
  return sig;
}

/* The vkernel's own access in its VPAGETABLE submap (its direct map). */
static int vk_kernel_fault(struct hv *h, uint64_t va, uint32_t acc, uint32_t pf, const uint64_t *val) {
  (void)val;
  struct vkernel *s = h->priv;
  hv_begin(h, EV_S_FAULT, va, pf & 0xffff);
  hv_fault_kind(h, EV_K_VK_HOST, false);
  host_entry(h);
  struct walk_result r;
  if (vpt_walk(s, va, acc & ~ACC_U, &r)) {
    host_install(s, va, &r, acc);
    hv_end(h, 0);
    return HV_RETRY;
  }
  /* path (II): an invalid vPTE in the vkernel's own submap */
  unsigned slot = pt_index(va, 3);
  if (!s->kpdpt || !s->dmap_saved || !s->dmap_saved[slot]) {
    hv_fault_kind(h, EV_K_UNRESOLVED, false);
    hv_end(h, 0);
    return SIGKILL;
  }
  hv_fault_kind(h, EV_K_VK_SIGSEGV, false);
  VK_CTR(h, VK_SIGSEGVS);
  hv_step(h, EV_S_HOST_SIGSEGV, va, 0, 0);
  /* the handler reads the ucontext and writes its vPTE (a store into its
   * RAM through its own mappings) */
  uint64_t cyc = 0, e = s->dmap_saved[slot];
  hv_begin(h, EV_S_VKERNEL_SIGHANDLER, 0, slot);
  guest_write64(h, s->kpdpt + slot * 8, e, &cyc);
  s->dmap_saved[slot] = 0;
  hv_end(h, cyc);
  hv_step(h, EV_S_HOST_SIGRETURN, 0, 0, 0);
  hv_end(h, 0);
  return HV_RETRY;
}

/* The vkernel's direct map: its vPTEs are withheld until first use
 * (vkernel.kvm_lazy).  The direct map's entry of the first vPT root names
 * it; the slot that maps itself stays valid (the walk must reach it).
 * This is the model's set-up of a vkernel that boots with those vPTEs
 * absent, done before it runs: not charged. */
static void lazy_dmap(struct vkernel *s, uint64_t vpt_root) {
  struct hv *h = s->h;
  struct machine_mem *mem = h->mmu->mem;
  uint64_t e = mem_peek64(mem, pt_entry_pa(vpt_root, h->ops.direct_map_base, 4));
  if (!(e & PTE_P)) return;
  s->kpdpt = e & PTE_ADDR;
  s->dmap_saved = calloc(512, sizeof *s->dmap_saved);
  if (!s->dmap_saved) return;
  unsigned self = pt_index(s->kpdpt, 3);
  for (unsigned i = 0; i < 512; i++) {
    uint64_t t = mem_peek64(mem, s->kpdpt + 8ull * i);
    if ((t & PTE_P) && i != self) { s->dmap_saved[i] = t; mem_poke64(mem, s->kpdpt + 8ull * i, 0); }
  }
}

/* is pmap the running vmspace of another vCPU (the host's pm_active) */
static bool pmap_active_elsewhere(const struct vkernel *s, uint64_t pmap) {
  for (int j = 0; j < s->h->ncpus; j++)
    if (j != s->h->this_cpu && s->saved[j].cur_pmap == pmap) return true;
  return false;
}

static void vk_write_cr3(struct hv *h, uint64_t v) {
  struct vkernel *s = h->priv;
  uint64_t vpt = v & PTE_ADDR & ~CR3_NOFLUSH;
  for (int i = 0; i < s->nvs; i++)            /* vmspaces that died while loaded */
    if (!s->vs[i].vpt_root && s->vs[i].pmap != s->cur_pmap && !pmap_active_elsewhere(s, s->vs[i].pmap)) {
      mem_pool_free(h->mmu->mem, s->vs[i].pmap);
      s->vs[i--] = s->vs[--s->nvs];
    }
  struct vmspace *vs = vmspace_of(s, vpt);
  if (!vs) {
    if (!s->nvs) {
      /* boot: the vkernel's own kernel virtual memory, a plain
       * mmap(MAP_VPAGETABLE) in its address space + mcontrol(MADV_SETMAP) */
      hv_begin(h, EV_S_VKERNEL_VMSPACE_CREATE, 0, 0);
      hv_end_n(h, 2 * h->step_cost[EV_S_VKERNEL_MCONTROL], 0);
      if (s->kvm_lazy) lazy_dmap(s, vpt);
    }
    if (s->nvs == s->capvs) {
      s->capvs = s->capvs ? s->capvs * 2 : 16;
      s->vs = realloc(s->vs, (size_t)s->capvs * sizeof *s->vs);
    }
    vs = &s->vs[s->nvs++];
    vs->vpt_root = vpt;
    /* vmspace_create, vmspace_mmap(MAP_VPAGETABLE), vmspace_mcontrol(MADV_SETMAP, vpte) */
    uint64_t cyc = 0;
    hv_begin(h, EV_S_VKERNEL_VMSPACE_CREATE, vpt, 0);
    vs->pmap = pmap_new(s, &cyc);
    VK_CTR(h, VK_VMSPACES);
    hv_end(h, cyc);
  } else if (vpt == s->cur_vpt) {
    h->cpu->cycles += s->switch_cost;    /* a vkernel <-> user transition */
  }
  s->cur_vpt = vpt;
  s->cur_pmap = vs->pmap;
  cpu_write_cr3(h->cpu, vs->pmap | (v & (0xfffull | CR3_NOFLUSH)));
}

/* vmspace_mcontrol(MADV_INVAL): the vkernel changed a vPTE */
static void vk_invalidate(struct hv *h, uint64_t va, bool all, int pcid) {
  struct vkernel *s = h->priv;
  hv_step(h, EV_S_VKERNEL_MCONTROL, va, 0, 0);
  VK_CTR(h, VK_INVALS);
  uint64_t cyc = 0;
  hv_begin(h, EV_S_HOST_PMAP_REMOVE, 0, all);
  if (all) {
    pmap_free_tree(s, s->cur_pmap, 4, &cyc);
    cpu_flush_tlb(h->cpu);
  } else {
    uint64_t e = pmap_entry(s, s->cur_pmap, va, false, &cyc);
    if (e) hv_write64(h, e, 0, &cyc);
    if (pcid < 0) cpu_invlpg(h->cpu, va);
    else cpu_invpcid(h->cpu, 0, (uint32_t)pcid, va);
  }
  /* --cpus: the host's pmap_remove reaches every other real CPU where the
   * vmspace is active (DragonFly pmap_inval_smp); the vkernel itself sends
   * no IPI for it */
  int targets[HV_MAX_CPUS], n = 0;
  for (int j = 0; j < h->ncpus; j++)
    if (j != h->this_cpu && s->saved[j].cur_pmap == s->cur_pmap) targets[n++] = j;
  if (n) {
    h->st.counter[HV_C_VK_HOST_IPIS] += (uint64_t)n;
    hv_ipi_flush(h, targets, n, va, all, EV_S_HOST_IPI_SEND, EV_S_HOST_IPI_FLUSH, EV_S_HOST_IPI_WAIT);
  }
  hv_end(h, cyc);
}
static void vk_invlpg(struct hv *h, uint64_t va) { vk_invalidate(h, va, false, -1); }
static void vk_flush_all(struct hv *h) { vk_invalidate(h, 0, true, -1); }
static void vk_invpcid(struct hv *h, int type, uint64_t pcid, uint64_t va) {
  if (type == 0) vk_invalidate(h, va, false, (int)pcid);
  else cpu_invpcid(h->cpu, type, (uint32_t)pcid, va);
}

/* vPTE stores are the vkernel's plain stores into its RAM (no trap: the
 * host learns of changes by MADV_INVAL) */
static void vk_pte_store(struct hv *h, uint64_t entry_pa, uint64_t val, int level) {
  (void)level;     /* (with PV_PTE_DIRECT or not: the vkernel's own store either way) */
  uint64_t cyc = 0;
  guest_write64(h, entry_pa, val, &cyc);
  h->cpu->cycles += cyc;
}

/* an address space is gone: its vmspace and host pmap with it */
static void vk_pt_free(struct hv *h, uint64_t top) {
  struct vkernel *s = h->priv;
  struct vmspace *vs = vmspace_of(s, top);
  if (!vs) return;
  uint64_t cyc = 0;
  pmap_free_tree(s, vs->pmap, 4, &cyc);
  h->cpu->cycles += cyc;
  if (top == s->cur_vpt || pmap_active_elsewhere(s, vs->pmap)) {
    /* still loaded: emptied now, its root freed at the next switch */
    vs->vpt_root = 0;
    cpu_flush_tlb(h->cpu);
    return;
  }
  mem_pool_free(h->mmu->mem, vs->pmap);
  *vs = s->vs[--s->nvs];
}

static void vk_select_cpu(struct hv *h, int from, int to) {
  struct vkernel *s = h->priv;
  s->saved[from].cur_vpt = s->cur_vpt;
  s->saved[from].cur_pmap = s->cur_pmap;
  s->saved[from].pending_page = s->pending_page;
  s->saved[from].pending = s->pending;
  s->cur_vpt = s->saved[to].cur_vpt;
  s->cur_pmap = s->saved[to].cur_pmap;
  s->pending_page = s->saved[to].pending_page;
  s->pending = s->saved[to].pending;
}

static int vk_init(struct hv *h) {
  struct vkernel *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  s->h = h;
  if (hv_costs_init(h) || hv_mem_init(h, HOST_DMAP)) return -1;
  s->switch_cost = hv_param(h, "vkernel.switch");
  h->guest_layer = EV_L_VKERNEL;
  h->prefault_pages = (int)hv_param(h, "vkernel.prefault");
  s->kvm_lazy = hv_param(h, "vkernel.kvm_lazy") != 0;
  s->inj_n = hv_param(h, "vkernel.inject_bad_vpte");
  for (int i = 0; i < 2; i++)
    if (!(s->kernel_l3[i] = mem_pool_alloc(h->mmu->mem))) return -1;
  return 0;
}

static void vk_fini(struct hv *h) {
  struct vkernel *s = h->priv;
  if (!s) return;
  free(s->vs);
  free(s->dmap_saved);
  free(s);
  h->priv = NULL;
}

const struct hv_mode hv_mode_vkernel = {
  .name = "vkernel",
  .doc = "DragonFly vkernel: host walks the vkernel's vPTEs; invalid vPTE -> return from vmspace_ctl to the vkernel",
  .init = vk_init,
  .page_fault = vk_pf,
  .kernel_access_fault = vk_kernel_fault,
  .write_cr3 = vk_write_cr3,
  .invlpg = vk_invlpg,
  .invpcid = vk_invpcid,
  .flush_all = vk_flush_all,
  .pv_pte_store = vk_pte_store,
  .pv_pt_free = vk_pt_free,
  .select_cpu = vk_select_cpu,
  .host_shootdown = true,
  .fini = vk_fini,
  .pv_split_l4 = true,
  .params = vkernel_params,
};

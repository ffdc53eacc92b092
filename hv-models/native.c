/* Native Linux fault path (DESIGN.md "Modes": native):
 * #PF -> IDT delivery -> kernel entry -> VMA lookup -> [page-table pages]
 * -> frame alloc + zero / file fill / COW copy / zero page -> PTE write
 * -> [TLB invalidation] -> iretq.  Each step is one event with its cost. */
#include "hv-models/hv.h"
#include <signal.h>

/* Defaults: CALIBRATION.md gives 3,241 cycles (median) end to end for an
 * anonymous minor fault on Linux 6.6 / Core i7 11th gen and ~3,300-3,430
 * on the project's machine.  No public source splits that total by step;
 * the split below is our estimate (marked "derived"), chosen so that an
 * anonymous write fault with its memory accesses lands near that total.
 * `faultline calibrate` (issue 8) replaces these with measurements. */
const struct fl_param_def native_params[] = {
  {"native.exc_deliver", 200, "cycles", "IDT lookup, stack switch, exception frame push",
   "derived: share of 3,241-cycle minor fault (CALIBRATION.md)"},
  {"native.kernel_entry", 150, "cycles", "entry code: save registers, read CR2",
   "derived: share of 3,241-cycle minor fault"},
  {"native.vma_lookup", 120, "cycles", "find_vma in the maple tree",
   "derived: share of 3,241-cycle minor fault"},
  {"native.pt_alloc", 450, "cycles/table", "allocate and zero one page-table page",
   "derived: frame alloc + zero estimates"},
  {"native.frame_alloc", 700, "cycles", "page allocator + memcg charge + LRU add",
   "derived: share of 3,241-cycle minor fault"},
  {"native.frame_zero", 900, "cycles", "clear_page of 4 KiB (rep stosb ~4.5 B/cycle)",
   "derived: 4096 B / ~4.5 B per cycle"},
  {"native.zero_page_map", 100, "cycles", "map the shared zero page read-only",
   "derived"},
  {"native.file_read", 600, "cycles", "kernel work of reading a file page on a page-cache miss",
   "derived (the device time is io.read_latency)"},
  {"native.pagecache_lookup", 150, "cycles", "find_get_page in the file's page cache",
   "derived"},
  {"native.fault_around", 60, "cycles/page", "fault.around: map one extra cached page",
   "derived: set_pte + rmap per page in filemap_map_pages"},
  {"io.read_latency", 50000, "cycles", "device read of a page-cache miss (guest.page_cache_warm=0)",
   "estimate: ~20 us NVMe read at 2.5 GHz"},
  {"native.file_writeback", 400, "cycles/page", "file.writeback: submit a dirty page-cache page for writing (msync MS_SYNC, fsync)",
   "derived: a block-layer submission per page"},
  {"io.write_latency", 50000, "cycles", "device write of one page written back synchronously",
   "estimate: ~20 us NVMe write at 2.5 GHz (as io.read_latency)"},
  {"native.cow_copy", 1000, "cycles", "copy_page of 4 KiB for copy-on-write",
   "derived: 4096 B copy"},
  {"native.pte_write", 200, "cycles", "set_pte, rmap and counters",
   "derived: share of 3,241-cycle minor fault"},
  {"native.tlb_invalidate", 250, "cycles", "INVLPG of the old translation",
   "Linux arch/x86/mm/tlb.c: 'about 100 ns' per single-page flush"},
  {"native.kernel_exit", 250, "cycles", "restore registers, iretq",
   "derived: share of 3,241-cycle minor fault"},
  {"native.syscall_entry", 100, "cycles", "a system call's kernel entry: entry_SYSCALL_64 (swapgs, stack switch, pt_regs) and do_syscall_64's dispatch (not in modes with a system-call path of their own: exokernel, spin, tornado)",
   "estimate: ~100 instructions of entry code; with native.syscall_exit and cpu.cost.sys a null system call models at ~270 cycles (the development host, a virtualized EPYC with its mitigations, measures 204-284 ns per getppid)"},
  {"native.syscall_exit", 100, "cycles", "a system call's return: syscall_exit_to_user_mode's work checks, register restore, SYSRET",
   "estimate: as native.syscall_entry"},
  {"native.stack_grow", 300, "cycles", "expand_stack: extend the stack VMA",
   "derived"},
  {"native.signal_segv", 1500, "cycles", "signal.segv: queue a SIGSEGV for the faulting task",
   "derived"},
  {"native.tlb_shootdown", 200, "cycles", "tlb.shootdown: flush_tlb_mm_range's bookkeeping (tlb_gen, cpumask)",
   "estimate: a few cache lines of shared state (Amit, USENIX ATC'17, section 2)"},
  {"native.ipi_send", 300, "cycles", "ipi.send: one x2APIC ICR write per target",
   "estimate: a WRMSR to the ICR, ~100 ns"},
  {"native.tlb_ipi_flush", 1000, "cycles", "tlb.ipi_flush: the target's interrupt entry, flush, EOI and return (its own cycles)",
   "estimate: an interrupt round trip plus an INVLPG"},
  {"native.ipi_wait", 1500, "cycles", "ipi.wait: the initiator waits for the acks (the targets run at once)",
   "estimate: an ack from a remote core takes over 1,000 cycles and a shootdown 'can take microseconds' "
   "(Amit, 'Optimizing the TLB shootdown algorithm with page access tracking', USENIX ATC'17)"},
  {"native.tlb_invlpgb", 100, "cycles", "tlb.invlpgb: post one broadcast invalidation (smp.invlpgb=1)",
   "estimate: an instruction that posts the request; AMD publishes no latency"},
  {"native.tlb_tlbsync", 600, "cycles", "tlb.tlbsync: wait for the broadcast to complete on every core",
   "estimate: below an IPI's acknowledgment (native.ipi_wait), the gain Linux 6.14's INVLPGB support reports; AMD publishes no latency"},
  {"native.tlb_lazy_flush", 250, "cycles", "tlb.lazy_flush: a lazy CPU's catch-up flush at switch-in",
   "derived: as native.tlb_invalidate"},
  {"native.uffd_handle_userfault", 2000, "cycles",
   "uffd.handle_userfault: queue the message, wake the reader, sleep",
   "estimate: a wake-up and a switch out; a whole user-handled fault is ~7.8 us on an idle x86 desktop "
   "(N. Watkins, 'userfaultfd hello world', 2016: 100K faults), most of it the handler's read and ioctl"},
  {"native.uffd_copy", 1200, "cycles", "uffd.copy: per page, the 4 KiB copy and set_pte",
   "derived: native.cow_copy + native.pte_write"},
  {"native.uffd_zeropage", 200, "cycles", "uffd.zeropage: per page, map the zero page",
   "derived: as native.zero_page_map"},
  {"native.uffd_writeprotect", 150, "cycles", "uffd.writeprotect: per page, rewrite the PTE",
   "derived: change_pte_range's per-PTE work"},
  {"native.uffd_wake", 300, "cycles", "uffd.wake: wake the waiters on the range",
   "estimate: one __wake_up walk of the fault wait queue"},
  {"native.spurious", 80, "cycles", "spurious fault: the PTE already allows it",
   "derived"},
  /* Whole operations: fork, exit, wait (docs/modes/native.md "fork, exit
   * and wait").  No public source splits a fork by step; these are
   * estimates from each step's work, each named so.  With them a fork +
   * _exit + waitpid of a tiny static process models at ~70k cycles; the one
   * published whole figure for that shape is Adams & Agesen's forkwait
   * (ASPLOS'06): 2.62 s / 40,000 on a 2.66 GHz Core 2 Duo = ~174k cycles
   * (derived), on a 2006 kernel; `faultline calibrate` measures this
   * machine's (held out, never fitted). */
  {"native.fork_dup_task", 3000, "cycles", "fork.dup_task: task_struct and kernel stack allocated, the parent's copied",
   "estimate: two slab/stack-cache allocations and a ~9 KiB task_struct copy (Linux 6.1, with the FPU area) at ~16 B/cycle plus its misses"},
  {"native.fork_copy_process", 10000, "cycles", "fork.copy_process: creds, sched_fork, files, fs, sighand, signal, pid",
   "estimate: ~20 slab allocations and reference takes at ~300-500 cycles each (cred, files_struct + fdtable, fs_struct, "
   "a 2 KiB sighand copy, signal_struct, pid; cgroup, perf and audit hooks)"},
  {"native.fork_mm_alloc", 2500, "cycles", "fork.mm_alloc: mm_struct allocated and initialized, pgd_alloc",
   "estimate: a ~1 KiB mm_struct slab allocation and init; the top table's frame, zeroing and kernel-half stores are charged as made"},
  {"native.fork_dup_mmap", 1000, "cycles/VMA", "fork.dup_mmap: per VMA, vm_area_dup, anon_vma_fork, i_mmap link, tree insert",
   "estimate: a ~200 B slab copy, an anon_vma and two anon_vma_chains with interval-tree inserts, a maple-tree store"},
  {"native.fork_copy_page_range", 60, "cycles/PTE", "fork.copy_page_range: per PTE copied, the page's reference and rmap dup",
   "estimate: two atomic increments on the page's struct page (get_page, page_dup_rmap) and the RSS counters; "
   "the table reads and writes are charged as made"},
  {"native.fork_flush_tlb", 250, "cycles", "fork.flush_tlb: flush_tlb_mm of the parent",
   "derived: as native.tlb_invalidate (Linux arch/x86/mm/tlb.c: 'about 100 ns' per flush); the refills are modeled"},
  {"native.fork_wake_new", 1500, "cycles", "fork.wake_new: wake_up_new_task",
   "estimate: select_task_rq, enqueue_task_fair and check_preempt_curr under the run-queue lock"},
  {"native.sched_switch", 1500, "cycles", "sched.switch: __schedule and context_switch",
   "estimate: pick_next_task_fair, the run-queue lock, __switch_to's register and XSAVE/XRSTOR of the FPU state"},
  {"native.sched_switch_mm", 400, "cycles", "sched.switch_mm: switch_mm_irqs_off with its CR3 write",
   "CALIBRATION.md: a CR3 write 'a few hundred cycles' (KPTI patch description), plus the cpumask updates; "
   "the TLB effect (flush, or PCIDs kept) is modeled"},
  {"native.exit_mm", 400, "cycles/VMA", "exit.mm: per VMA removed by exit_mmap",
   "estimate: remove_vma (fput, vm_area_free), unlink_anon_vmas, unlink_file_vma"},
  {"native.exit_unmap", 60, "cycles/page", "exit.unmap: per page unmapped, its reference and rmap dropped",
   "derived: as native.fork_copy_page_range (put_page and page_remove_rmap undo get_page and page_dup_rmap)"},
  {"native.exit_free_pgtables", 300, "cycles/table", "exit.free_pgtables: per page-table page freed",
   "estimate: pte_free_tlb's batched return of a page to the allocator (below native.frame_alloc's 700 for an allocation)"},
  {"native.exit_tlb_finish", 500, "cycles", "exit.tlb_finish: tlb_finish_mmu's flush and batch free",
   "derived: a full flush (as native.tlb_invalidate, 250) plus freeing the gathered batch"},
  {"native.exit_files", 1500, "cycles", "exit.files: exit_files, exit_fs, exit_sighand",
   "estimate: put_files_struct closing the table (an fput per open descriptor) and the fs/sighand reference drops"},
  {"native.exit_notify", 2000, "cycles", "exit.notify: reparent, SIGCHLD queued to the parent, its wait woken",
   "estimate: do_notify_parent's signal queueing (a siginfo allocation, the pending set) and __wake_up_parent"},
  {"native.wait_scan", 300, "cycles/child", "wait.scan: per child do_wait looks at",
   "estimate: wait_consider_task reads a few cache lines of each child's task_struct"},
  {"native.wait_reap", 2500, "cycles", "wait.reap: wait_task_zombie and release_task",
   "estimate: the status and rusage collected, __exit_signal, three detach_pid, free_pid, put_task_struct"},
  {NULL, 0, NULL, NULL, NULL},
};

/* The Linux #PF handler, step by step (mm/memory.c handle_mm_fault and
 * friends).  Every operation on the machine is an ops call inside the step
 * that does it, so whatever it raises nests under that step. */
int linux_guest_pf(struct hv *h, uint64_t va, uint32_t err, bool in_kernel,
                   int *si_code) {
  struct guest_ops *o = &h->ops;
  /* an injected or bounced fault is open already (the hardware's) */
  bool own = !h->fault_open, called = h->pf_called, bounce = h->pv_bounce || called;
  if (own) hv_begin(h, EV_S_FAULT, va, err);
  h->fault_open = false;
  h->pv_bounce = false;
  h->pf_called = false;
  if (!bounce) hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  if (!called) hv_step(h, EV_S_KERNEL_ENTRY, 0, 0, 0);
  if (!in_kernel && !bounce) {
    hv_begin(h, EV_S_KPTI_CR3_WRITE, 0, 0);
    hv_end_or_drop(h, o->entry_switch(o->k), 0);
  }
  struct fault_plan p;
  hv_begin(h, EV_S_VMA_LOOKUP, 0, 0);
  uint64_t cyc = o->plan(o->k, va, err, &p);
  hv_set_arg(h, p.kind);
  hv_fault_kind(h, p.kind, true);
  hv_end(h, cyc);
  if (p.stack_grow) hv_step(h, EV_S_STACK_GROW, 0, 0, 0);
  int sig = 0;
  uint64_t leaf = 0, pa = 0;
  int newt = 0;
  switch (p.kind) {
  case FK_SEGV_MAPERR:
  case FK_SEGV_ACCERR:
    *si_code = p.kind == FK_SEGV_MAPERR ? 1 /* SEGV_MAPERR */ : 2 /* SEGV_ACCERR */;
    if (!in_kernel) hv_step(h, EV_S_SIGNAL_SEGV, 0, 0, 0);
    sig = SIGSEGV;
    goto out;
  case FK_SIGBUS:
    *si_code = 2;   /* BUS_ADRERR */
    sig = SIGBUS;
    goto out;
  case FK_OOM:
    sig = SIGKILL;
    goto out;
  case FK_SPURIOUS:
    hv_begin(h, EV_S_SPURIOUS, 0, 0);
    hv_end(h, o->invlpg(o->k, va));
    goto done;
  case FK_USERFAULT:
    /* the guest kernel parks the thread (sim): the instruction runs again
     * once the handler has resolved the page (VM_FAULT_RETRY) */
    hv_step(h, EV_S_UFFD_HANDLE_USERFAULT, va, p.pte_flags, 0);
    goto done;
  default:
    break;
  }
  if (p.kind == FK_WRITE_UPGRADE) {
    uint64_t pte = p.old_pa | p.pte_flags;
    hv_begin(h, EV_S_PTE_WRITE, pte, 1);
    cyc = o->ensure_tables(o->k, va, &leaf, &newt);
    hv_end(h, cyc + o->write_pte(o->k, leaf, pte));
    hv_begin(h, EV_S_TLB_INVALIDATE, va, 0);
    hv_end(h, o->invlpg(o->k, va));
    goto done;
  }
  if (p.kind == FK_THP) {
    /* do_huge_pmd_anonymous_page: a 2M page, zeroed, one PMD entry */
    hv_begin(h, EV_S_FRAME_ALLOC, 0, 0);
    cyc = o->thp_alloc(o->k, &pa);
    if (pa) {
      hv_set(h, pa, 0);
      hv_end(h, cyc);
      hv_begin(h, EV_S_FRAME_ZERO, pa, 512);
      hv_end_n(h, o->thp_zero(o->k, pa), 512);
      hv_begin(h, EV_S_PTE_WRITE, pa | p.pte_flags, 2);
      hv_end(h, o->thp_map(o->k, &p, pa));
      goto done;
    }
    /* no 2M run free: the 4K path.  The failed attempt keeps whatever it
     * cost (and anything it raised) as a frame.alloc of 0 units; with
     * neither, the step is dropped */
    hv_end_or_drop(h, cyc, 0);
    p.kind = FK_ANON_NEW;
    hv_fault_kind(h, p.kind, true);
  }
  hv_begin(h, EV_S_PT_ALLOC, 0, 0);
  cyc = o->ensure_tables(o->k, va, &leaf, &newt);
  hv_set_arg(h, (uint64_t)newt);
  hv_end_n(h, cyc, (uint64_t)newt);
  if (!leaf) { sig = SIGKILL; goto out; }
  if (p.kind == FK_ANON_ZERO_PAGE) {
    pa = o->zero_page_pa(o->k);
    hv_step(h, EV_S_ZERO_PAGE_MAP, pa, 0, 0);
  } else if (p.kind == FK_FILE) {
    bool hit = false;
    hv_begin(h, EV_S_PAGECACHE_LOOKUP, 0, 0);
    cyc = o->file_page(o->k, &p, &pa, &hit);
    hv_set(h, pa, hit);
    if (pa && !hit) { hv_step(h, EV_S_FILE_READ, pa, 0, cyc); cyc = 0; }
    hv_end(h, cyc);
    if (!pa) { sig = SIGKILL; goto out; }
    if (p.copy) {
      /* a private write: the process gets its own copy (do_cow_fault) */
      uint64_t npa = 0;
      hv_begin(h, EV_S_FRAME_ALLOC, 0, 0);
      cyc = o->alloc_frame(o->k, &npa);
      hv_set(h, npa, 0);
      hv_end(h, cyc);
      if (!npa) { o->release_frame(o->k, pa); sig = SIGKILL; goto out; }
      hv_begin(h, EV_S_COW_COPY, npa, 0);
      hv_end(h, o->copy_frame(o->k, npa, pa));
      o->release_frame(o->k, pa);
      pa = npa;
    }
  } else {
    hv_begin(h, EV_S_FRAME_ALLOC, 0, 0);
    cyc = o->alloc_frame(o->k, &pa);
    hv_set(h, pa, 0);
    hv_end(h, cyc);
    if (!pa) { sig = SIGKILL; goto out; }
    if (p.kind == FK_ANON_NEW) {
      hv_begin(h, EV_S_FRAME_ZERO, pa, 1);
      hv_end(h, o->zero_frame(o->k, pa));
    } else if (p.kind == FK_COW) {
      hv_begin(h, EV_S_COW_COPY, pa, 0);
      hv_end(h, o->copy_frame(o->k, pa, p.old_pa));
    }
  }
  hv_begin(h, EV_S_PTE_WRITE, pa | p.pte_flags, 1);
  hv_end(h, o->write_pte(o->k, leaf, pa | p.pte_flags));
  if (p.kind == FK_FILE && !p.write) {
    int n = 0;
    hv_begin(h, EV_S_FAULT_AROUND, 0, 0);
    cyc = o->fault_around(o->k, &p, &n);
    hv_set_arg(h, (uint64_t)n);
    hv_end_or_drop(h, cyc, (uint64_t)n);
  }
  if (p.kind == FK_ANON_NEW && h->prefault_pages && o->prefault_anon) {
    /* each prefilled page: an allocation and a zeroing (the op charges
     * the zeroing's accesses and its cost) */
    int n = 0;
    hv_begin(h, EV_S_PREFAULT, 0, 0);
    cyc = o->prefault_anon(o->k, &p, h->prefault_pages, &n);
    hv_set_arg(h, (uint64_t)n);
    hv_end_or_drop(h, cyc + h->step_cost[EV_S_FRAME_ALLOC] * (uint64_t)n, 0);
  }
  if (p.kind == FK_COW) {
    /* the old translation was present: flush it (Linux ptep_clear_flush) */
    hv_begin(h, EV_S_TLB_INVALIDATE, va, 0);
    hv_end(h, o->invlpg(o->k, va));
    o->release_frame(o->k, p.old_pa);
  }
done:
  if (!in_kernel && !bounce) {
    hv_begin(h, EV_S_KPTI_CR3_WRITE, 0, 1);
    hv_end_or_drop(h, o->exit_switch(o->k), 0);
    hv_step(h, EV_S_KERNEL_EXIT, 0, 0, 0);
  }
  if (own) hv_end(h, 0);
  return 0;
out:
  if (!in_kernel && !bounce) {
    hv_begin(h, EV_S_KPTI_CR3_WRITE, 0, 1);
    hv_end_or_drop(h, o->exit_switch(o->k), 0);
  }
  if (own) hv_end(h, 0);
  return sig;
}

static int native_init(struct hv *h) { return hv_costs_init(h); }

const struct hv_mode hv_mode_native = {
  .name = "native",
  .doc = "Linux on bare metal: #PF -> IDT -> handle_mm_fault -> iretq",
  .init = native_init,
  .page_fault = linux_guest_pf,
  .params = native_params,
};

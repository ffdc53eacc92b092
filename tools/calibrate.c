/* faultline calibrate: measure this machine's components (rdtsc medians,
 * calibrate_native.c), fit the model's parameters from them, write a
 * preset, and print whole faults measured on the same machine (held out:
 * never fitted) beside the model's prediction for each.  VM exit round
 * trips come from /dev/kvm where it works (calibrate_kvm.c).
 *
 * The fit is a set of differences between measurements that share
 * everything but the piece being isolated (see fit() below); a piece no
 * measurement isolates keeps its default and the preset says so. */
#include "sim/sim.h"
#include "tools/calibrate.h"
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *calibrate_usage =
  "usage: faultline calibrate [--out FILE] [--quick] [--no-kvm]\n"
  "\n"
  "Measures this machine's components with rdtsc medians, fits the model's\n"
  "parameters from those components only, and writes a preset loadable with\n"
  "`faultline run --preset FILE`.  Components: null syscall; signal\n"
  "queueing and delivery (tgkill and sigprocmask); signal round trips raised\n"
  "by a divide by zero (#DE) and by a store to a PROT_NONE page (#PF), whose\n"
  "differences give exception delivery and the VMA lookup (ud2 is timed and\n"
  "reported only: KVM intercepts #UD); REP STOSB / REP MOVSQ of 4 KiB;\n"
  "the kernel's fault body without the exception (MADV_POPULATE_WRITE on\n"
  "anonymous memory, MADV_POPULATE_READ on a cached file, one page per VMA\n"
  "and in one VMA for fault-around);\n"
  "a TLB miss (pointer chase on 4 KiB pages minus the same on 2 MiB pages).\n"
  "Whole faults (anonymous zero-fill, COW after fork, first read of a cached\n"
  "file page with fault-around off and on) are measured too but held out: the\n"
  "model's prediction is printed beside each; so is a whole operation, a fork\n"
  "whose child exits at once and the parent's wait4, of a tiny static program\n"
  "faultline writes (the model runs the same program in native mode with the\n"
  "default preset), labelled with this host's CPU and whether it is a VM.\n"
  "Where /dev/kvm works, VM exit round trips of a tiny real-mode VM are\n"
  "measured and labelled with the KVM\n"
  "backend; vmx.exit/svm.exit are written only for kvm_intel/kvm_amd.\n"
  "On a virtualized host a TLB miss is already a 2-D walk and kernel entry\n"
  "may be emulated: the numbers describe that machine, not bare silicon.\n"
  "\n"
  "options:\n"
  "  --out FILE  write the preset to FILE (default ./host.preset); the\n"
  "              scratch file for the file-backed faults goes in FILE's\n"
  "              directory and is unlinked at once\n"
  "  --quick     one round of fewer repetitions instead of five (well under\n"
  "              a second instead of a few; noisier medians)\n"
  "  --no-kvm    skip the /dev/kvm measurements\n"
  "  -h, --help  this text\n";

/* everything in core cycles */
struct fit {
  uint64_t exc_deliver, kernel_entry, kernel_exit, vma_lookup, signal;
  uint64_t syscall_entry, syscall_exit;    /* the model's system calls: the null syscall less cpu.cost.sys */
  uint64_t frame_zero, cow_copy, frame_alloc, pagecache_lookup, fault_around_page, ref_latency;
  uint64_t pte_write, tlb_invalidate;      /* defaults: nothing isolates them */
  uint64_t exc_rt, body_anon, body_file, body_fa, tlb_miss;  /* intermediate, reported */
  uint64_t exc_deliver_sig;                /* exc_deliver by the signal route (cross-check) */
  bool exc_from_reuse;
  uint64_t fa_model;                       /* neighbours the model maps with 64 KiB fault-around */
  double refs, fa_ratio;                   /* pages per fault seen with fault-around */
};

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* the model's steps for each held-out fault (docs/modes/native.md), with
 * the fitted values; `run --log` shows the same sum plus a few cycles of
 * modeled kernel memory accesses */
static uint64_t exc_part(const struct fit *f) {
  return f->exc_deliver + f->kernel_entry + f->vma_lookup + f->pte_write + f->kernel_exit;
}
static uint64_t pred_anon(const struct fit *f) { return exc_part(f) + f->frame_alloc + f->frame_zero; }
static uint64_t pred_cow(const struct fit *f) { return exc_part(f) + f->frame_alloc + f->cow_copy + f->tlb_invalidate; }
static uint64_t pred_file(const struct fit *f) { return exc_part(f) + f->pagecache_lookup; }   /* fault_around_bytes=4096 */
static uint64_t pred_file_fa(const struct fit *f) { return pred_file(f) + f->fa_model * f->fault_around_page; }

/* components -> parameters.  c is already in core cycles. */
static void fit(const struct cal_components *c, struct param_reg *defs, struct fit *f) {
  memset(f, 0, sizeof *f);
  f->pte_write = params_get(defs, "native.pte_write");
  f->tlb_invalidate = params_get(defs, "native.tlb_invalidate");
  /* a null syscall is SYSCALL + entry code + exit code + SYSRET: the
   * model's kernel_entry + kernel_exit, split in the defaults' 150:250 */
  f->kernel_entry = c->syscall * 150 / 400;
  f->kernel_exit = c->syscall - f->kernel_entry;
  /* the model's own system calls: SYSCALL's cpu.cost.sys, then
   * native.syscall_entry and native.syscall_exit, halves of the rest */
  uint64_t sys_body = sub0(c->syscall, params_get(defs, "cpu.cost.sys"));
  f->syscall_entry = sys_body / 2;
  f->syscall_exit = sys_body - f->syscall_entry;
  /* a #DE round trip less the signal's queueing and delivery is an
   * exception round trip: IDT delivery, entry, exit, IRET.  What it costs
   * beyond a syscall (SYSCALL/SYSRET, same entry and exit code) is
   * native.exc_deliver */
  f->exc_rt = sub0(c->sig_de, c->sig_deliver + c->sig_queue);
  /* #PF vs #DE: CR2, find the VMA, check access, before the same queueing */
  f->vma_lookup = sub0(c->sig_segv, c->sig_de);
  /* native.exc_deliver from the least-work page fault (do_wp_page reuse),
   * which the model runs as exc_deliver + kernel_entry + vma_lookup +
   * pte_write + tlb_invalidate + kernel_exit; the signal route above
   * (exception round trip minus a syscall) is kept as a cross-check and
   * used only when the reuse measurement is missing or not one fault per
   * write */
  f->exc_deliver_sig = sub0(f->exc_rt, c->syscall);
  bool reuse_ok = c->reuse_fault && c->reuse_writes &&
                  c->reuse_faults >= c->reuse_writes && c->reuse_faults <= c->reuse_writes + c->reuse_writes / 20;
  f->exc_deliver = reuse_ok ? sub0(c->reuse_fault, c->syscall + f->vma_lookup + f->pte_write + f->tlb_invalidate)
                            : f->exc_deliver_sig;
  f->exc_from_reuse = reuse_ok;
  /* the model's native.signal: queue, frame, handler, rt_sigreturn */
  f->signal = c->sig_queue + c->sig_deliver;
  /* clear_page writes a frame just taken from the LIFO per-CPU free
   * lists, and the COW fault timed below copies pages zeroed moments
   * before the fork (20 MiB): both LLC-resident.  A source out of the
   * caches is timed too and reported, not fitted: what it costs depends on
   * the workload's footprint, not on the machine alone */
  f->frame_zero = c->zero;
  f->cow_copy = c->copy;
  /* the fault body (populate minus GUP's own per-page cost) is
   * frame_alloc + clear_page + pte_write for anonymous memory and
   * pagecache_lookup + pte_write for a cached file; pte_write keeps its
   * default as nothing separates it */
  f->body_anon = sub0(c->pop_anon, c->pop_anon_again);
  f->body_file = sub0(c->pop_file, c->pop_file_again);
  f->frame_alloc = sub0(f->body_anon, f->frame_zero + f->pte_write);
  f->pagecache_lookup = sub0(f->body_file, f->pte_write);
  /* in one VMA a fault maps 1/ratio pages; per page populated the body is
   * ratio * (one-page body) + (1 - ratio) * (one neighbour) */
  f->body_fa = sub0(c->pop_fa, c->pop_fa_again);
  f->fa_ratio = c->fa_pages ? (double)c->fa_faults / (double)c->fa_pages : 1.0;
  if (f->fa_ratio > 0 && f->fa_ratio < 0.9)
    f->fault_around_page = (uint64_t)(((double)f->body_fa - f->fa_ratio * (double)f->body_file) / (1.0 - f->fa_ratio) + 0.5);
  else
    f->fault_around_page = params_get(defs, "native.fault_around");
  f->fa_model = params_get(defs, "guest.fault_around_bytes") / 4096 - 1;
  /* TLB miss = STLB lookup + the walk.  With the default walk caches the
   * model serves this pattern (32768 random pages in 64 2-MiB regions)
   * with the PTE from memory, the PDE from memory for the half of the
   * regions the 32-entry PDE cache misses, PML4E/PDPTE from the caches */
  f->tlb_miss = sub0(c->chase_4k, c->chase_2m);
  double pde_miss = 1.0 - (double)params_get(defs, "pwc.l2.entries") / 64.0;
  if (pde_miss < 0) pde_miss = 0;
  f->refs = 1.0 + pde_miss;
  uint64_t fixed = params_get(defs, "tlb.stlb.latency") + (uint64_t)((3.0 - pde_miss) * (double)params_get(defs, "pwc.hit_latency"));
  f->ref_latency = (uint64_t)((double)sub0(f->tlb_miss, fixed) / f->refs + 0.5);
  /* under 10 cycles a reference would beat an L1 hit: the 2 MiB chase
   * missed too (a VM host backing guest memory with 4 KiB pages splinters
   * the guest's 2 MiB pages), so the difference is not a walk; keep the
   * default and say so */
  if (f->ref_latency < 10) f->ref_latency = 0;
}

/* the model's fork + exit + wait of the same program (default preset,
 * native mode): its regions' cycles per round, 0 if the run failed */
static uint64_t model_forkwait(int n) {
  char prog[] = "/tmp/.faultline-forkwait-model-XXXXXX", stats[] = "/tmp/.faultline-forkwait-stats-XXXXXX";
  if (cal_forkwait_write(prog, (uint32_t)n)) return 0;
  int fd = mkstemp(stats);
  if (fd < 0) { unlink(prog); return 0; }
  close(fd);
  char *argv[] = {prog, NULL}, *envp[] = {NULL};
  struct sim_config cfg = {.mode = "native", .cpu_vendor = "intel", .params = params_new(), .stats_path = stats,
                           .mem_bytes = 64ull << 20, .epoch = 1700000000ull, .argv = argv, .envp = envp, .quiet = true,
                           .guest_output_null = true};
  struct sim_result res;
  int rc = sim_run(&cfg, &res);
  params_free(cfg.params);
  unlink(prog);
  uint64_t per = 0;
  struct json_object *o = rc ? NULL : json_object_from_file(stats), *r, *c, *nr;
  if (o && json_object_object_get_ex(o, "region", &r) && json_object_object_get_ex(r, "cycles", &c) &&
      json_object_object_get_ex(r, "regions", &nr) && json_object_get_int(nr) > 0)
    per = (uint64_t)json_object_get_int64(c) / (uint64_t)json_object_get_int(nr);
  if (o) json_object_put(o);
  unlink(stats);
  return per;
}

static double err_pct(uint64_t pred, uint64_t meas) {
  return meas ? 100.0 * ((double)pred - (double)meas) / (double)meas : 0.0;
}

static bool host_is_vm(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[4096];
  bool vm = false;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "flags", 5)) { vm = strstr(line, " hypervisor") != NULL; break; }
  if (f) fclose(f);
  return vm;
}

#define U(x) ((unsigned long long)(x))

static void write_preset(FILE *o, const struct fit *f, const struct cal_components *c, const struct cal_kvm *kv,
                         const char *date, double k, bool vm) {
  fprintf(o, "# faultline calibrate, %s: this machine's components, core cycles (TSC ticks per cycle %.3f)\n", date, k);
  if (vm)
    fprintf(o, "# this host is itself a virtual machine (CPUID hypervisor bit): its TLB misses are 2-D walks and its\n"
               "# kernel entries may be intercepted; the preset describes that machine, not bare silicon\n");
  fprintf(o, "native.kernel_entry = %llu  # measured %s: null syscall (getppid) round trip %llu, 150/400 of it (split derived)\n",
          U(f->kernel_entry), date, U(c->syscall));
  fprintf(o, "native.kernel_exit = %llu  # measured %s: the other 250/400 of the null syscall\n", U(f->kernel_exit), date);
  fprintf(o, "native.syscall_entry = %llu  # measured %s: the null syscall less cpu.cost.sys, half of it\n",
          U(f->syscall_entry), date);
  fprintf(o, "native.syscall_exit = %llu  # measured %s: the other half\n", U(f->syscall_exit), date);
  if (f->exc_from_reuse)
    fprintf(o, "native.exc_deliver = %llu  # measured %s: least-work page fault (write reusing a page after fork, do_wp_page) %llu minus kernel_entry+kernel_exit, vma_lookup, pte_write, tlb_invalidate; the signal route gives %llu\n",
            U(f->exc_deliver), date, U(c->reuse_fault), U(f->exc_deliver_sig));
  else
    fprintf(o, "native.exc_deliver = %llu  # measured %s: SIGFPE-by-#DE round trip %llu minus signal queueing %llu and delivery %llu, minus the null syscall (IDT+IRET over SYSCALL+SYSRET)\n",
            U(f->exc_deliver), date, U(c->sig_de), U(c->sig_queue), U(c->sig_deliver));
  fprintf(o, "native.vma_lookup = %llu  # measured %s: SIGSEGV-by-#PF round trip %llu minus the #DE one (CR2, VMA lookup, access check)\n",
          U(f->vma_lookup), date, U(c->sig_segv));
  fprintf(o, "native.signal_segv = %llu  # measured %s: queueing (tgkill of a blocked signal, new minus already pending) + delivery (unblock with it pending minus without: frame, handler, rt_sigreturn)\n",
          U(f->signal), date);
  fprintf(o, "native.frame_zero = %llu  # measured %s: median REP STOSB of a 4 KiB page (clear_page_erms), LLC-resident set\n",
          U(f->frame_zero), date);
  fprintf(o, "native.cow_copy = %llu  # measured %s: median REP MOVSQ of a 4 KiB page (copy_page), LLC-resident (source out of the caches: %llu)\n",
          U(f->cow_copy), date, U(c->copy_cold));
  fprintf(o, "native.frame_alloc = %llu  # measured %s: MADV_POPULATE_WRITE %llu/page minus re-populate %llu/page, minus frame_zero and pte_write\n",
          U(f->frame_alloc), date, U(c->pop_anon), U(c->pop_anon_again));
  if (c->pop_file)
    fprintf(o, "native.pagecache_lookup = %llu  # measured %s: MADV_POPULATE_READ of a cached file in one-page VMAs %llu/page minus re-populate %llu/page, minus pte_write\n",
            U(f->pagecache_lookup), date, U(c->pop_file), U(c->pop_file_again));
  if (c->pop_fa && f->fa_ratio > 0 && f->fa_ratio < 0.9)
    fprintf(o, "native.fault_around = %llu  # measured %s: the same in one VMA (%.1f pages mapped per fault) %llu/page minus re-populate %llu/page, less the faulting page's share\n",
            U(f->fault_around_page), date, 1.0 / f->fa_ratio, U(c->pop_fa), U(c->pop_fa_again));
  fprintf(o, "%swalk.ref_latency = %llu  # measured %s: TLB miss %llu (chase on 4 KiB pages %llu minus on %s %llu) less STLB/PWC hits, / %.1f modeled references%s\n",
          f->ref_latency ? "" : "# ", U(f->ref_latency), date, U(f->tlb_miss), U(c->chase_4k),
          c->thp ? "2 MiB pages" : "one page (no THP: data misses left in)", U(c->chase_2m), f->refs,
          f->ref_latency ? "" : ": implausibly small, default kept");
  fprintf(o, "# not isolated by any measurement, defaults kept: native.pte_write, tlb_invalidate, pt_alloc, zero_page_map,\n"
             "# file_read, stack_grow, spurious\n");
  if (kv->state == KVM_MEASURED && kv->hardware) {
    const char *v = !strcmp(kv->backend, "kvm_intel") ? "vmx" : "svm";
    uint64_t rt = kv->cpuid_exit;
    fprintf(o, "%s.exit = %llu  # measured %s (%s): CPUID exit handled in KVM, round trip %llu; half of it (split derived)\n",
            v, U(rt / 2), date, kv->backend, U(rt));
    fprintf(o, "%s.entry = %llu  # measured %s (%s): the other half\n", v, U(rt - rt / 2), date, kv->backend);
    fprintf(o, "# KVM (%s): OUT exit to user space and back %llu; guest first touch of a host-mapped page %llu\n",
            kv->backend, U(kv->io_exit), U(kv->first_touch));
  } else if (kv->state == KVM_MEASURED) {
    fprintf(o, "# KVM backend %s is a software backend: NOT a hardware exit cost, so vmx.exit/svm.exit are not written.\n"
               "# Measured %s: CPUID exit %llu, OUT exit to user space and back %llu, guest first touch of a host-mapped page %llu\n",
            kv->backend, date, U(kv->cpuid_exit), U(kv->io_exit), U(kv->first_touch));
    fprintf(o, "# (one guest loop instruction there: %llu)\n", U(kv->loop_insn));
  } else {
    fprintf(o, "# KVM not measured (%s)\n", kv->why[0] ? kv->why : "skipped");
  }
}

int cmd_calibrate(int argc, char **argv) {
  const char *out = "host.preset";
  int quick = 0, use_kvm = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--quick")) quick = 1;
    else if (!strcmp(argv[i], "--no-kvm")) use_kvm = 0;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(calibrate_usage, stdout); return 0; }
    else if (!strcmp(argv[i], "--out")) { fprintf(stderr, "faultline: calibrate: --out needs a FILE (see `faultline calibrate --help`)\n"); return 125; }
    else { fprintf(stderr, "faultline: calibrate: unknown argument '%s' (see `faultline calibrate --help`)\n", argv[i]); return 125; }
  }
  /* open the preset first: a bad --out fails before a second of measuring */
  FILE *o = fopen(out, "w");
  if (!o) { fprintf(stderr, "faultline: calibrate: cannot write %s\n", out); return 125; }
  char *dirbuf = strdup(out);
  const char *dir = dirname(dirbuf);

  double k = cal_tsc_per_cycle();
  if (k <= 0.05 || k > 20) k = 1.0;
  /* the lfence-rdtsc-lfence pair's own cost, taken off single-operation timings */
  uint64_t ov[1000];
  for (int i = 0; i < 1000; i++) { uint64_t t0 = cal_tick(); ov[i] = cal_tick() - t0; }
  uint64_t tick = cal_median(ov, 1000);

  struct cal_components c, cs[5];
  struct cal_whole w, ws[5];
  struct cal_kvm kv = {.state = KVM_UNUSABLE};
  /* a full run repeats every native measurement 5 times, components and
   * whole faults in alternation, and keeps each figure's median round:
   * on a shared (virtualized) host, conditions drift by tens of percent
   * from one second to the next */
  int rounds = quick ? 1 : 5;
  size_t file_pages = quick ? 1024 : 8192;   /* 4 / 32 MiB scratch file, shared by all file measurements */
  int fd = cal_cached_file(dir, file_pages);
  char fw_why[160] = "";
  uint64_t fw = cal_measure_forkwait(dir, quick ? 40 : 400, fw_why, sizeof fw_why);
  free(dirbuf);
  for (int r = 0; r < rounds; r++) {
    cal_measure_components(&cs[r], quick, fd, file_pages);
    cal_measure_whole(&ws[r], quick, fd, file_pages);
  }
  if (fd >= 0) close(fd);
  c = cs[0];
  w = ws[0];
#define MED(arr, out, field) do { uint64_t v_[5]; for (int r_ = 0; r_ < rounds; r_++) v_[r_] = arr[r_].field; \
                                  out.field = cal_median(v_, rounds); } while (0)
  MED(cs, c, syscall); MED(cs, c, sig_deliver); MED(cs, c, sig_queue); MED(cs, c, sig_de); MED(cs, c, sig_ill);
  MED(cs, c, sig_segv); MED(cs, c, reuse_fault); MED(cs, c, zero); MED(cs, c, copy); MED(cs, c, copy_cold); MED(cs, c, pop_anon);
  MED(cs, c, pop_anon_again); MED(cs, c, pop_file); MED(cs, c, pop_file_again); MED(cs, c, pop_fa);
  MED(cs, c, pop_fa_again); MED(cs, c, chase_4k); MED(cs, c, chase_2m);
  MED(ws, w, anon); MED(ws, w, cow); MED(ws, w, file); MED(ws, w, file_fa);
  if (use_kvm) cal_measure_kvm(&kv, quick);
  else snprintf(kv.why, sizeof kv.why, "--no-kvm");

#define CYC(x) ((x) ? (uint64_t)((double)(x) / k + 0.5) : 0)
#define CYC1(x) CYC(sub0(x, tick))          /* one operation between two ticks */
  c.syscall = CYC1(c.syscall); c.sig_queue = CYC(c.sig_queue); c.sig_deliver = CYC(c.sig_deliver); c.sig_de = CYC1(c.sig_de);
  c.sig_ill = CYC1(c.sig_ill); c.sig_segv = CYC1(c.sig_segv); c.reuse_fault = CYC1(c.reuse_fault);
  c.zero = CYC1(c.zero); c.copy = CYC1(c.copy); c.copy_cold = CYC1(c.copy_cold);
  c.pop_anon = CYC(c.pop_anon); c.pop_anon_again = CYC(c.pop_anon_again);
  c.pop_file = CYC(c.pop_file); c.pop_file_again = CYC(c.pop_file_again);
  c.pop_fa = CYC(c.pop_fa); c.pop_fa_again = CYC(c.pop_fa_again);
  c.chase_4k = CYC(c.chase_4k); c.chase_2m = CYC(c.chase_2m);
  w.anon = CYC1(w.anon); w.cow = CYC1(w.cow); w.file = CYC1(w.file); w.file_fa = CYC1(w.file_fa);
  kv.io_exit = CYC1(kv.io_exit); kv.cpuid_exit = CYC(kv.cpuid_exit); kv.first_touch = CYC(kv.first_touch);
  kv.loop_insn = CYC(kv.loop_insn);
  fw = CYC1(fw);

  struct param_reg *defs = params_new();
  struct fit f;
  fit(&c, defs, &f);
  params_free(defs);
  bool vm = host_is_vm();

  time_t now = time(NULL);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
  write_preset(o, &f, &c, &kv, date, k, vm);
  if (fclose(o)) { fprintf(stderr, "faultline: calibrate: cannot write %s\n", out); return 125; }

  printf("components (core cycles; TSC ticks per core cycle %.3f)  measured   fits\n", k);
  printf("  null syscall (getppid)                       %8llu   kernel_entry %llu + kernel_exit %llu; syscall_entry %llu + syscall_exit %llu\n",
         U(c.syscall), U(f.kernel_entry), U(f.kernel_exit), U(f.syscall_entry), U(f.syscall_exit));
  printf("  signal queueing (tgkill, blocked)            %8llu   signal %llu (queueing + delivery)\n", U(c.sig_queue), U(f.signal));
  printf("  signal delivery, handler, rt_sigreturn       %8llu\n", U(c.sig_deliver));
  printf("  signal by #DE (div 0), skipping handler      %8llu   exception round trip %llu (minus both): exc_deliver %llu by this route%s\n",
         U(c.sig_de), U(f.exc_rt), U(f.exc_deliver_sig), f.exc_from_reuse ? " (cross-check)" : " (used)");
  printf("  least-work #PF (write reuse after fork)      %8llu   exc_deliver %llu%s [%ld faults/%ld writes]\n",
         U(c.reuse_fault), U(f.exc_deliver), f.exc_from_reuse ? " (minus entry, exit, vma_lookup, pte_write, tlb_invalidate)" : " (not used: not one fault per write)",
         c.reuse_faults, c.reuse_writes);
  printf("  signal by #PF on PROT_NONE, same handler     %8llu   vma_lookup %llu (minus #DE's)\n", U(c.sig_segv), U(f.vma_lookup));
  printf("  signal by #UD (ud2), same handler            %8llu   (not used: KVM intercepts #UD)\n", U(c.sig_ill));
  printf("  4 KiB REP STOSB (clear_page), LLC dest       %8llu   frame_zero\n", U(c.zero));
  printf("  4 KiB REP MOVSQ (copy_page), LLC / cold src  %4llu/%-5llu cow_copy %llu (the LLC one)\n", U(c.copy), U(c.copy_cold), U(f.cow_copy));
  printf("  populate anon page / again (GUP alone)       %4llu/%-5llu frame_alloc %llu (body %llu - frame_zero - pte_write %llu)\n",
         U(c.pop_anon), U(c.pop_anon_again), U(f.frame_alloc), U(f.body_anon), U(f.pte_write));
  if (c.pop_file) {
    printf("  populate cached file page / again            %4llu/%-5llu pagecache_lookup %llu (body %llu - pte_write)\n",
           U(c.pop_file), U(c.pop_file_again), U(f.pagecache_lookup), U(f.body_file));
    printf("  the same, fault-around (%4.1f pages/fault)    %4llu/%-5llu fault_around_page %llu%s\n", f.fa_ratio > 0 ? 1.0 / f.fa_ratio : 0.0,
           U(c.pop_fa), U(c.pop_fa_again), U(f.fault_around_page), f.fa_ratio > 0 && f.fa_ratio < 0.9 ? "" : " (default: no fault-around seen)");
  } else {
    printf("  populate cached file page                    (failed: MADV_POPULATE_READ needs Linux 5.14)\n");
  }
  printf("  chase step, 4 KiB / %-19s      %4llu/%-5llu TLB miss %llu -> walk.ref_latency %llu (/%.1f refs)%s\n",
         c.thp ? "2 MiB pages" : "one page (no THP)", U(c.chase_4k), U(c.chase_2m), U(f.tlb_miss), U(f.ref_latency), f.refs,
         f.ref_latency ? "" : " implausible: default kept");
  printf("held-out whole faults (never fitted)           measured    model    error\n");
  struct { const char *name; uint64_t m, p; char extra[96]; } h[4] = {
    {"anonymous zero-fill", w.anon, pred_anon(&f), ""},
    {"COW after fork", w.cow, pred_cow(&f), ""},
    {"cached file page, fault-around off", w.file, pred_file(&f), ""},
    {"cached file page, 64 KiB fault-around", w.file_fa, pred_file_fa(&f), ""},
  };
  snprintf(h[2].extra, sizeof h[2].extra, " [%ld faults/%ld touches; model: fault_around_bytes=4096]", w.file_faults, w.file_touches);
  snprintf(h[3].extra, sizeof h[3].extra, " [%ld faults/%ld touches; model: %llu neighbours]", w.fa_faults, w.fa_touches, U(f.fa_model));
  for (int i = 0; i < 4; i++) {
    if (!h[i].m) { printf("  %-40s not measured: %s\n", h[i].name, w.note); continue; }
    bool off = h[i].p * 100 > h[i].m * 115 || h[i].p * 100 < h[i].m * 85;
    printf("  %-40s %8llu %8llu %+7.1f%%%s%s\n", h[i].name, U(h[i].m), U(h[i].p), err_pct(h[i].p, h[i].m),
           off ? "  OUTSIDE 15%" : "", h[i].extra);
  }
  /* a whole operation, held out the same way: measured beside the model
   * of the same program; the host named, as a VM's fork is not bare metal's */
  char cpu[128];
  cal_cpu_model(cpu, sizeof cpu);
  uint64_t fw_model = model_forkwait(10);
  printf("held-out whole operation (never fitted)        measured    model    error\n");
  if (fw)
    printf("  fork + child exit + wait4, tiny static     %8llu %8llu %+7.1f%%  [host: %s, %s; model: native, default preset]\n",
           U(fw), U(fw_model), err_pct(fw_model, fw), cpu, vm ? "a virtual machine" : "no hypervisor flag");
  else
    printf("  fork + child exit + wait4, tiny static     not measured: %s\n", fw_why);
  if (kv.state == KVM_MEASURED)
    printf("KVM (%s%s): CPUID exit round trip %llu, OUT exit to user space %llu, guest first touch %llu,\n"
           "  one guest loop instruction %llu%s\n",
           kv.backend, kv.hardware ? ", hardware" : ", SOFTWARE backend: NOT a hardware exit cost", U(kv.cpuid_exit),
           U(kv.io_exit), U(kv.first_touch), U(kv.loop_insn), kv.hardware ? "" : "; vmx/svm.exit not written");
  else
    printf("KVM: skipped (%s)\n", kv.why[0] ? kv.why : "unusable");
  if (vm) printf("note: this host is a virtual machine: TLB misses are 2-D walks, kernel entry may be intercepted\n");
  printf("preset written to %s (use: faultline run --preset %s ...)\n", out, out);
  return 0;
}

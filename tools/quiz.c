/* The quiz's exercises and the model's answers (quiz.h).  Each topic sets
 * up what its question describes on the model's own parts — machine
 * memory and real page tables for the walker, a TLB level for hits, EPT
 * tables and a nested TLB for 2-D walks, a run of the built-in program
 * for a mode's exits — and reads the answer off them. */
#include "tools/quiz.h"
#include "tools/ladder.h"
#include "mmu/mmu.h"
#include "cpu-x86/virt.h"
#include "sim/sim.h"
#include "traces/events.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const quiz_topic_names[QUIZ__TOPICS] = {"walk", "tlb", "nested", "fault-path"};

/* ---- a seeded generator (splitmix64) ---- */
static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static bool chance(uint64_t *s, unsigned percent) { return next(s) % 100 < percent; }
static uint64_t below(uint64_t *s, uint64_t n) { return next(s) % n; }

#define APPEND(buf, ...) snprintf((buf) + strlen(buf), sizeof(buf) - strlen(buf), __VA_ARGS__)

static const char *level_name(int l) {
  static const char *const n[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
  return n[l];
}
static void entry_bits(char *b, size_t n, uint64_t e) {
  snprintf(b, n, "%s%s%s%s%s%s%s", (e & PTE_P) ? "P" : "not-P", (e & PTE_W) ? " W" : "", (e & PTE_U) ? " U" : "",
           (e & PTE_A) ? " A" : "", (e & PTE_D) ? " D" : "", (e & PTE_PS) ? " PS" : "", (e & PTE_NX) ? " XD" : "");
}
static void pfec_text(char *b, size_t n, uint32_t e) {
  snprintf(b, n, "%s%s%s%s%s", (e & PFEC_P) ? "P (protection violation)" : "not P (no translation)",
           (e & PFEC_W) ? ", W (write)" : ", R (read)", (e & PFEC_U) ? ", U (user)" : ", S (supervisor)",
           (e & PFEC_RSVD) ? ", RSVD (a reserved bit)" : "", (e & PFEC_I) ? ", I (fetch)" : "");
}

/* ---- machine memory for a question: tables from a bump allocator ---- */
struct qmem { struct machine_mem mem; uint64_t next; };
static int qmem_init(struct qmem *q) {
  if (mem_init(&q->mem, 64ull << 20, 0)) return -1;
  q->next = 0x100000;
  return 0;
}
static uint64_t qframe(struct qmem *q) {
  uint64_t pa = q->next;
  q->next += 4096;
  memset(mem_host(&q->mem, pa), 0, 4096);
  return pa;
}

/* ---- walk ---- */
static int make_walk(struct quiz *q, uint64_t *s) {
  struct qmem qm;
  if (qmem_init(&qm)) return -1;
  q->levels = chance(s, 12) ? 5 : 4;
  q->maxphyaddr = chance(s, 20) ? 39 : 46;
  unsigned vabits = q->levels == 5 ? 57 : 48;
  uint64_t va = below(s, 1ull << (vabits - 1)) & ~7ull;
  if (chance(s, 12)) va |= ~0ull << (vabits - 1);          /* the kernel half */
  q->va = va;
  q->cr0 = CR0_PG | (chance(s, 80) ? CR0_WP : 0);
  q->cr4 = CR4_PAE | (q->levels == 5 ? CR4_LA57 : 0) | (chance(s, 30) ? CR4_SMEP : 0) | (chance(s, 30) ? CR4_SMAP : 0);
  q->efer = chance(s, 90) ? EFER_NXE : 0;
  static const uint32_t kinds[] = {0, ACC_W, ACC_F};
  q->acc = kinds[below(s, 3)] | (chance(s, 60) ? ACC_U : 0);
  if (!(q->acc & ACC_U) && !(q->acc & ACC_F) && chance(s, 30)) q->acc |= ACC_AC;
  memset(q->ent, 0, sizeof q->ent);
  uint64_t root = qframe(&qm), table = root;
  for (int l = q->levels; l >= 1; l--) {
    uint64_t e = 0;
    bool leaf = l == 1 || (l == 2 && chance(s, 15)) || (l == 3 && chance(s, 8));
    if (chance(s, 94)) e |= PTE_P;
    if (chance(s, 75)) e |= PTE_W;
    if (chance(s, 80)) e |= PTE_U;
    if (chance(s, 50)) e |= PTE_A;
    if (chance(s, 15)) e |= PTE_NX;
    if (leaf && chance(s, 40)) e |= PTE_D;
    if (chance(s, 4)) e |= 1ull << (q->maxphyaddr + below(s, 52 - q->maxphyaddr));   /* a reserved bit */
    if (leaf) {
      if (l > 1) e |= PTE_PS;
      uint64_t size = pt_span(l), frame = below(s, (1ull << 32) / size) * size;
      e |= frame;
      q->ent[l] = e;
      mem_poke64(&qm.mem, pt_entry_pa(table, va, l), e);
      break;
    }
    uint64_t next_table = qframe(&qm);
    e |= next_table;
    q->ent[l] = e;
    mem_poke64(&qm.mem, pt_entry_pa(table, va, l), e);
    table = next_table;
  }
  /* the model's walker answers */
  struct mmu m = {.mem = &qm.mem, .walk_ref_latency = 20};
  struct mmu_ctl c = {.cr0 = q->cr0, .cr3 = root, .cr4 = q->cr4, .efer = q->efer, .maxphyaddr = (uint8_t)q->maxphyaddr};
  struct walk_result r;
  bool ok = mmu_walk(&m, &c, va, q->acc, &r);
  q->fault = !ok;
  q->pfec = ok ? 0 : r.pfec;
  q->pa = ok ? r.pa : 0;
  q->refs = r.refs;
  q->leaf = ok ? r.level : 0;
  mem_fini(&qm.mem);
  /* the text */
  const char *what = (q->acc & ACC_F) ? "instruction fetch" : (q->acc & ACC_W) ? "write" : "read";
  snprintf(q->text, sizeof q->text,
           "%d-level paging; CR0.WP=%d, CR4.SMEP=%d, CR4.SMAP=%d, EFER.NXE=%d, MAXPHYADDR=%u.\n"
           "A %s-mode %s%s at linear address %#018llx.\n"
           "The walk meets these entries (each the one its address selects in the table the\n"
           "entry above points to):\n",
           q->levels, !!(q->cr0 & CR0_WP), !!(q->cr4 & CR4_SMEP), !!(q->cr4 & CR4_SMAP), !!(q->efer & EFER_NXE),
           q->maxphyaddr, (q->acc & ACC_U) ? "user" : "supervisor", what,
           (q->acc & ACC_AC) ? " (explicit, RFLAGS.AC=1)" : "", (unsigned long long)va);
  for (int l = q->levels; l >= 1 && q->ent[l]; l--) {
    char bits[64];
    entry_bits(bits, sizeof bits, q->ent[l]);
    APPEND(q->text, "  %-6s[%3u] = %#018llx   (%s)\n", level_name(l), pt_index(va, l), (unsigned long long)q->ent[l], bits);
    if (!(q->ent[l] & PTE_P) || (l > 1 && (q->ent[l] & PTE_PS))) break;
  }
  APPEND(q->text, "(a) Does the access fault?  If so, with which #PF error code?  If not, which\n"
                  "    physical address does it reach?\n"
                  "(b) How many page-table entries does the walk read (no paging-structure caches)?\n");
  char pf[160];
  if (q->fault) {
    pfec_text(pf, sizeof pf, q->pfec);
    snprintf(q->answer, sizeof q->answer, "(a) #PF, error code %#x:\n    %s.\n", q->pfec, pf);
  } else {
    snprintf(q->answer, sizeof q->answer, "(a) No fault: physical address %#llx (a %s page).\n",
             (unsigned long long)q->pa, q->leaf == 3 ? "1 GiB" : q->leaf == 2 ? "2 MiB" : "4 KiB");
  }
  APPEND(q->answer, "(b) %d entr%s.\n", q->refs, q->refs == 1 ? "y" : "ies");
  return 0;
}

/* ---- tlb ---- */
static int make_tlb(struct quiz *q, uint64_t *s) {
  struct qmem qm;
  if (qmem_init(&qm)) return -1;
  static const unsigned geo[][2] = {{4, 1}, {4, 2}, {4, 4}, {8, 2}, {8, 4}, {8, 1}};
  int g = (int)below(s, 6);
  q->entries = geo[g][0];
  q->ways = geo[g][1];
  q->naccess = 12 + (int)below(s, 7);
  int distinct = (int)q->entries + 1 + (int)below(s, 5);
  uint64_t pool[16];
  for (int i = 0; i < distinct; i++) pool[i] = 0x100 + below(s, 64);
  for (int i = 0; i < q->naccess; i++)       /* some locality: revisit a recent page */
    q->page[i] = i > 1 && chance(s, 40) ? q->page[i - 1 - (int)below(s, i < 3 ? (uint64_t)i : 3)] : pool[below(s, (uint64_t)distinct)];
  /* page tables mapping those pages, a TLB of one level */
  uint64_t root = qframe(&qm);
  for (int i = 0; i < q->naccess; i++) {
    uint64_t va = q->page[i] << 12, table = root;
    for (int l = 4; l > 1; l--) {
      uint64_t epa = pt_entry_pa(table, va, l), e = mem_peek64(&qm.mem, epa);
      if (!(e & PTE_P)) { e = qframe(&qm) | PTE_P | PTE_W | PTE_U; mem_poke64(&qm.mem, epa, e); }
      table = e & PTE_ADDR;
    }
    mem_poke64(&qm.mem, pt_entry_pa(table, va, 1), (0x2000000 + (q->page[i] << 12)) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D);
  }
  struct mmu m = {.mem = &qm.mem, .walk_ref_latency = 20};
  struct tlb t;
  memset(&t, 0, sizeof t);
  if (tlb_level_init(&t.l1d, "l1d", q->entries, q->ways, 1)) { mem_fini(&qm.mem); return -1; }
  struct mmu_ctl c = {.cr0 = CR0_PG | CR0_WP, .cr3 = root, .cr4 = CR4_PAE, .efer = EFER_NXE, .maxphyaddr = 46};
  for (int i = 0; i < q->naccess; i++) {
    struct xlate x;
    if (mmu_translate(&m, &t, &c, q->page[i] << 12, ACC_U, &x)) { tlb_level_fini(&t.l1d); mem_fini(&qm.mem); return -1; }
    q->hit[i] = !x.walked;
  }
  tlb_level_fini(&t.l1d);
  mem_fini(&qm.mem);
  unsigned sets = q->entries / q->ways;
  char shape[64];
  if (q->ways == q->entries) snprintf(shape, sizeof shape, "fully associative");
  else if (q->ways == 1) snprintf(shape, sizeof shape, "direct-mapped (%u sets)", sets);
  else snprintf(shape, sizeof shape, "%u-way set-associative (%u sets)", q->ways, sets);
  snprintf(q->text, sizeof q->text,
           "A data TLB of %u entries, %s, with LRU replacement, starts empty.\n%s"
           "A program reads one byte in each of these virtual pages, in order (page numbers):\n ",
           q->entries, shape, sets > 1 ? "A page's set is its page number mod the number of sets.\n" : "");
  for (int i = 0; i < q->naccess; i++)
    APPEND(q->text, " %#llx%s", (unsigned long long)q->page[i], i % 12 == 11 && i + 1 < q->naccess ? "\n " : "");
  APPEND(q->text, "\nWhich accesses hit in the TLB, which miss?  How many misses in all?\n");
  int misses = 0;
  snprintf(q->answer, sizeof q->answer, "Hits (H) and misses (M), in order:\n ");
  for (int i = 0; i < q->naccess; i++) {
    APPEND(q->answer, " %#llx:%c%s", (unsigned long long)q->page[i], q->hit[i] ? 'H' : 'M',
           i % 8 == 7 && i + 1 < q->naccess ? "\n " : "");
    misses += !q->hit[i];
  }
  APPEND(q->answer, "\n%d misses, %d hits.\n", misses, q->naccess - misses);
  return 0;
}

/* ---- nested ---- */
static uint64_t *qslot(struct qmem *qm, uint64_t root, int levels, uint64_t va, uint64_t table_bits) {
  uint64_t table = root;
  for (int l = levels; l > 1; l--) {
    uint64_t epa = pt_entry_pa(table, va, l), e = mem_peek64(&qm->mem, epa);
    if (!e) { e = qframe(qm) | table_bits; mem_poke64(&qm->mem, epa, e); }
    table = e & PTE_ADDR;
  }
  return (uint64_t *)(void *)mem_host(&qm->mem, pt_entry_pa(table, va, 1));
}

static int make_nested(struct quiz *q, uint64_t *s) {
  struct qmem qm;
  if (qmem_init(&qm)) return -1;
  q->n = chance(s, 30) ? 5 : 4;
  q->m = chance(s, 30) ? 5 : 4;
  q->k = (int)below(s, (uint64_t)q->n + 1);
  const uint64_t EPT_RWX = 7 | (6 << 3), va = 0x400000 + below(s, 256) * 4096, data = 0x3000000;
  uint64_t ept_root = qframe(&qm), guest_root = qframe(&qm);
  *qslot(&qm, guest_root, q->n, va, PTE_P | PTE_W | PTE_U) = data | PTE_P | PTE_W | PTE_U;
  /* the guest's table pages, root first */
  uint64_t gtab[6], table = guest_root;
  for (int l = q->n, i = 0; l >= 1; l--, i++) {
    gtab[i] = table;
    table = mem_peek64(&qm.mem, pt_entry_pa(table, va, l)) & PTE_ADDR;
  }
  uint64_t top = qm.next;
  for (uint64_t gpa = 0x100000; gpa < top + 64 * 4096; gpa += 4096) *qslot(&qm, ept_root, q->m, gpa, 7) = gpa | EPT_RWX;
  *qslot(&qm, ept_root, q->m, data, 7) = data | EPT_RWX;
  struct nested n;
  memset(&n, 0, sizeof n);
  if (nested_init(&n, 16)) { mem_fini(&qm.mem); return -1; }
  n.fmt = &walk_format_ept;
  n.ctl.cr3 = ept_root;
  n.ctl.cr4 = q->m == 5 ? CR4_LA57 : 0;
  n.ctl.efer = EFER_NXE;
  n.ctl.cr0 = CR0_WP;
  n.ctl.maxphyaddr = 46;
  struct mmu m = {.mem = &qm.mem, .walk_ref_latency = 20, .nested = &n};
  for (int i = 0; i < q->k; i++) {           /* the top k table pages' translations, cached */
    uint64_t hpa;
    struct walk_result w;
    memset(&w, 0, sizeof w);
    mmu_nested_xlate(&m, gtab[i], 0, false, &hpa, &w);
  }
  struct mmu_ctl c = {.cr0 = CR0_PG | CR0_WP, .cr3 = guest_root, .cr4 = CR4_PAE | (q->n == 5 ? CR4_LA57 : 0),
                      .efer = EFER_NXE, .maxphyaddr = 46};
  struct walk_result r;
  bool ok = mmu_walk(&m, &c, va, ACC_U, &r);
  q->refs = ok ? r.refs : -1;
  nested_fini(&n);
  mem_fini(&qm.mem);
  if (!ok) { snprintf(q->answer, sizeof q->answer, "the 2-D walk failed"); return -1; }
  static const char *const tname[] = {"", "PT", "PD", "PDPT", "PML4", "PML5"};
  snprintf(q->text, sizeof q->text,
           "A guest uses %d-level paging; the hypervisor's nested tables (EPT/NPT) have %d levels.\n"
           "A guest access misses the TLB and the hardware walks both dimensions.  No\n"
           "paging-structure cache holds anything; the nested TLB holds the host-physical\n"
           "address of ",
           q->n, q->m);
  if (!q->k) APPEND(q->text, "none of the guest's table pages.\n");
  for (int i = 0; i < q->k; i++) APPEND(q->text, "%s%s", i ? (i == q->k - 1 ? " and " : ", ") : "the guest's ", tname[q->n - i]);
  if (q->k) APPEND(q->text, " table page%s.\n", q->k > 1 ? "s" : "");
  APPEND(q->text, "How many memory references does the walk make?\n");
  snprintf(q->answer, sizeof q->answer,
           "%d references: the guest's %d entries, and the %d guest-physical addresses of its\n"
           "tables and of the data that the nested TLB does not hold (%d) each cost %d nested\n"
           "references: %d + %d x %d = %d (with nothing cached, (n+1)(m+1)-1 = %d).\n",
           q->refs, q->n, q->n + 1, q->n + 1 - q->k, q->m, q->n, q->n + 1 - q->k, q->m, q->n + (q->n + 1 - q->k) * q->m,
           (q->n + 1) * (q->m + 1) - 1);
  return 0;
}

/* ---- fault-path: a run of the built-in program ---- */
static uint32_t exit_code(const struct virt_vendor *vd, const char *name) {
  for (uint32_t c = 0; c < 0x500; c++) {
    const char *n = virt_exit_name(vd, c);
    if (n && !strcmp(n, name)) return c;
  }
  return ~0u;
}

static int make_fault_path(struct quiz *q, uint64_t *s, const char *mode, const char *cpu) {
  if (!mode) mode = chance(s, 50) ? "hvm-shadow" : "hvm-nested";
  if (!cpu) cpu = chance(s, 50) ? "intel" : "amd";
  if (strcmp(mode, "hvm-shadow") && strcmp(mode, "hvm-nested")) {
    snprintf(q->answer, sizeof q->answer, "the fault-path topic asks about the VM exits of hvm-shadow and hvm-nested");
    return -1;
  }
  snprintf(q->mode, sizeof q->mode, "%s", mode);
  snprintf(q->cpu, sizeof q->cpu, "%s", cpu);
  char guest[] = "/tmp/faultline-quiz.XXXXXX", log[] = "/tmp/faultline-quiz-log.XXXXXX";
  if (builtin_guest_write(guest)) return -1;
  int fd = mkstemp(log);
  if (fd < 0) { unlink(guest); return -1; }
  close(fd);
  char *argv[] = {guest, NULL}, *envp[] = {NULL};
  struct sim_config cfg = {.mode = mode, .cpu_vendor = cpu, .params = params_new(), .log_path = log, .log_jsonl = true,
                           .mem_bytes = 64ull << 20, .epoch = 1700000000ull, .argv = argv, .envp = envp, .quiet = true,
                           .guest_output_null = true};
  struct sim_result res;
  int rc = sim_run(&cfg, &res);
  params_free(cfg.params);
  unlink(guest);
  struct llog l;
  char err[256];
  if (rc || llog_read(&l, log, err, sizeof err)) {
    unlink(log);
    snprintf(q->answer, sizeof q->answer, "the run failed: %s", rc ? res.error : err);
    return -1;
  }
  unlink(log);
  long r = ladder_pick(&l, 0, "anon_new");
  if (r < 0) { llog_free(&l); snprintf(q->answer, sizeof q->answer, "no anon_new fault"); return -1; }
  const struct virt_vendor *vd = strcmp(cpu, "amd") ? &vmx_vendor : &svm_vendor;
  size_t end = ladder_subtree_end(&l, (size_t)r);
  q->exits = r + 1 < (long)end && l.e[r + 1].step == EV_S_VM_EXIT;
  q->exit_code = q->later_code = 0;
  q->exit_name[0] = q->later_name[0] = 0;
  q->cycles = l.e[r].total;
  for (size_t i = (size_t)r + 1; i < end; i++) {
    if (l.e[i].step != EV_S_VM_EXIT) continue;
    const char *f = strstr(l.e[i].fields, "exit=");
    char name[32] = "";
    if (f) sscanf(f + 5, "%31s", name);
    if (q->exits && !q->exit_name[0]) { snprintf(q->exit_name, sizeof q->exit_name, "%s", name); q->exit_code = exit_code(vd, name); }
    else if (!q->exits && !q->later_name[0]) { snprintf(q->later_name, sizeof q->later_name, "%s", name); q->later_code = exit_code(vd, name); }
  }
  llog_free(&l);
  bool amd = !strcmp(cpu, "amd");
  snprintf(q->text, sizeof q->text,
           "A guest under %s on %s (%s) writes for the first time to a page of anonymous\n"
           "memory it has mapped: its PTE is not present.  (a) Does the hardware leave the guest (a VM exit)\n"
           "before the guest's own #PF handler runs?  If so, with which %s?  (b) While the\n"
           "guest's handler gives the page a new frame, does anything else exit, and with which code?\n",
           mode, amd ? "AMD" : "Intel", amd ? "SVM" : "VMX", amd ? "EXITCODE" : "basic exit reason");
  if (q->exits)
    snprintf(q->answer, sizeof q->answer,
             "(a) Yes: the #PF is intercepted (the CPU walked the shadow tables, not the guest's):\n"
             "    %s %#x (%s); the hypervisor walks the guest's tables, finds the\n"
             "    PTE not present and injects the #PF into the guest.\n",
             amd ? "EXITCODE" : "basic exit reason", q->exit_code, q->exit_name);
  else
    snprintf(q->answer, sizeof q->answer,
             "(a) No: under nested paging the guest's #PF goes to the guest directly (no intercept).\n");
  if (q->later_name[0])
    APPEND(q->answer, "(b) Yes: the new frame's guest-physical page is touched for the first time (zeroing\n"
                      "    it) and has no nested entry yet: %s %#x (%s).\n",
           amd ? "EXITCODE" : "basic exit reason", q->later_code, q->later_name);
  else if (q->exits)
    APPEND(q->answer, "(b) Yes, more of the same kind: the guest's own page-table stores and frame zeroing\n"
                      "    reach pages the shadow does not map yet (hidden shadow fills and emulations).\n");
  else
    APPEND(q->answer, "(b) No.\n");
  APPEND(q->answer, "The fault cost %llu cycles in all (`faultline explain --mode %s --cpu %s`).\n",
         (unsigned long long)q->cycles, mode, cpu);
  return 0;
}

int quiz_make(struct quiz *q, uint64_t seed, int topic, const char *mode, const char *cpu) {
  memset(q, 0, sizeof *q);
  uint64_t s = seed * 0x2545f4914f6cdd1dull + 0x5eed;
  if (topic < 0) topic = (int)(next(&s) % QUIZ__TOPICS);
  q->topic = topic;
  q->seed = seed;
  s ^= (uint64_t)topic << 40;
  switch (topic) {
  case QUIZ_WALK: return make_walk(q, &s);
  case QUIZ_TLB: return make_tlb(q, &s);
  case QUIZ_NESTED: return make_nested(q, &s);
  case QUIZ_FAULT_PATH: return make_fault_path(q, &s, mode, cpu);
  default: return -1;
  }
}

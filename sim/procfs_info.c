/* The content of the system-wide /proc files that describe the
 * machine: /proc/cpuinfo (from the CPUID personality) and /proc/meminfo
 * (guest RAM, the running process's memory, hugetlb pools). */
#include "sim/procfs_priv.h"
#include "cpu-x86/cpu.h"
#include <stdio.h>
#include <string.h>

void gen_cpuinfo(struct kernel *k, struct sbuf *b) {
  uint32_t r0[4], r1[4], r7[4], e1[4], e8[4], br[12];
  cpu_cpuid(k->cpu, 0, 0, r0);
  cpu_cpuid(k->cpu, 1, 0, r1);
  cpu_cpuid(k->cpu, 7, 0, r7);
  cpu_cpuid(k->cpu, 0x80000001, 0, e1);
  cpu_cpuid(k->cpu, 0x80000008, 0, e8);
  for (uint32_t i = 0; i < 3; i++) cpu_cpuid(k->cpu, 0x80000002 + i, 0, br + 4 * i);
  char vendor[13], brand[49];
  memcpy(vendor, &r0[1], 4); memcpy(vendor + 4, &r0[3], 4); memcpy(vendor + 8, &r0[2], 4);
  vendor[12] = 0;
  memcpy(brand, br, 48);
  brand[48] = 0;
  char *bp = brand;
  while (*bp == ' ') bp++;
  for (size_t l = strlen(bp); l && bp[l - 1] == ' '; l--) bp[l - 1] = 0;
  uint32_t fam = (r1[0] >> 8) & 0xf, model = (r1[0] >> 4) & 0xf, step = r1[0] & 0xf;
  if (fam == 6 || fam == 15) model += ((r1[0] >> 16) & 0xf) << 4;
  if (fam == 15) fam += (r1[0] >> 20) & 0xff;
  /* last-level cache from leaf 4 */
  uint64_t llc = 0;
  for (uint32_t s = 0; s < 16; s++) {
    uint32_t c4[4];
    cpu_cpuid(k->cpu, 4, s, c4);
    if (!(c4[0] & 31)) break;
    llc = (uint64_t)(((c4[1] >> 22) & 0x3ff) + 1) * (((c4[1] >> 12) & 0x3ff) + 1) *
          ((c4[1] & 0xfff) + 1) * ((uint64_t)c4[2] + 1);
  }
  uint64_t khz = k->cpu->tsc_hz / 1000;
  sb_printf(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
            "stepping\t: %u\nmicrocode\t: 0x1\ncpu MHz\t\t: %llu.%03llu\ncache size\t: %llu KB\n"
            "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: 0\n"
            "initial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\n"
            "flags\t\t:",
            vendor, fam, model, bp, step, (unsigned long long)(khz / 1000),
            (unsigned long long)(khz % 1000), (unsigned long long)(llc >> 10), r0[0]);
  /* Linux's order: capability words 0 (1.edx), 1 (8000_0001.edx),
   * 4 (1.ecx), 6 (8000_0001.ecx), 9 (7.ebx); hidden bits have no name. */
  static const char *const w0[32] = {"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8",
    "apic", NULL, "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", NULL, "dts",
    "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"};
  static const char *const w1[32] = {[11] = "syscall", [19] = "mp", [20] = "nx", [22] = "mmxext",
    [25] = "fxsr_opt", [26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext",
    [31] = "3dnow"};
  static const char *const w4[32] = {"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx",
    "smx", "est", "tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", NULL, "pcid", "dca",
    "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", NULL,
    "avx", "f16c", "rdrand", "hypervisor"};
  static const char *const w6[32] = {"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm",
    "sse4a", "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", NULL, "lwp",
    "fma4", "tce", NULL, "nodeid_msr", NULL, "tbm", "topoext", "perfctr_core", "perfctr_nb", NULL,
    "bpext", "ptsc", "perfctr_llc", "mwaitx"};
  static const char *const w9[32] = {"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2",
    "fdp_excptn_only", "smep", "bmi2", "erms", "invpcid", "rtm", "cqm", "zero_fcs_fds", "mpx",
    "rdt_a", "avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", NULL, "clflushopt",
    "clwb", "intel_pt", "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl"};
  const char *const *tabs[5] = {w0, w1, w4, w6, w9};
  uint32_t regs[5] = {r1[3], e1[3], r1[2], e1[2], r7[1]};
  for (int w = 0; w < 5; w++)
    for (int bit = 0; bit < 32; bit++)
      if ((regs[w] >> bit) & 1 && tabs[w][bit]) sb_printf(b, " %s", tabs[w][bit]);
  uint32_t clf = ((r1[1] >> 8) & 0xff) * 8;
  sb_printf(b, "\nbugs\t\t:\nbogomips\t: %llu.%02llu\nclflush size\t: %u\ncache_alignment\t: %u\n"
            "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
            (unsigned long long)(khz * 2 / 1000), (unsigned long long)(khz * 2 % 1000 / 10),
            clf, clf ? clf : 64, e8[0] & 0xff, (e8[0] >> 8) & 0xff);
}

void gen_meminfo(struct kernel *k, struct sbuf *b) {
  uint64_t total = k->mem->ram_bytes >> 10;
  uint64_t used = k->frames_used * (PAGE >> 10);
  uint64_t fr = used < total ? total - used : 0;
  static const char *const zero[] = {"Buffers:", "Cached:", "SwapCached:", "Active:", "Inactive:",
    "Active(anon):", "Inactive(anon):", "Active(file):", "Inactive(file):", "Unevictable:",
    "Mlocked:", "SwapTotal:", "SwapFree:", "Dirty:", "Writeback:", "AnonPages:", "Mapped:",
    "Shmem:", "KReclaimable:", "Slab:", "SReclaimable:", "SUnreclaim:", "KernelStack:",
    "PageTables:", "NFS_Unstable:", "Bounce:", "WritebackTmp:"};
  sb_printf(b, "%-16s%8llu kB\n%-16s%8llu kB\n%-16s%8llu kB\n", "MemTotal:",
            (unsigned long long)total, "MemFree:", (unsigned long long)fr, "MemAvailable:",
            (unsigned long long)fr);
  for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
    uint64_t v = 0;
    if (!strcmp(zero[i], "AnonPages:") || !strcmp(zero[i], "Active(anon):") || !strcmp(zero[i], "Active:"))
      v = k->mm ? k->mm->rss_pages * 4 : 0;
    if (!strcmp(zero[i], "PageTables:")) v = k->mm ? k->mm->pt_pages * 4 : 0;
    sb_printf(b, "%-16s%8llu kB\n", zero[i], (unsigned long long)v);
  }
  sb_printf(b, "%-16s%8llu kB\n%-16s%8llu kB\n%-16s%8llu kB\n%-16s%8llu kB\n", "CommitLimit:",
            (unsigned long long)total, "Committed_AS:", (unsigned long long)used,
            "VmallocTotal:", 34359738367ull, "VmallocUsed:", 0ull);
  hugetlb_meminfo(k, b);
}

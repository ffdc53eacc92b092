/* Walker oracle, KVM backend: the harness runs in a KVM guest started
 * straight in 64-bit mode (KVM_SET_SREGS with paging on), all cases in one
 * KVM_RUN sequence; results are read from guest memory.  Under a software
 * KVM backend (kvm_pvm) or with TDP off, guest page tables go through KVM's
 * shadow MMU, whose guest walker (not the CPU's) decides faults and A/D:
 * an oracle of paging semantics, not of timing.  Skips (77) without
 * /dev/kvm. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tests/oracle/oracle.h"

#define SKIP 77

static bool path_exists(const char *p) { return access(p, F_OK) == 0; }

/* Which KVM backend: hardware (kvm_intel / kvm_amd and vmx / svm in
 * cpuinfo) or a software one (kvm_pvm); TDP or the shadow MMU. */
static void describe_backend(char *buf, size_t n) {
  bool vmx = false, svm = false;
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[8192];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "flags", 5)) {
      vmx |= strstr(line, " vmx") != NULL;
      svm |= strstr(line, " svm") != NULL;
      break;
    }
  if (f) fclose(f);
  const char *mod = path_exists("/sys/module/kvm_pvm") ? "kvm_pvm"
                  : path_exists("/sys/module/kvm_intel") ? "kvm_intel"
                  : path_exists("/sys/module/kvm_amd") ? "kvm_amd" : "unknown module";
  const char *mmu = !strcmp(mod, "kvm_pvm") ? "shadow MMU (software virtualization)" : "TDP or shadow MMU";
  char tdp[8] = "";
  FILE *p = fopen(!strcmp(mod, "kvm_intel") ? "/sys/module/kvm_intel/parameters/ept"
                                             : "/sys/module/kvm_amd/parameters/npt", "r");
  if (p && fgets(tdp, sizeof tdp, p)) {
    if (tdp[0] == 'N' || tdp[0] == '0') mmu = "shadow MMU (TDP off)";
    else mmu = "TDP on (guest walks by the CPU)";
  }
  if (p) fclose(p);
  snprintf(buf, n, "kvm (%s; cpu flags:%s%s%s; %s)", mod, vmx ? " vmx" : "", svm ? " svm" : "",
           vmx || svm ? "" : " no vmx/svm", mmu);
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx) {
  for (uint32_t i = 0; i < c->nent; i++)
    if (c->entries[i].function == fn && c->entries[i].index == idx) return &c->entries[i];
  return NULL;
}

static int load_harness(uint8_t *guest) {
  FILE *f = fopen(HARNESS_BIN, "rb");
  if (!f) { perror(HARNESS_BIN); return -1; }
  size_t n = fread(guest + HARNESS_BASE, 1, 0x100000, f);
  fclose(f);
  return n > HARNESS_USER_PAGE - HARNESS_BASE ? 0 : -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *dev = getenv("FL_KVM_DEVICE");     /* default /dev/kvm */
  if (!dev || !*dev) dev = "/dev/kvm";
  int kvm = open(dev, O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    printf("SKIP: KVM backend absent (%s: %s)\n", dev, strerror(errno));
    return SKIP;
  }
  int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
  int vm = api == 12 ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
  if (vm < 0) {
    printf("SKIP: KVM backend unusable (API %d, KVM_CREATE_VM: %s)\n", api, strerror(errno));
    return SKIP;
  }
  char backend[256];
  describe_backend(backend, sizeof backend);
  printf("backend: %s, API %d\n", backend, api);

  uint8_t *guest = mmap(NULL, ORACLE_RAM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (guest == MAP_FAILED) { perror("mmap"); return 1; }
  struct kvm_userspace_memory_region region = {
    .slot = 0, .guest_phys_addr = 0, .memory_size = ORACLE_RAM, .userspace_addr = (uint64_t)guest};
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) { perror("KVM_SET_USER_MEMORY_REGION"); return 1; }
  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) { perror("KVM_CREATE_VCPU"); return 1; }
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run *krun = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (krun == MAP_FAILED) { perror("mmap kvm_run"); return 1; }

  /* The guest's CPUID is what KVM supports: CR4.SMEP/SMAP/PKE writes and
   * the reserved-bit checks (MAXPHYADDR, 1G pages) follow it. */
  struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + 256 * sizeof(struct kvm_cpuid_entry2));
  cpuid->nent = 256;
  if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) { perror("KVM_GET_SUPPORTED_CPUID"); return 1; }
  if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0) { perror("KVM_SET_CPUID2"); return 1; }
  struct kvm_cpuid_entry2 *l7 = find_leaf(cpuid, 7, 0), *x1 = find_leaf(cpuid, 0x80000001, 0),
                          *x8 = find_leaf(cpuid, 0x80000008, 0);
  struct oracle_run run = {.backend = "kvm", };
  oracle_env(&run);
  /* kvm_pvm keeps the first upper-half PML4 slot (0xffff800000000000, 512
   * GiB, inside Linux's hypervisor-reserved hole) for itself: every CPL-3
   * access there faults as not present whatever the guest's tables say
   * (measured with FL_ORACLE_TOP_SLOT=256; slots 255, 257..511 behave) */
  if (path_exists("/sys/module/kvm_pvm")) run.avoid_top_lo = run.avoid_top_hi = 256;
  run.caps.smep = l7 && (l7->ebx >> 7 & 1);
  run.caps.smap = l7 && (l7->ebx >> 20 & 1);
  run.caps.pku = l7 && (l7->ecx >> 3 & 1);
  run.caps.la57 = l7 && (l7->ecx >> 16 & 1);
  run.caps.nx = x1 && (x1->edx >> 20 & 1);
  run.caps.gb1 = x1 && (x1->edx >> 26 & 1);
  run.caps.maxphyaddr = x8 ? (x8->eax & 0xff) : 36;
  free(cpuid);

  if (load_harness(guest)) { fprintf(stderr, "cannot load %s\n", HARNESS_BIN); return 1; }
  if (oracle_build(&run, guest, 0x6f7261636c65ull /* fixed seed */, 0)) return 1;

  /* 64-bit mode straight away (SDM 10.8.5 state): flat 64-bit CS, PAE +
   * LME/LMA + PG, the harness's boot tables; the harness loads its own
   * GDT, TSS and IDT. */
  struct kvm_sregs sr;
  if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0) { perror("KVM_GET_SREGS"); return 1; }
  struct kvm_segment code = {.base = 0, .limit = 0xffffffff, .selector = SEL_KCODE64, .type = 11,
                             .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1};
  struct kvm_segment data = {.base = 0, .limit = 0xffffffff, .selector = SEL_KDATA, .type = 3,
                             .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1};
  sr.cs = code;
  sr.ds = sr.es = sr.fs = sr.gs = sr.ss = data;
  sr.cr0 = 0x80000031;        /* PG NE ET PE */
  sr.cr4 = 0x20;              /* PAE */
  sr.efer = 0x500;            /* LME LMA */
  sr.cr3 = BLOB_BASE + HDR_SIZE + 0x1000;   /* the 4-level boot root (oracle.c HT_PML4) */
  if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0) { perror("KVM_SET_SREGS"); return 1; }
  struct kvm_regs regs = {.rip = HARNESS_ENTRY64, .rflags = 2};
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) { perror("KVM_SET_REGS"); return 1; }

  alarm(50);
  for (;;) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) {
      if (errno == EINTR) continue;
      perror("KVM_RUN");
      return 1;
    }
    if (krun->exit_reason == KVM_EXIT_IO && krun->io.port == PORT_EXIT) break;
    if (krun->exit_reason == KVM_EXIT_IO) continue;
    if (krun->exit_reason == KVM_EXIT_HLT) break;
    struct kvm_regs rr;
    ioctl(vcpu, KVM_GET_REGS, &rr);
    printf("kvm: unexpected exit %u at rip %#llx (suberror %u), case %llu\n", krun->exit_reason,
           (unsigned long long)rr.rip, krun->internal.suberror, (unsigned long long)rr.r12);
    return 1;
  }
  alarm(0);
  if (!oracle_header_ok(&run, guest + BLOB_BASE)) return 1;
  uint64_t results;
  memcpy(&results, guest + BLOB_BASE + HDR_RESULTS, 8);
  /* KVM sets A bits only once a walk has passed its permission checks */
  int rc = oracle_compare(&run, guest + results, 0);
  oracle_free(&run);
  return rc;
}

/* faultline calibrate: VM exit round trips through /dev/kvm.
 *
 * A one-vCPU VM with one 1 MiB memory slot runs a few bytes of real-mode
 * code (no page tables: nothing but the exits is timed).  Measured:
 *   - OUT to a port: every KVM_RUN returns to user space with
 *     KVM_EXIT_IO, so rdtsc around KVM_RUN is a full exit round trip
 *     (exit, KVM's decode, return to user space, re-entry);
 *   - CPUID: handled inside KVM; a loop of N CPUIDs before one OUT, minus
 *     the same loop with a 2-byte NOP in place of CPUID, divided by N is
 *     one exit-handle-entry round trip (the loop's own instructions cancel:
 *     on a software backend they are not free);
 *   - first touch: the guest writes one byte to each of 128 pages the host
 *     has already faulted in (so no host page allocation), twice; the
 *     first pass minus the second, per page, is the nested (EPT/NPT) or
 *     shadow fill.
 * What the numbers mean depends on the backend: kvm_intel/kvm_amd exit in
 * hardware; kvm_pvm (and anything without vmx/svm) runs the guest by
 * software means, so its "exits" are not hardware exit costs. */
#include "tools/calibrate.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static bool has_dir(const char *p) { return access(p, F_OK) == 0; }

static bool cpu_flag(const char *flag) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[4096];
  bool found = false;
  size_t n = strlen(flag);
  while (!found && f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5)) continue;
    for (char *s = strstr(line, flag); s; s = strstr(s + 1, flag))
      if (s[-1] == ' ' && (s[n] == ' ' || s[n] == '\n')) { found = true; break; }
    break;   /* the first CPU's flags are enough */
  }
  if (f) fclose(f);
  return found;
}

static void detect_backend(struct cal_kvm *k) {
  bool vmx = cpu_flag("vmx"), svm = cpu_flag("svm");
  if (has_dir("/sys/module/kvm_intel") && vmx) { strcpy(k->backend, "kvm_intel"); k->hardware = true; }
  else if (has_dir("/sys/module/kvm_amd") && svm) { strcpy(k->backend, "kvm_amd"); k->hardware = true; }
  else if (has_dir("/sys/module/kvm_pvm")) strcpy(k->backend, "kvm_pvm");
  else strcpy(k->backend, "kvm (no vmx/svm flag: unknown backend)");
}

/* real-mode code, loaded at guest-physical 0x1000, 0x2000, 0x3000 */
static const unsigned char code_out[] = {0xe6, 0x10, 0xeb, 0xfc};   /* l: out %al,$0x10; jmp l */
enum { NCPUID = 64, NTOUCH = 128 };
static const unsigned char code_cpuid[] = {
  0xbe, NCPUID, 0x00,        /* 0: mov $NCPUID,%si */
  0x66, 0x31, 0xc0,          /* 3: xor %eax,%eax (leaf 0) */
  0x0f, 0xa2,                /* 6: cpuid */
  0x4e,                      /* 8: dec %si */
  0x75, 0xf8,                /* 9: jnz 3 */
  0xe6, 0x10,                /* 11: out %al,$0x10 */
  0xeb, 0xf1,                /* 13: jmp 0 */
};
static const unsigned char code_nop[] = {   /* code_cpuid with CPUID -> NOP */
  0xbe, NCPUID, 0x00, 0x66, 0x31, 0xc0, 0x66, 0x90, 0x4e, 0x75, 0xf8, 0xe6, 0x10, 0xeb, 0xf1,
};
static const unsigned char code_touch[] = {
  0xb8, 0x00, 0x10,          /* 0: mov $0x1000,%ax (segment of 0x10000) */
  0x8e, 0xc0,                /* 3: mov %ax,%es */
  0xb9, NTOUCH, 0x00,        /* 5: mov $NTOUCH,%cx */
  0x26, 0xa2, 0x00, 0x00,    /* 8: mov %al,%es:0 */
  0x05, 0x00, 0x01,          /* 12: add $0x100,%ax (next 4 KiB) */
  0x8e, 0xc0,                /* 15: mov %ax,%es */
  0xe2, 0xf5,                /* 17: loop 8 */
  0xe6, 0x10,                /* 19: out %al,$0x10 */
  0xeb, 0xfc,                /* 21: jmp 19 */
};

struct vm { int vm, vcpu; struct kvm_run *run; size_t run_sz; unsigned char *mem; };
enum { MEM = 1 << 20 };

static int vm_open(int kvm, struct vm *v, char *why, size_t wl) {
  memset(v, 0, sizeof *v);
  v->vm = v->vcpu = -1;
  if ((v->vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0) { snprintf(why, wl, "KVM_CREATE_VM: %s", strerror(errno)); return -1; }
  v->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (v->mem == MAP_FAILED) { v->mem = NULL; snprintf(why, wl, "mmap guest memory"); return -1; }
  memset(v->mem, 0xf4, 0x5000);   /* code pages: hlt filler */
  memcpy(v->mem + 0x1000, code_out, sizeof code_out);
  memcpy(v->mem + 0x2000, code_cpuid, sizeof code_cpuid);
  memcpy(v->mem + 0x3000, code_touch, sizeof code_touch);
  memcpy(v->mem + 0x4000, code_nop, sizeof code_nop);
  for (size_t off = 0x10000; off < 0x10000 + NTOUCH * 4096u; off += 4096) v->mem[off] = 0;  /* host side mapped */
  struct kvm_userspace_memory_region r = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM,
                                          .userspace_addr = (uintptr_t)v->mem};
  if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) { snprintf(why, wl, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno)); return -1; }
  if ((v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0)) < 0) { snprintf(why, wl, "KVM_CREATE_VCPU: %s", strerror(errno)); return -1; }
  int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (sz <= 0) { snprintf(why, wl, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno)); return -1; }
  v->run_sz = (size_t)sz;
  v->run = mmap(NULL, v->run_sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
  if (v->run == MAP_FAILED) { v->run = NULL; snprintf(why, wl, "mmap kvm_run: %s", strerror(errno)); return -1; }
  return 0;
}

static void vm_close(struct vm *v) {
  if (v->run) munmap(v->run, v->run_sz);
  if (v->vcpu >= 0) close(v->vcpu);
  if (v->vm >= 0) close(v->vm);
  if (v->mem) munmap(v->mem, MEM);
}

/* point the vCPU at real-mode code at `ip` (CS base 0) */
static int vm_start(struct vm *v, uint64_t ip, char *why, size_t wl) {
  struct kvm_sregs s;
  if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0) { snprintf(why, wl, "KVM_GET_SREGS: %s", strerror(errno)); return -1; }
  s.cs.base = 0; s.cs.selector = 0;
  s.ds.base = 0; s.ds.selector = 0;
  if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0) { snprintf(why, wl, "KVM_SET_SREGS: %s", strerror(errno)); return -1; }
  struct kvm_regs r = {.rip = ip, .rflags = 2};
  if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0) { snprintf(why, wl, "KVM_SET_REGS: %s", strerror(errno)); return -1; }
  return 0;
}

/* one KVM_RUN that must end in our OUT; returns its TSC ticks or 0 */
static uint64_t vm_run_out(struct vm *v, char *why, size_t wl) {
  uint64_t t0 = cal_tick();
  int e = ioctl(v->vcpu, KVM_RUN, 0);
  uint64_t t = cal_tick() - t0;
  if (e < 0) { snprintf(why, wl, "KVM_RUN: %s", strerror(errno)); return 0; }
  if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != 0x10) {
    snprintf(why, wl, "KVM_RUN: unexpected exit reason %u", v->run->exit_reason);
    return 0;
  }
  return t ? t : 1;
}

static uint64_t median_runs(struct vm *v, int reps, char *why, size_t wl) {
  uint64_t *s = malloc(sizeof *s * (size_t)reps);
  for (int i = 0; i < 3; i++) if (!vm_run_out(v, why, wl)) { free(s); return 0; }   /* warm up */
  for (int i = 0; i < reps; i++)
    if (!(s[i] = vm_run_out(v, why, wl))) { free(s); return 0; }
  uint64_t m = cal_median(s, reps);
  free(s);
  return m;
}

void cal_measure_kvm(struct cal_kvm *k, int quick) {
  memset(k, 0, sizeof *k);
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    k->state = errno == ENOENT ? KVM_ABSENT : KVM_UNUSABLE;
    snprintf(k->why, sizeof k->why, "/dev/kvm: %s", strerror(errno));
    return;
  }
  detect_backend(k);
  k->state = KVM_UNUSABLE;
  if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
    snprintf(k->why, sizeof k->why, "/dev/kvm: unexpected API version");
    close(kvm);
    return;
  }
  int reps = quick ? 50 : 2000, creps = quick ? 5 : 100;
  struct vm v;
  if (vm_open(kvm, &v, k->why, sizeof k->why) || vm_start(&v, 0x1000, k->why, sizeof k->why)) goto out;
  if (!(k->io_exit = median_runs(&v, reps, k->why, sizeof k->why))) goto out;
  if (vm_start(&v, 0x2000, k->why, sizeof k->why)) goto out;
  uint64_t with = median_runs(&v, creps, k->why, sizeof k->why);
  if (!with || vm_start(&v, 0x4000, k->why, sizeof k->why)) goto out;
  uint64_t without = median_runs(&v, creps, k->why, sizeof k->why);
  if (!without) goto out;
  k->cpuid_exit = with > without ? (with - without) / NCPUID : 0;
  k->loop_insn = without > k->io_exit ? (without - k->io_exit) / (NCPUID * 3) : 0;
  /* first touch: fresh VMs (each page is first-touched once per VM) */
  int vms = quick ? 1 : 5;
  uint64_t per[5];
  for (int i = 0; i < vms; i++) {
    struct vm t;
    uint64_t first = 0, second = 0;
    /* a few OUT round trips first: the vCPU's first runs set up its MMU */
    if (vm_open(kvm, &t, k->why, sizeof k->why) || vm_start(&t, 0x1000, k->why, sizeof k->why) ||
        !median_runs(&t, 5, k->why, sizeof k->why) || vm_start(&t, 0x3000, k->why, sizeof k->why) ||
        !(first = vm_run_out(&t, k->why, sizeof k->why)) || vm_start(&t, 0x3000, k->why, sizeof k->why) ||
        !(second = vm_run_out(&t, k->why, sizeof k->why))) { vm_close(&t); goto out; }
    vm_close(&t);
    per[i] = first > second ? (first - second) / NTOUCH : 0;
  }
  k->first_touch = cal_median(per, vms);
  k->state = KVM_MEASURED;
  k->why[0] = 0;
out:
  vm_close(&v);
  close(kvm);
}

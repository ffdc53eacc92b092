/* Walker oracle, QEMU backend: qemu-system-x86_64 with TCG given
 * explicitly and -cpu max (SMEP, SMAP, PKU, LA57, 1G pages), phys-bits set
 * explicitly.  QEMU's -kernel takes no ELF64, so the harness image is a
 * flat Multiboot 1 kernel whose 32-bit entry enters long mode itself; the
 * blob goes in with -device loader, results come back through the debug
 * console (port 0xE9) and isa-debug-exit ends the run.  One boot runs every
 * case.  Skips (77) when qemu-system-x86_64 is not installed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/oracle/oracle.h"

#define SKIP 77
#define PHYS_BITS 40              /* set explicitly: TCG's default, stated */

static char *find_qemu(void) {
  const char *env = getenv("FL_QEMU");
  if (env && *env) return access(env, X_OK) == 0 ? strdup(env) : NULL;
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/bin:/bin");
  for (char *d = strtok(copy, ":"); d; d = strtok(NULL, ":")) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/qemu-system-x86_64", d);
    if (access(buf, X_OK) == 0) { free(copy); return strdup(buf); }
  }
  free(copy);
  return NULL;
}

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(p, 1, n, f);
  return fclose(f) || w != n ? -1 : 0;
}

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
  *n = fread(p, 1, (size_t)(sz > 0 ? sz : 0), f);
  fclose(f);
  return p;
}

/* Run qemu; 0 when it exited through isa-debug-exit (status (0 << 1) | 1). */
static int run_qemu(const char *qemu, const char *blob, const char *out, const char *log) {
  char loader[4200], debugcon[4200], cpu[64], mem[32];
  snprintf(loader, sizeof loader, "loader,file=%s,addr=%#x,force-raw=on", blob, BLOB_BASE);
  snprintf(debugcon, sizeof debugcon, "file:%s", out);
  snprintf(cpu, sizeof cpu, "max,phys-bits=%d", PHYS_BITS);
  snprintf(mem, sizeof mem, "%uM", ORACLE_RAM >> 20);
  char *argv[] = {(char *)qemu, "-accel", "tcg", "-cpu", cpu, "-m", mem, "-smp", "1",
                  "-nographic", "-no-reboot", "-nodefaults", "-monitor", "none",
                  "-kernel", HARNESS_BIN, "-device", loader, "-debugcon", debugcon,
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=1", NULL};
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE *l = freopen(log, "w", stdout);
    (void)l;
    dup2(1, 2);
    execv(qemu, argv);
    _exit(127);
  }
  /* bounded wait: a harness that wedges must not hang the suite */
  for (int t = 0; t < 500; t++) {
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 1 ? 0 : (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  fprintf(stderr, "qemu: timed out after 50 s\n");
  return -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *qemu = find_qemu();
  if (!qemu) {
    printf("SKIP: QEMU backend absent (no qemu-system-x86_64 %s; apt-get install qemu-system-x86)\n",
           getenv("FL_QEMU") && *getenv("FL_QEMU") ? "at $FL_QEMU" : "in PATH");
    return SKIP;
  }
  printf("backend: qemu-tcg (%s -accel tcg -cpu max,phys-bits=%d)\n", qemu, PHYS_BITS);
  /* -cpu max under TCG: what QEMU's TCG implements; checked against the
   * guest's own CPUID after the run (oracle_header_ok) */
  struct oracle_run run = {.backend = "qemu-tcg", };
  oracle_env(&run);
  run.caps = (struct oracle_caps){.nx = true, .smep = true, .smap = true, .pku = true,
                                  .la57 = true, .gb1 = true, .maxphyaddr = PHYS_BITS};
  /* QEMU 7.2's TCG walker (target/i386 mmu_translate), as observed: a
   * reserved-bit fault's error code has RSVD without P, and the PDPTE's A
   * bit is set before its PS bit is looked at, so a 1G leaf gets A even
   * when the walk then fails its permission checks */
  run.quirks = (struct oracle_quirks){.rsvd_without_p = true, .a_in_1g_leaf_on_fault = true};
  uint8_t *guest = calloc(1, ORACLE_RAM);
  if (!guest || oracle_build(&run, guest, 0x71656d75ull /* fixed seed */, HF_DEBUGCON)) return 1;

  char dir[] = "/tmp/fl-oracle-qemu-XXXXXX";
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
  char blob[256], out[256], log[256];
  snprintf(blob, sizeof blob, "%s/blob.bin", dir);
  snprintf(out, sizeof out, "%s/debugcon.bin", dir);
  snprintf(log, sizeof log, "%s/qemu.log", dir);
  if (write_file(blob, guest + BLOB_BASE, run.blob_end - BLOB_BASE)) { perror(blob); return 1; }
  int rc = run_qemu(qemu, blob, out, log);
  size_t n = 0;
  uint8_t *dump = read_file(out, &n);
  size_t want = HDR_SIZE + (size_t)run.ncases * RESULT_SIZE;
  int status = 1;
  if (rc != 0 || !dump || n < HDR_SIZE) {
    printf("qemu: run failed (status %d, %zu bytes of debug console); log:\n", rc, n);
    size_t ln;
    uint8_t *l = read_file(log, &ln);
    if (l) fwrite(l, 1, ln, stdout);
    free(l);
  } else if (oracle_header_ok(&run, dump)) {
    if (n < want) printf("qemu: short debug console dump (%zu of %zu bytes)\n", n, want);
    else status = oracle_compare(&run, dump + HDR_SIZE, 1);   /* QEMU sets A bits as it walks */
  }
  unlink(blob);
  unlink(out);
  unlink(log);
  rmdir(dir);
  free(dump);
  free(guest);
  free(qemu);
  oracle_free(&run);
  return status;
}

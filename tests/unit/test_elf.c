/* Malformed ELF files and bad command lines: one clear `faultline:` line
 * and exit 125, never a crash or hang.  Mutations of a real static binary. */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc(*len);
  cr_assert(fread(b, 1, *len, f) == *len);
  fclose(f);
  return b;
}

/* Runs faultline with args; returns the wait status, stderr in err. */
static int run_fl(char *const args[], char *err, size_t errlen) {
  char errpath[] = "/tmp/fl_elf_errXXXXXX";
  int efd = mkstemp(errpath);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, efd, 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  cr_assert(posix_spawn(&pid, args[0], &fa, NULL, args, environ) == 0);
  int st;
  /* a hang would be a bug: give it 20 s */
  for (int i = 0; i < 2000; i++) {
    if (waitpid(pid, &st, WNOHANG) == pid) goto done;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  cr_assert_fail("faultline hung on %s", args[3] ? args[3] : "?");
done:
  lseek(efd, 0, SEEK_SET);
  ssize_t n = read(efd, err, errlen - 1);
  err[n > 0 ? n : 0] = 0;
  close(efd);
  unlink(errpath);
  posix_spawn_file_actions_destroy(&fa);
  return st;
}

static void expect_125(const char *what, const char *file) {
  const char *fl = getenv("FL_BIN");
  char *args[] = {(char *)fl, "run", "--", (char *)file, NULL};
  char err[4096];
  int st = run_fl(args, err, sizeof err);
  cr_assert(WIFEXITED(st), "%s: faultline died by signal %d", what, WTERMSIG(st));
  cr_assert_eq(WEXITSTATUS(st), 125, "%s: exit %d, stderr: %s", what, WEXITSTATUS(st), err);
  cr_assert(!strncmp(err, "faultline: ", 11), "%s: stderr does not start with 'faultline: ': %s", what, err);
  char *nl = strchr(err, '\n');
  cr_assert(nl && nl[1] == 0, "%s: expected exactly one line, got: %s", what, err);
}

static char *base;
static size_t blen;

static void setup(void) {
  const char *g = getenv("FL_GUEST");
  cr_assert(g && getenv("FL_BIN"), "FL_GUEST and FL_BIN must be set");
  base = slurp(g, &blen);
}

static void write_mut(const char *path, const char *buf, size_t len) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0755);
  cr_assert(fd >= 0);
  cr_assert(write(fd, buf, len) == (ssize_t)len);
  close(fd);
}

#define MUT(name, body)                                                       \
  Test(elf, name, .init = setup) {                                           \
    char *b = malloc(blen);                                                  \
    memcpy(b, base, blen);                                                   \
    size_t len = blen;                                                       \
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;                                        \
    Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);                        \
    int load = -1;                                                           \
    for (int i = 0; i < eh->e_phnum; i++)                                    \
      if (ph[i].p_type == PT_LOAD) { load = i; break; }                      \
    (void)load; (void)ph;                                                    \
    body;                                                                    \
    char path[64];                                                           \
    snprintf(path, sizeof path, "/tmp/fl_elf_%s_%d", #name, getpid());       \
    write_mut(path, b, len);                                                 \
    expect_125(#name, path);                                                 \
    unlink(path);                                                            \
    free(b);                                                                 \
  }

MUT(truncated_header, { len = 20; })
MUT(truncated_phdrs, { len = eh->e_phoff + 10; })
MUT(empty_file, { len = 0; })
MUT(bad_magic, { b[1] = 'X'; })
MUT(wrong_class, { b[EI_CLASS] = ELFCLASS32; })
MUT(big_endian, { b[EI_DATA] = ELFDATA2MSB; })
MUT(wrong_machine, { eh->e_machine = EM_AARCH64; })
MUT(not_executable, { eh->e_type = ET_REL; })
MUT(bad_phentsize, { eh->e_phentsize = 12; })
MUT(zero_phnum, { eh->e_phnum = 0; })
MUT(huge_phnum, { eh->e_phnum = 0xffff; })
MUT(phoff_outside, { eh->e_phoff = blen + 4096; })
MUT(segment_outside_file, { ph[load].p_offset = blen + 0x10000; })
MUT(filesz_gt_memsz, { ph[load].p_memsz = ph[load].p_filesz - 1; })
MUT(absurd_memsz, { ph[load].p_memsz = 0xffffffffffff0000ull; })
MUT(absurd_vaddr, { ph[load].p_vaddr = 0xffff800000000000ull; })
MUT(misaligned_offset, { ph[load].p_offset += 1; })
MUT(overlapping_segments, {
  int second = -1;
  for (int i = load + 1; i < eh->e_phnum; i++) if (ph[i].p_type == PT_LOAD) { second = i; break; }
  cr_assert(second > 0);
  ph[second].p_vaddr = ph[load].p_vaddr; ph[second].p_offset = ph[load].p_offset;
})
MUT(entry_outside, { eh->e_entry = 0x1234; })
MUT(dynamic_interp, { ph[load == 0 ? 1 : 0].p_type = PT_INTERP; })

Test(elf, not_a_file) { setup(); expect_125("directory", "/tmp"); }
Test(elf, missing_file) { setup(); expect_125("missing", "/nonexistent/faultline/guest"); }

Test(cli, bad_options) {
  setup();
  const char *fl = getenv("FL_BIN");
  const char *g = getenv("FL_GUEST");
  char *cases[][12] = {
    {(char *)fl, "run", "--bogus", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "tlb.l1d.entrees=32", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "tlb.l1d.entries=-3", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "tlb.l1d.entries=48", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "guest.thp=3", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "guest.fault_around_bytes=4194304", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mem", "12Q", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "nosuchmode", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "hvm-nested", "--set", "nested.levels=3", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "hvm-shadow", "--set", "shadow.cr3_targets=5", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "xen-pv", "--mem", "16G", "--", (char *)g, NULL},
    {(char *)fl, "run", "--cpu", "arm", "--", (char *)g, NULL},
    {(char *)fl, "run", "--preset", "/nonexistent/preset", "--", (char *)g, NULL},
    {(char *)fl, "run", NULL},
    {(char *)fl, "frobnicate", NULL},
    {(char *)fl, "kernel", "--bogus", NULL},
    {(char *)fl, "trace", "bogus", NULL},
    {(char *)fl, "trace", "info", NULL},
    {(char *)fl, "run", "--top-faults", "many", "--", (char *)g, NULL},
    {(char *)fl, "run", "--warmup-insns", "-5", "--", (char *)g, NULL},
    {(char *)fl, "replay", NULL},
    {(char *)fl, "replay", "--from", "9", "--to", "3", "x.fltr", NULL},
    {(char *)fl, "replay", "--warmup", "later", "x.fltr", NULL},
    {(char *)fl, "import", NULL},
    {(char *)fl, "import", "pin", "x", "-o", "y", NULL},
    {(char *)fl, "sweep", "--", (char *)g, NULL},
    {(char *)fl, "sweep", "--vary", "mode", "--", (char *)g, NULL},
    {(char *)fl, "sweep", "--slurm", "--vary", "mode=native", "--", (char *)g, NULL},
    {(char *)fl, "compare", "--cpu", "arm", "--", (char *)g, NULL},
    {(char *)fl, "show", NULL},
    {(char *)fl, "show", "--kind", "nosuch", "--", (char *)g, NULL},
    {(char *)fl, "show", "--fault", "many", "--", (char *)g, NULL},
    {(char *)fl, "show", "--log", "/nonexistent.jsonl", NULL},
    {(char *)fl, "show", "--log", "x.jsonl", "--mode", "native", NULL},
    {(char *)fl, "show", "--mode", "nosuchmode", "--", (char *)g, NULL},
    {(char *)fl, "run", "--log-samples", "100", "--", (char *)g, NULL},
    {(char *)fl, "run", "--log", "/dev/null", "--log-format", "jsonl", "--log-samples", "0", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "spin", "--set", "spin.extensions=0", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "spin", "--set", "spin.default=maybe", "--", (char *)g, NULL},
    {(char *)fl, "quiz", NULL},
    {(char *)fl, "quiz", "--seed", "x", NULL},
    {(char *)fl, "quiz", "--seed", "1", "--topic", "paging", NULL},
    {(char *)fl, "quiz", "--seed", "1", "--mode", "native", NULL},
    {(char *)fl, "quiz", "--seed", "1", "--topic", "walk", "--cpu", "amd", NULL},
    {(char *)fl, "quiz", "--seed", "1", "extra", NULL},
    {(char *)fl, "explain", NULL},
    {(char *)fl, "export", NULL},
    {(char *)fl, "run", "--set", "mmu.refill=software", "--", (char *)g, NULL},
    {(char *)fl, "run", "--set", "mmu.refill=sometimes", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "exokernel", "--set", "exokernel.mmu=ultrix", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "exokernel", "--set", "exokernel.mmu=7", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "exokernel", "--set", "exokernel.swtlb.entries=1000", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "exokernel", "--set", "exokernel.prefault=600", "--", (char *)g, NULL},
    {(char *)fl, "run", "--mode", "exokernel", "--set", "exokernel.mmu=xok-pt", "--set", "mmu.refill=software", "--", (char *)g, NULL},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[4096];
    int st = run_fl(cases[i], err, sizeof err);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 125, "case %u: status %#x: %s", i, st, err);
    cr_assert(!strncmp(err, "faultline: ", 11), "case %u: %s", i, err);
  }
  /* the closest key is named */
  char err[4096];
  char *typo[] = {(char *)fl, "run", "--set", "tlb.l1d.entrees=32", "--", (char *)g, NULL};
  run_fl(typo, err, sizeof err);
  cr_assert(strstr(err, "tlb.l1d.entries"), "closest key not named: %s", err);
}

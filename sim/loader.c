/* ELF64 loader with Linux's no-ASLR layout and initial stack (argv, envp,
 * auxv incl. AT_RANDOM, AT_PAGESZ, AT_PHDR/PHNUM, AT_HWCAP/HWCAP2,
 * AT_ENTRY, AT_EXECFN, AT_MINSIGSTKSZ).  Malformed files are refused with
 * one clear message (the caller exits 125), never a crash or hang. */
#include "sim/kernel.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

#define MAX_PHNUM 512

static int fail(char *err, size_t n, const char *path, const char *why) {
  snprintf(err, n, "%s: %s", path, why);
  return -1;
}

static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & PAGE_MASK; }

struct elf_image {
  uint64_t bias, entry, phdr_va, phnum, end;
  char interp[256];          /* PT_INTERP path ("" if none) */
};

/* Validate and map one ELF image.  kind: 0 = the program, 1 = its
 * interpreter.  Returns 0, -ENOENT-style errno from the open, or -ENOEXEC
 * with *err naming the defect. */
static int map_image(struct kernel *k, const char *path, int kind, struct elf_image *img,
                     char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  int fd = path_open(k, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-fd));
    return fd;
  }
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    fail(err, errlen, path, "not a regular file");
    return -EACCES;
  }
  if (fds_file_open_for_write(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
    close(fd);
    fail(err, errlen, path, "open for writing (text file busy)");
    return -ETXTBSY;
  }
  /* do_open_execat: MAY_EXEC for the caller, asked of the host under the
   * task's filesystem ids (sys_cred.c; when faultline is root, root passes
   * if any x bit is set, as on Linux) */
  if (kind == 0 && syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) != 0 &&
      errno != ENOSYS) {
    close(fd);
    fail(err, errlen, path, "no execute permission");
    return -EACCES;
  }
  uint64_t fsize = (uint64_t)st.st_size;
  Elf64_Ehdr eh;
  if (fsize < sizeof eh || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
    close(fd);
    fail(err, errlen, path, "truncated ELF header");
    return -ENOEXEC;
  }
  const char *why = NULL;
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG)) why = "not an ELF file (bad magic)";
  else if (eh.e_ident[EI_CLASS] != ELFCLASS64) why = "not a 64-bit ELF (wrong class)";
  else if (eh.e_ident[EI_DATA] != ELFDATA2LSB) why = "not a little-endian ELF";
  else if (eh.e_ident[EI_VERSION] != EV_CURRENT) why = "unknown ELF version";
  else if (eh.e_machine != EM_X86_64) why = "wrong machine (not x86-64)";
  else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) why = "not an executable (ELF type)";
  else if (eh.e_phentsize != sizeof(Elf64_Phdr)) why = "bad program header entry size";
  else if (eh.e_phnum == 0 || eh.e_phnum > MAX_PHNUM) why = "bad program header count";
  else if (eh.e_phoff > fsize || eh.e_phnum * sizeof(Elf64_Phdr) > fsize - eh.e_phoff)
    why = "program headers outside the file";
  if (why) { close(fd); fail(err, errlen, path, why); return -ENOEXEC; }
  Elf64_Phdr *ph = calloc(eh.e_phnum, sizeof *ph);
  size_t phbytes = eh.e_phnum * sizeof *ph;
  if (pread(fd, ph, phbytes, (off_t)eh.e_phoff) != (ssize_t)phbytes) {
    free(ph); close(fd);
    fail(err, errlen, path, "truncated program headers");
    return -ENOEXEC;
  }
  uint64_t min_va = ~0ull, max_va = 0, prev_end = 0;
  int nload = 0;
  bool nomem = false;
  for (int i = 0; i < eh.e_phnum && !why; i++) {
    Elf64_Phdr *p = &ph[i];
    if (p->p_type == PT_INTERP) {
      if (kind == 1) why = "the interpreter itself names an interpreter";
      else if (p->p_filesz < 2 || p->p_filesz > sizeof img->interp || p->p_offset > fsize ||
               p->p_filesz > fsize - p->p_offset)
        why = "bad PT_INTERP";
      else if (pread(fd, img->interp, p->p_filesz, (off_t)p->p_offset) != (ssize_t)p->p_filesz ||
               img->interp[p->p_filesz - 1] != 0)
        why = "bad PT_INTERP";
      continue;
    }
    if (p->p_type != PT_LOAD) continue;
    if (p->p_filesz > p->p_memsz) why = "segment with p_filesz > p_memsz";
    else if (p->p_offset > fsize || p->p_filesz > fsize - p->p_offset)
      why = "segment outside the file";
    else if (p->p_memsz > TASK_SIZE || p->p_vaddr > TASK_SIZE ||
             p->p_vaddr + p->p_memsz > TASK_SIZE)
      why = "segment size or address beyond the user address space";
    else if ((p->p_vaddr & (PAGE - 1)) != (p->p_offset & (PAGE - 1)))
      why = "segment offset and address not congruent modulo the page size";
    else if (nload && p->p_vaddr < prev_end)
      why = "overlapping or unordered PT_LOAD segments";
    else if ((p->p_flags & PF_W) &&
             !vm_enough_memory(k, (page_up(p->p_vaddr + p->p_memsz) - (p->p_vaddr & PAGE_MASK)) / PAGE)) {
      /* binfmt_elf maps it (elf_map, vm_brk_flags) as private writable
       * memory, charged under the overcommit heuristic: more than the
       * guest's RAM (--mem) is refused with ENOMEM */
      why = "a writable segment larger than the guest's memory (--mem): Linux's overcommit heuristic refuses it";
      nomem = true;
    }
    if (why) break;
    if ((p->p_vaddr & PAGE_MASK) < min_va) min_va = p->p_vaddr & PAGE_MASK;
    if (p->p_vaddr + p->p_memsz > max_va) max_va = p->p_vaddr + p->p_memsz;
    prev_end = p->p_vaddr + p->p_memsz;
    nload++;
  }
  if (!why && !nload) why = "no loadable segments";
  uint64_t bias = 0;
  if (!why && eh.e_type == ET_DYN) {
    /* binfmt_elf without randomization: a PIE with an interpreter goes to
     * ELF_ET_DYN_BASE; an interpreter or a static PIE goes where mmap
     * would put it (top-down below mmap_base) */
    if (kind == 0 && img->interp[0]) bias = ELF_ET_DYN_BASE - min_va;
    else {
      uint64_t at = mm_find_free(k->mm, page_up(max_va) - min_va, 0);
      if (!at) why = "image does not fit in the address space";
      bias = at - min_va;
    }
  }
  if (!why && bias + max_va > TASK_SIZE) why = "image does not fit below the user address limit";
  if (!why) {
    bool inside = false;
    for (int i = 0; i < eh.e_phnum; i++)
      if (ph[i].p_type == PT_LOAD && eh.e_entry >= ph[i].p_vaddr &&
          eh.e_entry < ph[i].p_vaddr + ph[i].p_memsz && (ph[i].p_flags & PF_X))
        inside = true;
    if (!inside) why = "entry point outside any executable segment";
  }
  if (why) {
    free(ph);
    close(fd);
    fail(err, errlen, path, why);
    /* the mapping fails past exec's point of no return (begin_new_exec):
     * a guest's execve ends its process with SIGSEGV (exec.c) */
    if (nomem) k->exec_fatal = true;
    return nomem ? -ENOMEM : -ENOEXEC;
  }

  struct host_file *hf = calloc(1, sizeof *hf);
  hf->fd = fd;
  hf->refs = 0;
  host_file_identify(hf);
  snprintf(hf->path, sizeof hf->path, "%s", path);
  struct mm *mm = k->mm;
  uint64_t phdr_va = 0;
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr *p = &ph[i];
    if (p->p_type == PT_PHDR) phdr_va = p->p_vaddr + bias;
    if (p->p_type != PT_LOAD) continue;
    if (!phdr_va && eh.e_phoff >= p->p_offset && eh.e_phoff < p->p_offset + p->p_filesz)
      phdr_va = p->p_vaddr + (eh.e_phoff - p->p_offset) + bias;
    uint32_t fl = ((p->p_flags & PF_R) ? VM_READ : 0) | ((p->p_flags & PF_W) ? VM_WRITE : 0) |
                  ((p->p_flags & PF_X) ? VM_EXEC : 0);
    uint64_t start = (p->p_vaddr + bias) & PAGE_MASK;
    uint64_t file_end_va = p->p_vaddr + bias + p->p_filesz;
    uint64_t fend = page_up(file_end_va), mend = page_up(p->p_vaddr + bias + p->p_memsz);
    if (p->p_filesz) {
      struct vma v = {.start = start, .end = fend, .flags = fl,
                      .prot = (uint32_t)((fl & VM_READ ? PROT_READ : 0) | (fl & VM_WRITE ? PROT_WRITE : 0) |
                                         (fl & VM_EXEC ? PROT_EXEC : 0)),
                      .file = hf, .file_off = p->p_offset & PAGE_MASK,
                      .file_end = file_end_va};
      snprintf(v.name, sizeof v.name, "%s", path);
      vma_insert(k, mm, &v);
    } else {
      fend = start;
    }
    if (mend > fend) {
      struct vma v = {.start = fend, .end = mend, .flags = fl, .prot = PROT_READ | PROT_WRITE};
      vma_insert(k, mm, &v);
    }
    if (mend > img->end) img->end = mend;
  }
  if (!hf->refs) { close(fd); free(hf); }
  img->bias = bias;
  img->entry = eh.e_entry + bias;
  img->phdr_va = phdr_va;
  img->phnum = eh.e_phnum;
  free(ph);
  return 0;
}

int load_elf(struct kernel *k, const char *path, char *const argv[],
             char *const envp[], char *err, size_t errlen) {
  struct mm *mm = k->mm;
  struct elf_image prog, interp = {0};
  int r = map_image(k, path, 0, &prog, err, errlen);
  if (r) return r;
  if (k->attr && k->attr->symbols) {   /* run --symbols: the program's function symbols */
    int sfd = path_open(k, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    attrib_load_symbols(k, mm, sfd, prog.bias);
    if (sfd >= 0) close(sfd);
  }
  mm->brk_start = mm->brk = prog.end;
  uint64_t entry = prog.entry;
  if (prog.interp[0]) {
    /* the interpreter (ld.so) from the host, or from --root: path_open
     * resolves its absolute path inside the root */
    char ierr[512];
    r = map_image(k, prog.interp, 1, &interp, ierr, sizeof ierr);
    if (r) {
      snprintf(err, errlen, "%s: interpreter %s", path, ierr);
      return r == -ENOENT ? -ENOENT : -ELIBBAD;
    }
    entry = interp.entry;
  }
  uint64_t phdr_va = prog.phdr_va;
  Elf64_Ehdr eh = {.e_phnum = (Elf64_Half)prog.phnum};

  /* Stack VMA: 128 KiB initially (setup_arg_pages' stack_expand), grows
   * down to the 8 MiB rlimit. */
  struct vma sv = {.start = STACK_TOP - 131072, .end = STACK_TOP,
                   .flags = VM_READ | VM_WRITE | VM_GROWSDOWN, .prot = PROT_READ | PROT_WRITE};
  snprintf(sv.name, sizeof sv.name, "[stack]");
  vma_insert(k, mm, &sv);
  mm->stack_limit = STACK_TOP - (8ull << 20);

  /* Strings at the top, as fs/exec.c lays them: execfn, envp, argv. */
  int argc = 0, envc = 0;
  while (argv[argc]) argc++;
  while (envp[envc]) envc++;
  uint64_t p = STACK_TOP - 8;
  size_t fl = strlen(path) + 1;
  p -= fl;
  uint64_t execfn = p;
  if (copy_to_user(k, p, path, fl)) goto efault;
  uint64_t *envv = calloc((size_t)envc + 1, 8), *argvv = calloc((size_t)argc + 1, 8);
  for (int i = envc - 1; i >= 0; i--) {
    size_t l = strlen(envp[i]) + 1;
    p -= l;
    envv[i] = p;
    if (copy_to_user(k, p, envp[i], l)) goto efault2;
  }
  for (int i = argc - 1; i >= 0; i--) {
    size_t l = strlen(argv[i]) + 1;
    p -= l;
    argvv[i] = p;
    if (copy_to_user(k, p, argv[i], l)) goto efault2;
  }
  /* bprm setup ends here (bprm_mm_init's stack VMA, copy_strings of
   * execfn, envp and argv into the new mm); load_elf_binary's
   * begin_new_exec -> exec_mmap -> activate_mm loads it, which pins it
   * under Xen PV.  The segments' VMAs above hold no PTEs yet; the
   * auxiliary vector and the pointer arrays below are create_elf_tables'
   * stores, after it (fs/exec.c, fs/binfmt_elf.c). */
  mm_activate(k, mm);
  uint64_t args_start = argc ? argvv[0] : p, args_end = argc ? argvv[argc - 1] + strlen(argv[argc - 1]) + 1 : p;
  k->tg->cmdline_len = args_end - args_start;
  free(k->tg->cmdline);
  k->tg->cmdline = malloc(k->tg->cmdline_len + 1);
  copy_from_user(k, k->tg->cmdline, args_start, k->tg->cmdline_len);
  p &= ~15ull;
  static const char platform[] = "x86_64";
  p -= sizeof platform;
  uint64_t u_platform = p;
  if (copy_to_user(k, p, platform, sizeof platform)) goto efault2;
  uint8_t rnd[16];
  for (int i = 0; i < 16; i += 8) { uint64_t r = krand64(k); memcpy(rnd + i, &r, 8); }
  p -= 16;
  uint64_t u_rand = p;
  if (copy_to_user(k, p, rnd, 16)) goto efault2;
  uint32_t cpuid1[4];
  cpu_cpuid(k->cpu, 1, 0, cpuid1);
  uint64_t auxv[][2] = {
    {AT_HWCAP, cpuid1[3]}, {AT_PAGESZ, PAGE}, {AT_CLKTCK, 100},
    {AT_PHDR, phdr_va}, {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, eh.e_phnum},
    {AT_BASE, interp.bias}, {AT_FLAGS, 0}, {AT_ENTRY, prog.entry},
    {AT_UID, (uint64_t)(uint32_t)k->ruid}, {AT_EUID, (uint64_t)(uint32_t)k->euid},
    {AT_GID, (uint64_t)(uint32_t)k->rgid}, {AT_EGID, (uint64_t)(uint32_t)k->egid},
    {AT_SECURE, 0},   /* no set-id binaries: exec keeps the ids, so never secure */
    {AT_RANDOM, u_rand}, {AT_HWCAP2, 2 /* HWCAP2_FSGSBASE */}, {AT_EXECFN, execfn},
    {AT_PLATFORM, u_platform}, {51 /* AT_MINSIGSTKSZ */, 1776}, {AT_NULL, 0},
  };
  size_t nauxv = sizeof auxv / sizeof auxv[0];
  size_t items = 1 + (size_t)argc + 1 + (size_t)envc + 1 + nauxv * 2;
  p -= items * 8;
  p &= ~15ull;
  uint64_t sp = p;
  uint64_t w = (uint64_t)argc;
  if (copy_to_user(k, p, &w, 8)) goto efault2;
  p += 8;
  if (copy_to_user(k, p, argvv, ((size_t)argc + 1) * 8)) goto efault2;
  p += ((size_t)argc + 1) * 8;
  if (copy_to_user(k, p, envv, ((size_t)envc + 1) * 8)) goto efault2;
  p += ((size_t)envc + 1) * 8;
  k->tg->auxv_addr = p;
  k->tg->auxv_len = sizeof auxv;
  if (copy_to_user(k, p, auxv, sizeof auxv)) goto efault2;
  free(envv);
  free(argvv);
  k->cpu->r[RSP] = sp;
  k->cpu->rip = entry;
  /* /proc/self/exe names the binary: an exec of /proc/... keeps the
   * current one; relative paths become absolute (guest view) */
  /* comm: the last component of the file name exec was given
   * (__set_task_comm(kbasename(bprm->filename))), 15 bytes */
  const char *base = strrchr(path, '/');
  snprintf(k->comm, sizeof k->comm, "%s", base ? base + 1 : path);
  k->tg->did_exec = true;              /* PF_FORKNOEXEC cleared (setpgid's EACCES) */
  if (strncmp(path, "/proc/", 6)) {
    char abs[sizeof k->tg->exe_path + sizeof k->tg->fs->cwd + 2];
    if (path[0] == '/') snprintf(abs, sizeof abs, "%s", path);
    else snprintf(abs, sizeof abs, "%s/%s", strcmp(k->tg->fs->cwd, "/") ? k->tg->fs->cwd : "", path);
    size_t al = strlen(abs);
    if (al < sizeof k->tg->exe_path) memcpy(k->tg->exe_path, abs, al + 1);
  }
  return 0;
efault2:
  free(envv);
  free(argvv);
efault:
  snprintf(err, errlen, "%s: arguments and environment do not fit in guest memory (--mem)", path);
  return -E2BIG;
}

/* Core dumps (core(5); fs/coredump.c vfs_coredump, fs/binfmt_elf.c
 * elf_core_dump).  A task that dies of a signal whose default action is
 * "Core" and is dumpable writes an ELF core file: the name from
 * kernel.core_pattern (its %-specifiers; core_uses_pid appends .PID), made
 * in the task's cwd through the file layer (confined by --root; nothing
 * under --read-only, as on a read-only file system) with O_CREAT|O_EXCL
 * after unlinking an old one, then checked as Linux checks it (a regular
 * file with one link, the task's owner, mode 0600).  A pattern that pipes
 * to a program ('|') or names a socket ('@') writes nothing: the model runs
 * no helper and has no socket server.  Nothing is written when
 * RLIMIT_CORE is below one page; past the limit the file is cut short.
 * The contents are elf_core_dump's: ELF header (ET_CORE), one PT_NOTE,
 * one PT_LOAD per VMA, the notes (coredump_notes.c), then the pages
 * coredump_filter selects, read as a forced access through the guest's
 * page tables (user_page_dump: a page never touched is a hole). */
#include "sim/coredump_priv.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- the file name: kernel.core_pattern (coredump_parse) ---- */

struct cname { char s[FS_PATH_MAX]; size_t n; bool overflow; };

static void cn_put(struct cname *c, const char *t) {
  size_t l = strlen(t);
  if (c->n + l >= sizeof c->s) { c->overflow = true; return; }
  memcpy(c->s + c->n, t, l + 1);
  c->n += l;
}

/* cn_esc_printf: a component that is "." or ".." gets '!' for its first
 * character, an empty one becomes "!", and '/' becomes '!' */
static void cn_put_esc(struct cname *c, const char *t) {
  size_t from = c->n;
  cn_put(c, t);
  if (c->overflow) return;
  size_t l = c->n - from;
  if ((l == 1 && c->s[from] == '.') || (l == 2 && c->s[from] == '.' && c->s[from + 1] == '.'))
    c->s[from] = '!';
  if (!l) cn_put(c, "!");
  for (size_t i = from; i < c->n; i++) if (c->s[i] == '/') c->s[i] = '!';
}

/* %E (the binary's path) and %f (its last component): the comm with
 * " (path unknown)" when the binary has no path */
static void cn_put_exe(struct kernel *k, struct cname *c, bool name_only) {
  char p[FS_PATH_MAX], t[64];
  if (fs_exe_link_text(k, p, sizeof p)) {
    snprintf(t, sizeof t, "%.16s (path unknown)", k->comm);
    cn_put_esc(c, t);
    return;
  }
  const char *s = name_only && strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
  cn_put_esc(c, s);
}

/* The core file's name for a file pattern; false when nothing is to be
 * written to a file (a pipe or socket pattern, a name too long). */
static bool core_name(struct kernel *k, int sig, struct cname *c) {
  const char *p = k->core_pattern;
  c->n = 0;
  c->s[0] = 0;
  c->overflow = false;
  if (*p == '|' || *p == '@') return false;
  bool pid_in_pattern = false;
  char t[64];
  for (; *p; p++) {
    if (*p != '%') {
      char ch[2] = {*p, 0};
      cn_put(c, ch);
      continue;
    }
    switch (*++p) {
    case 0: p--; break;                       /* a single % at the end: dropped */
    case '%': cn_put(c, "%"); break;
    case 'p': case 'P': case 'i': case 'I':   /* (thread) group id, one namespace */
      pid_in_pattern |= *p == 'p';
      snprintf(t, sizeof t, "%d", k->pid);
      cn_put(c, t);
      break;
    case 'u': snprintf(t, sizeof t, "%u", (unsigned)k->ruid); cn_put(c, t); break;
    case 'g': snprintf(t, sizeof t, "%u", (unsigned)k->rgid); cn_put(c, t); break;
    case 'd': cn_put(c, "1"); break;         /* SUID_DUMP_USER: only dumpable tasks get here */
    case 's': snprintf(t, sizeof t, "%d", sig); cn_put(c, t); break;
    case 't': snprintf(t, sizeof t, "%llu", (unsigned long long)(krealtime_ns(k) / 1000000000ull)); cn_put(c, t); break;
    case 'h': cn_put_esc(c, GUEST_NODENAME); break;
    case 'e': snprintf(t, sizeof t, "%.16s", k->comm); cn_put_esc(c, t); break;
    case 'f': cn_put_exe(k, c, true); break;
    case 'E': cn_put_exe(k, c, false); break;
    case 'c': snprintf(t, sizeof t, "%llu", (unsigned long long)k->tg->rlim[RLIMIT_CORE].cur); cn_put(c, t); break;
    case 'C': cn_put(c, "0"); break;         /* the CPU: the model has one */
    default: break;                           /* %F (pipes only) and unknown ones: dropped */
    }
  }
  if (!pid_in_pattern && k->sysctl.core_uses_pid) {
    snprintf(t, sizeof t, ".%d", k->pid);
    cn_put(c, t);
  }
  return !c->overflow && c->n;
}

/* proc_dostring_coredump's check of a new pattern (check_coredump_socket):
 * a socket pattern is "@/path" or "@@/path", shorter than a sun_path, with
 * no ".." component */
int coredump_pattern_check(const char *pat) {
  if (pat[0] != '@') return 0;
  const char *p = pat[1] == '@' ? pat + 2 : pat + 1;
  if (*p != '/' || strlen(p) >= 108) return -EINVAL;
  for (const char *q = pat; (q = strstr(q, "..")); q += 2)
    if ((q == pat || q[-1] == '/') && (q[2] == 0 || q[2] == '/')) return -EINVAL;
  return 0;
}

/* ---- the file: coredump_file ---- */

static int core_file_open(struct kernel *k, const char *name) {
  if (k->read_only) return -EROFS;        /* a read-only file system: no core */
  cred_host_sync(k);                      /* created as the task (its fsuid, umask) */
  int pfd;
  char last[256];
  bool slash;
  if (!fs_resolve(k, AT_FDCWD, name, &pfd, last, sizeof last, &slash)) {
    unlinkat(pfd, last, 0);               /* an old core goes first; errors do not matter */
    close(pfd);
  }
  int fd = fs_host_open(k, AT_FDCWD, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_LARGEFILE, 0600);
  if (fd < 0) return fd;
  struct stat st;
  /* one link, a regular file, the task's, mode 0600 (the umask or the
   * file system kept neither: no core) */
  if (fstat(fd, &st) || st.st_nlink > 1 || !S_ISREG(st.st_mode) ||
      fs_guest_uid(k, (uint32_t)st.st_uid) != (uint32_t)k->fsuid || (st.st_mode & 0677) != 0600) {
    close(fd);
    return -EACCES;
  }
  /* a new file: no page of a gone one that had its inode number stays
   * cached (the core is written to the host file directly) */
  pc_drop_from(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, 0);
  return fd;
}

/* ---- writing: dump_emit / dump_skip, the limit on what is written ---- */

bool dump_emit(struct dump *d, const void *buf, size_t n) {
  if (d->to_skip) {
    if (lseek(d->fd, (off_t)d->to_skip, SEEK_CUR) < 0) return false;   /* a hole */
    d->pos += d->to_skip;
    d->to_skip = 0;
  }
  if (d->written + n > d->limit) return false;
  for (size_t done = 0; done < n;) {
    ssize_t w = write(d->fd, (const uint8_t *)buf + done, n - done);
    if (w <= 0) return false;
    done += (size_t)w;
  }
  d->written += n;
  d->pos += n;
  return true;
}

/* ---- what each VMA contributes: coredump_filter (vma_dump_size) ---- */

static uint64_t vma_dump_size(struct kernel *k, const struct vma *v, uint32_t filter) {
  uint64_t whole = v->end - v->start;
  if (v->flags & VM_DONTDUMP) return 0;
  struct stat st;
  bool have_st = v->file && !fstat(v->file->fd, &st);
  /* hugetlb mappings by their own bits (vma_dump_size's
   * is_vm_hugetlb_page case); no DAX or VM_IO mappings in the model */
  if (v->flags & VM_HUGETLB)
    return (filter & ((v->flags & VM_SHARED) ? DUMP_HUGETLB_SHARED : DUMP_HUGETLB_PRIVATE)) ? whole : 0;
  if (v->flags & VM_SHARED) {            /* shmem, memfd, a deleted file: "anonymous" */
    bool anon = !v->file || v->file->shmem || (have_st && st.st_nlink == 0);
    return (filter & (anon ? DUMP_ANON_SHARED : DUMP_MAPPED_SHARED)) ? whole : 0;
  }
  if ((v->flags & VM_ANON_VMA) && (filter & DUMP_ANON_PRIVATE)) return whole;   /* written to */
  if (!v->file) return 0;
  if (filter & DUMP_MAPPED_PRIVATE) return whole;
  /* the first page of a file mapped from its start: an executable's, or
   * one that begins with the ELF magic */
  if ((filter & DUMP_ELF_HEADERS) && v->file_off == 0 && (v->flags & VM_READ)) {
    if (have_st && (st.st_mode & 0111)) return PAGE;
    uint8_t mag[4];
    return !copy_from_user(k, mag, v->start, 4) && !memcmp(mag, "\177ELF", 4) ? PAGE : 0;
  }
  return 0;
}

/* writenote, for each note: its header, its name and its description,
 * the padding after each as a hole (dump_align) */
static bool write_notes(struct dump *d, const struct notes *nt) {
  for (int i = 0; i < nt->n; i++) {
    const Elf64_Nhdr *h = (const Elf64_Nhdr *)(nt->buf + nt->at[i]);
    const uint8_t *name = (const uint8_t *)(h + 1), *desc = name + ((h->n_namesz + 3) & ~3u);
    if (!dump_emit(d, h, sizeof *h) || !dump_emit(d, name, h->n_namesz)) return false;
    d->to_skip += (4 - h->n_namesz % 4) % 4;
    if (!dump_emit(d, desc, h->n_descsz)) return false;
    d->to_skip += (4 - h->n_descsz % 4) % 4;
  }
  return true;
}

/* dump_user_range: each page of the range, or a hole for one not there */
static bool dump_range(struct kernel *k, struct dump *d, uint64_t start, uint64_t len) {
  for (uint64_t va = start; va < start + len; va += PAGE) {
    const uint8_t *page = user_page_dump(k, va);
    if (!page) d->to_skip += PAGE;
    else if (!dump_emit(d, page, PAGE)) return false;
  }
  return true;
}

/* elf_core_dump: the header and program headers computed first, then
 * written in order; running out of limit (or of disk) cuts the file short
 * but the core counts as dumped once its notes are gathered */
static bool elf_core_dump(struct kernel *k, int sig, struct dump *d) {
  struct mm *mm = k->mm;
  int nv = mm->nvmas;
  uint64_t *size = calloc((size_t)nv + 1, sizeof *size);
  if (!size) return false;
  uint64_t data = 0;
  for (int i = 0; i < nv; i++) data += size[i] = vma_dump_size(k, &mm->vmas[i], mm->dump_filter);
  struct notes nt;
  if (core_notes(k, sig, &nt)) { free(size); free(nt.at); return false; }
  uint64_t segs = (uint64_t)nv + 1;
  bool extnum = segs >= PN_XNUM;          /* more than e_phnum holds: the count in a section header */
  Elf64_Ehdr eh;
  memset(&eh, 0, sizeof eh);
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = extnum ? PN_XNUM : (Elf64_Half)segs;
  uint64_t off = sizeof eh + segs * sizeof(Elf64_Phdr);
  Elf64_Phdr note = {.p_type = PT_NOTE, .p_offset = off, .p_filesz = nt.len, .p_align = 4};
  uint64_t dataoff = (off + nt.len + PAGE - 1) & PAGE_MASK;
  Elf64_Shdr sh;
  memset(&sh, 0, sizeof sh);
  if (extnum) {
    eh.e_shoff = dataoff + data;
    eh.e_shentsize = sizeof sh;
    eh.e_shnum = 1;
    sh.sh_info = (Elf64_Word)segs;
  }
  bool ok = dump_emit(d, &eh, sizeof eh) && dump_emit(d, &note, sizeof note);
  off = dataoff;
  for (int i = 0; ok && i < nv; i++) {
    const struct vma *v = &mm->vmas[i];
    Elf64_Phdr ph = {.p_type = PT_LOAD, .p_offset = off, .p_vaddr = v->start, .p_filesz = size[i],
                     .p_memsz = v->end - v->start, .p_align = PAGE,
                     .p_flags = ((v->flags & VM_READ) ? PF_R : 0) | ((v->flags & VM_WRITE) ? PF_W : 0) |
                                ((v->flags & VM_EXEC) ? PF_X : 0)};
    off += size[i];
    ok = dump_emit(d, &ph, sizeof ph);
  }
  ok = ok && write_notes(d, &nt);
  if (ok) d->to_skip = dataoff - d->pos;   /* dump_skip_to: the pages start page-aligned */
  for (int i = 0; ok && i < nv; i++) ok = dump_range(k, d, mm->vmas[i].start, size[i]);
  if (ok && extnum) dump_emit(d, &sh, sizeof sh);
  free(nt.buf);
  free(nt.at);
  free(size);
  return true;
}

bool coredump(struct kernel *k, int sig) {
  if (k->undumpable || !k->mm) return false;
  struct cname c;
  if (!core_name(k, sig, &c)) return false;
  uint64_t limit = k->tg->rlim[RLIMIT_CORE].cur;
  if (limit < PAGE) return false;           /* binfmt->min_coredump: ELF_EXEC_PAGESIZE */
  int fd = core_file_open(k, c.s);
  if (fd < 0) return false;
  struct dump d = {.fd = fd, .limit = limit};
  bool dumped = elf_core_dump(k, sig, &d);
  /* a dump that ends in a hole still has the file's full size */
  if (d.to_skip) {
    d.to_skip--;
    dump_emit(&d, "", 1);
  }
  close(fd);
  return dumped;
}

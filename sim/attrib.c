/* Fault attribution (`run --top-faults N [--symbols]`): every top-level
 * fault (guest-visible or hidden) and its cycles, by the mapping it hit
 * ([heap], [stack], a file's name, [anon]) and, with --symbols, by the
 * function of the program whose instruction faulted (the ELF symbol table
 * of the executable, no DWARF).  Counted when the fault's root step
 * closes on the event bus, where sim knows the faulting task's address
 * space and the instruction (k->attr_rip). */
#include "sim/kernel.h"
#include "sim/stats.h"
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sym { uint64_t start, end; char *name; };
struct symtab { int refs; struct sym *s; size_t n; };

/* ---- the executable's symbols (function symbols of .symtab) ---- */
static int by_start(const void *a, const void *b) {
  uint64_t x = ((const struct sym *)a)->start, y = ((const struct sym *)b)->start;
  return x < y ? -1 : x > y;
}

/* the function symbols of the ELF file open at fd, their addresses moved
 * by bias (NULL: none readable; the file is untrusted: every offset is
 * checked) */
static struct symtab *symtab_read(int fd, uint64_t bias) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr) || st.st_size > (1 << 30)) return NULL;
  uint8_t *f = malloc((size_t)st.st_size);
  if (!f || pread(fd, f, (size_t)st.st_size, 0) != st.st_size) { free(f); return NULL; }
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
  size_t sz = (size_t)st.st_size;
  struct symtab *t = calloc(1, sizeof *t);
  if (!t || eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > sz ||
      (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > sz - eh->e_shoff) {
    free(t);
    free(f);
    return NULL;
  }
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr *strs = &sh[sh[i].sh_link];
    if (sh[i].sh_offset > sz || sh[i].sh_size > sz - sh[i].sh_offset || strs->sh_offset > sz ||
        strs->sh_size > sz - strs->sh_offset)
      continue;
    const Elf64_Sym *sy = (const Elf64_Sym *)(f + sh[i].sh_offset);
    size_t n = sh[i].sh_size / sizeof *sy;
    t->s = calloc(n ? n : 1, sizeof *t->s);
    for (size_t j = 0; t->s && j < n; j++) {
      if (ELF64_ST_TYPE(sy[j].st_info) != STT_FUNC || !sy[j].st_value || sy[j].st_name >= strs->sh_size) continue;
      const char *name = (const char *)f + strs->sh_offset + sy[j].st_name;
      t->s[t->n].start = sy[j].st_value + bias;
      t->s[t->n].end = sy[j].st_value + bias + (sy[j].st_size ? sy[j].st_size : 1);
      t->s[t->n].name = strndup(name, strnlen(name, strs->sh_size - sy[j].st_name));
      t->n++;
    }
    break;
  }
  free(f);
  if (t->n) qsort(t->s, t->n, sizeof *t->s, by_start);   /* (no .symtab: no array at all) */
  t->refs = 1;
  return t;
}

void attrib_load_symbols(struct kernel *k, struct mm *mm, int fd, uint64_t bias) {
  if (!k->attr || !k->attr->symbols || fd < 0) return;
  struct symtab *t = symtab_read(fd, bias);
  if (!t) return;
  attrib_put_symbols(mm->syms);
  mm->syms = t;
}

void attrib_put_symbols(struct symtab *t) {
  if (!t || --t->refs) return;
  for (size_t i = 0; i < t->n; i++) free(t->s[i].name);
  free(t->s);
  free(t);
}
struct symtab *attrib_get_symbols(struct symtab *t) {
  if (t) t->refs++;
  return t;
}

uint64_t attrib_symbol_addr(const struct symtab *t, const char *name) {
  for (size_t i = 0; t && i < t->n; i++)
    if (!strcmp(t->s[i].name, name)) return t->s[i].start;
  return 0;
}

static const char *symbol_of(const struct symtab *t, uint64_t rip) {
  if (!t || !t->n) return NULL;
  size_t lo = 0, hi = t->n;
  while (lo < hi) {                  /* the last symbol starting at or below rip */
    size_t mid = (lo + hi) / 2;
    if (t->s[mid].start <= rip) lo = mid + 1;
    else hi = mid;
  }
  return lo && rip < t->s[lo - 1].end ? t->s[lo - 1].name : NULL;
}

/* Where rip is, for a fatal signal's line: "main+0x1b (sort.gcc)" from
 * the mapped file's symbols, else "sort.gcc+0x1136" (the file offset, as
 * the kernel's "segfault at" line gives it), "[heap]", "[stack]",
 * "[anon]", or "unmapped".  A file's load bias is its lowest mapping's
 * start less that mapping's offset (ET_DYN; the first PT_LOAD at offset
 * and address 0, as ld lays them out); an ET_EXEC's symbols are absolute. */
void attrib_describe(struct kernel *k, uint64_t rip, char *buf, size_t n) {
  struct vma *v = k->mm ? vma_find(k->mm, rip) : NULL;
  if (!v) { snprintf(buf, n, "unmapped"); return; }
  const char *name = v->name[0] ? v->name : "[anon]";
  if (!v->file) { snprintf(buf, n, "%s", name); return; }
  const char *slash = strrchr(name, '/');
  const char *base = slash ? slash + 1 : name;
  uint64_t low = v->start - v->file_off;
  for (int i = 0; i < k->mm->nvmas; i++) {
    const struct vma *w = &k->mm->vmas[i];
    if (w->file == v->file && w->start - w->file_off < low) low = w->start - w->file_off;
  }
  Elf64_Ehdr eh;
  bool exec = pread(v->file->fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && eh.e_type == ET_EXEC;
  struct symtab *t = symtab_read(v->file->fd, exec ? 0 : low);
  const char *fn = symbol_of(t, rip);
  if (fn) {
    uint64_t at = 0;
    for (size_t i = 0; i < t->n; i++)
      if (t->s[i].name == fn) at = t->s[i].start;
    snprintf(buf, n, "%s+%#llx (%s)", fn, (unsigned long long)(rip - at), base);
  } else {
    snprintf(buf, n, "%s+%#llx", base, (unsigned long long)(rip - v->start + v->file_off));
  }
  attrib_put_symbols(t);
}

/* ---- the counts ---- */
static struct attr_row *row(struct attr_table *tab, const char *name) {
  for (size_t i = 0; i < tab->n; i++)
    if (!strcmp(tab->r[i].name, name)) return &tab->r[i];
  if (tab->n == tab->cap) {
    size_t cap = tab->cap ? tab->cap * 2 : 16;
    struct attr_row *p = realloc(tab->r, cap * sizeof *p);
    if (!p) return NULL;
    tab->r = p;
    tab->cap = cap;
  }
  struct attr_row *r = &tab->r[tab->n++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
}

/* a fault root closed (the stats sink's hook) */
void attrib_fault(struct kernel *k, const struct ev *e) {
  struct attrib *a = k->attr;
  if (!a) return;
  const char *map = "[none]";
  char buf[300];
  if (e->va >= TASK_SIZE) map = "[kernel]";
  else if (k->mm) {
    struct vma *v = vma_find(k->mm, e->va);
    if (v) {
      const char *n = v->name[0] ? v->name : "[anon]";
      const char *slash = v->file ? strrchr(n, '/') : NULL;
      snprintf(buf, sizeof buf, "%s", slash ? slash + 1 : n);   /* a file by its name */
      map = buf;
    }
  }
  struct attr_row *r = row(&a->by_mapping, map);
  if (r) { r->faults++; r->cycles += e->total; }
  if (!a->symbols) return;
  const char *fn = k->attr_user ? symbol_of(k->mm ? k->mm->syms : NULL, k->attr_rip) : "[kernel copy]";
  r = row(&a->by_function, fn ? fn : "[unknown]");
  if (r) { r->faults++; r->cycles += e->total; }
}

static int by_cycles(const void *x, const void *y) {
  const struct attr_row *a = x, *b = y;
  if (a->cycles != b->cycles) return a->cycles < b->cycles ? 1 : -1;
  return strcmp(a->name, b->name);
}

void attrib_sort(struct attrib *a) {
  qsort(a->by_mapping.r, a->by_mapping.n, sizeof *a->by_mapping.r, by_cycles);
  qsort(a->by_function.r, a->by_function.n, sizeof *a->by_function.r, by_cycles);
}

static void table_print(FILE *f, const char *what, const struct attr_table *t, int top, uint64_t total) {
  fprintf(f, "%-32s %10s %16s %7s\n", what, "faults", "fault cycles", "share");
  for (size_t i = 0; i < t->n && (int)i < top; i++)
    fprintf(f, "%-32.32s %10llu %16llu %6.1f%%\n", t->r[i].name, (unsigned long long)t->r[i].faults,
            (unsigned long long)t->r[i].cycles, total ? 100.0 * (double)t->r[i].cycles / (double)total : 0.0);
}

void attrib_print(FILE *f, struct attrib *a) {
  uint64_t total = 0;
  for (size_t i = 0; i < a->by_mapping.n; i++) total += a->by_mapping.r[i].cycles;
  fprintf(f, "faultline: top faults by mapping (of %llu fault cycles)\n", (unsigned long long)total);
  table_print(f, "mapping", &a->by_mapping, a->top, total);
  if (a->symbols) {
    fprintf(f, "faultline: top faults by function\n");
    table_print(f, "function", &a->by_function, a->top, total);
  }
}

static void table_json(struct json *j, const char *key, const struct attr_table *t) {
  json_obj(j, key);
  for (size_t i = 0; i < t->n; i++) {
    json_obj(j, t->r[i].name);
    json_u64(j, "faults", t->r[i].faults);
    json_u64(j, "cycles", t->r[i].cycles);
    json_end(j);
  }
  json_end(j);
}

void attrib_json(struct json *j, struct attrib *a) {
  json_obj(j, "attribution");
  table_json(j, "by_mapping", &a->by_mapping);
  if (a->symbols) table_json(j, "by_function", &a->by_function);
  json_end(j);
}

void attrib_free(struct attrib *a) {
  if (!a) return;
  free(a->by_mapping.r);
  free(a->by_function.r);
  free(a);
}

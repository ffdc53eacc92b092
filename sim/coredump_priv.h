/* Private to the core dumper (coredump.c, coredump_notes.c). */
#ifndef FAULTLINE_SIM_COREDUMP_PRIV_H
#define FAULTLINE_SIM_COREDUMP_PRIV_H
#include "sim/fs_priv.h"
#include <elf.h>

/* the core file being written (struct coredump_params): what was written
 * counts against the limit (RLIMIT_CORE), a pending skip is a hole */
struct dump {
  int fd;
  uint64_t limit, written, pos, to_skip;
};
/* dump_emit: n bytes after any pending hole; false past the limit or on a
 * write error (the dump stops there) */
bool dump_emit(struct dump *d, const void *buf, size_t n);

/* The PT_NOTE segment's contents, built in memory (fill_note_info):
 * malloc'ed, each note 4-byte aligned at its offset in at[]; 0 or
 * -ENOMEM.  write_note_info writes them (coredump.c). */
struct notes { uint8_t *buf; size_t len, cap; size_t *at; int n, cap_at; };   /* at: each note's offset */
int core_notes(struct kernel *k, int sig, struct notes *n);

#endif

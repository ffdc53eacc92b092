/* Private to the /proc model (the procfs*.c files): the growing buffer
 * synthesized files are built in, the process a /proc path names, and
 * the generators each file provides. */
#ifndef FAULTLINE_SIM_PROCFS_PRIV_H
#define FAULTLINE_SIM_PROCFS_PRIV_H
#include "sim/fs_priv.h"

struct sbuf { char *p; size_t len, cap; };
void sb_add(struct sbuf *b, const void *d, size_t n);
__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *b, const char *fmt, ...);
/* one linux_dirent64 record of a synthesized directory */
void dir_add(struct kernel *k, struct sbuf *b, const char *dirpath, const char *name, unsigned type);
/* the walk's answers: the buffer becomes a file (ENOTDIR with a trailing
 * slash) or a directory listing */
int px_file(struct px *r, struct sbuf *b, bool slash);
int px_dir(struct px *r, struct sbuf *b);

/* A process /proc shows: its context (k->tc while it runs), its task
 * (NULL without a process model) and its state letter. */
struct pctx {
  struct task_ctx *c;
  struct task *t;
  char state;                /* R running/runnable, S sleeping, D vfork wait, Z zombie */
  bool self;                 /* the running task */
};

/* procfs.c: the path /proc/<pid>/exe links to (-ENOENT without one) */
int exe_link_text(struct kernel *k, const struct task_ctx *c, char *out, size_t n);
/* the /proc/<pid>/maps line of one VMA (procfs_pid.c; smaps starts each
 * VMA with it) */
void maps_line(struct kernel *k, const struct vma *v, struct sbuf *b);
/* procfs_pid.c: /proc/<pid>/comm, maps, status and stat */
void gen_comm(struct kernel *k, const struct pctx *p, struct sbuf *b);
void gen_maps(struct kernel *k, const struct pctx *p, struct sbuf *b);
void gen_status(struct kernel *k, const struct pctx *p, struct sbuf *b);
void gen_stat(struct kernel *k, const struct pctx *p, struct sbuf *b);
/* procfs_info.c: /proc/cpuinfo and /proc/meminfo */
void gen_cpuinfo(struct kernel *k, struct sbuf *b);
void gen_meminfo(struct kernel *k, struct sbuf *b);
/* procfs_smaps.c: /proc/<pid>/smaps and smaps_rollup */
void proc_gen_smaps(struct kernel *k, const struct pctx *p, struct sbuf *b, bool rollup);
/* procfs_mem.c: /proc/<pid>/coredump_filter's content */
void proc_gen_coredump_filter(const struct task_ctx *c, struct sbuf *b);
/* procfs_sys.c: /proc/<pid>/mounts (info: mountinfo) and /proc/sys */
void proc_gen_mounts(struct kernel *k, struct sbuf *b, bool info);
int proc_sysctl_walk(struct kernel *k, const char *rel, struct px *r, bool slash);

#endif

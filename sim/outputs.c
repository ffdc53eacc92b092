/* What a run writes besides the guest's own output: the event log and the
 * stats JSON.  Both are opened before the guest starts (a path that
 * cannot be written is refused at once), and a write that fails at the
 * end (a full disk, EIO) is said with how much reached the file. */
#include "sim/kernel.h"
#include "cpu-x86/virt.h"
#include "sim/machine.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *exit_name(void *vd, uint32_t code) {
  return virt_exit_name(vd, code);
}

/* the jsonl log's header: what produced it */
static void log_header(struct ev_log *l, const struct sim_config *cfg) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (!m) return;
  fprintf(m, "\"preset\":\"");
  for (const char *p = params_preset_name(cfg->params); *p; p++)
    fprintf(m, (*p == '"' || *p == '\\') ? "\\%c" : (unsigned char)*p < 0x20 ? "?" : "%c", *p);
  fprintf(m, "\",\"argv\":[");
  for (int i = 0; cfg->argv[i]; i++) {
    fprintf(m, "%s\"", i ? "," : "");
    for (const char *p = cfg->argv[i]; *p; p++)
      fprintf(m, (*p == '"' || *p == '\\') ? "\\%c" : (unsigned char)*p < 0x20 ? "?" : "%c", *p);
    fputc('"', m);
  }
  fputc(']', m);
  fclose(m);
  ev_log_header(l, buf);
  free(buf);
}

static FILE *open_out(const char *path) {
  if (!path) return NULL;
  if (!strcmp(path, "-")) return stdout;
  return fopen(path, "w");
}


/* the event bus: the stats sink always, the log when asked for */
int events_init(struct machine *m, char *err, size_t n) {
  const struct sim_config *cfg = m->cfg;
  ev_bus_init(&m->bus);
  ev_subscribe(&m->bus, ev_stats_sink, &m->es);
  if (cfg->observer && cfg->observer->on_event) ev_subscribe(&m->bus, cfg->observer->on_event, cfg->observer->ctx);
  /* the stats' destination is checked before the guest runs, not found
   * unwritable after it (--stats-fd: a descriptor faultline inherited) */
  if (cfg->stats_fd > 0) {
    int fd = fcntl(cfg->stats_fd, F_DUPFD_CLOEXEC, 3);
    int acc = fd >= 0 ? fcntl(fd, F_GETFL) & O_ACCMODE : -1;
    m->statsf = fd >= 0 && acc != O_RDONLY ? fdopen(fd, "w") : NULL;
    if (!m->statsf) {
      if (fd >= 0) close(fd);
      snprintf(err, n, "cannot write stats to descriptor %d: %s", cfg->stats_fd,
               fd < 0 ? strerror(errno) : "it is open for reading only");
      return -1;
    }
  } else if (cfg->stats_path) {
    m->statsf = open_out(cfg->stats_path);
    if (!m->statsf) {
      snprintf(err, n, "cannot write stats to %s: %s", cfg->stats_path, strerror(errno));
      return -1;
    }
  }
  if (!cfg->log_path) return 0;
  m->logf = open_out(cfg->log_path);
  if (!m->logf) {
    snprintf(err, n, "cannot open log file %s: %s", cfg->log_path, strerror(errno));
    return -1;
  }
  struct ev_log *l = &m->evlog;
  l->f = m->logf;
  l->mode = cfg->mode;
  l->cpu = cfg->cpu_vendor;
  l->format = cfg->log_jsonl ? EV_LOG_JSONL : EV_LOG_TEXT;
  l->exit_name = exit_name;
  l->exit_ctx = (void *)(strcmp(cfg->cpu_vendor, "amd") ? &vmx_vendor : &svm_vendor);
  if (cfg->log_filter && ev_filter_parse(&l->filter, cfg->log_filter, err, n)) return -1;
  log_header(l, cfg);
  ev_subscribe(&m->bus, ev_log_sink, l);
  return 0;
}

/* Write all of buf to f's descriptor; a short write (ENOSPC, EIO) is
 * said in err with how much reached it. */
static int write_whole(FILE *f, const char *what, const char *where, const char *buf, size_t len, char *err,
                       size_t n) {
  fflush(f);
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fileno(f), buf + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      snprintf(err, n, "%s not written whole to %s: %s (%zu of %zu bytes written)", what, where,
               w < 0 ? strerror(errno) : "no progress", done, len);
      return -1;
    }
    done += (size_t)w;
  }
  return 0;
}

int machine_write_stats(struct machine *m, struct sim_result *res) {
  const struct sim_config *cfg = m->cfg;
  if (!m->statsf) return 0;
  char *region = roi_finish(m);
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);   /* whole, then written: a full disk is said */
  if (!mem) { free(region); snprintf(res->error, sizeof res->error, "out of host memory"); return -1; }
  stats_write(mem, cfg, m->k, &m->es, &m->hv, m->win ? (const uint64_t[3]){m->win_from, m->win_to, m->win_warm} : NULL,
              region);
  fclose(mem);
  free(region);
  char where[64];
  if (cfg->stats_fd > 0) snprintf(where, sizeof where, "descriptor %d", cfg->stats_fd);
  int rc = write_whole(m->statsf, "stats", cfg->stats_fd > 0 ? where : !strcmp(cfg->stats_path, "-") ? "stdout" : cfg->stats_path,
                       buf, len, res->error, sizeof res->error);
  free(buf);
  if (m->statsf != stdout) fclose(m->statsf);
  m->statsf = NULL;
  return rc;
}

/* The log's last writes reached the file (fflush), else res->error says
 * what did (a regular file: its size) */
void machine_check_log(struct machine *m, struct sim_result *res) {
  if (!m->logf || (!fflush(m->logf) && !ferror(m->logf))) return;
  int e = errno;
  off_t due = ftello(m->logf), got = lseek(fileno(m->logf), 0, SEEK_CUR);
  struct stat st;
  char part[96] = "";
  if (!fstat(fileno(m->logf), &st) && S_ISREG(st.st_mode) && due >= 0 && got >= 0)
    snprintf(part, sizeof part, " (%lld of %lld bytes written)", (long long)got, (long long)due);
  snprintf(res->error, sizeof res->error, "log not written whole to %s: %s%s", m->cfg->log_path, strerror(e), part);
}

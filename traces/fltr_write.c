/* The .fltr writer (FORMAT.md): records are buffered into a frame, which
 * is compressed as one zstd frame (content checksum on, one thread, a
 * fixed level: the same records give the same bytes) and written whole
 * with its frame header, so a recording that dies keeps its frames. */
#include "traces/fltr.h"
#include "traces/fltr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

struct fltr_writer {
  int fd;
  char *path;
  ZSTD_CCtx *cctx;
  uint8_t *buf, *zbuf;               /* the frame being filled; its compressed form */
  size_t used, zcap;
  uint32_t frame_cut;
  uint32_t nrec;                     /* records in the frame being filled */
  uint8_t kind;                      /* its kind */
  uint64_t first_icount, last_icount;
  bool in_keyframe;
  uint64_t kf_records;
  struct fltr_frame_info *idx;       /* every frame written */
  uint32_t nidx, idxcap;
  uint64_t off;                      /* bytes in the file */
  uint64_t total_records;
  bool failed;
  char err[256];
};

static int fail(struct fltr_writer *w, const char *fmt, ...) {
  if (w->failed) return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(w->err, sizeof w->err, "%s: ", w->path);
  vsnprintf(w->err + n, sizeof w->err - (size_t)n, fmt, ap);
  va_end(ap);
  w->failed = true;
  return -1;
}

/* write all of iov, retrying short writes */
static int write_all(struct fltr_writer *w, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t k = writev(w->fd, iov, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return fail(w, "write at byte %llu: %s", (unsigned long long)w->off, strerror(errno));
    }
    w->off += (uint64_t)k;
    while (n > 0 && (size_t)k >= iov->iov_len) { k -= (ssize_t)iov->iov_len; iov++; n--; }
    if (n > 0) { iov->iov_base = (uint8_t *)iov->iov_base + k; iov->iov_len -= (size_t)k; }
  }
  return 0;
}

static void writer_free(struct fltr_writer *w) {
  if (w->fd >= 0) close(w->fd);
  ZSTD_freeCCtx(w->cctx);
  free(w->buf);
  free(w->zbuf);
  free(w->idx);
  free(w->path);
  free(w);
}

struct fltr_writer *fltr_create(const char *path, const struct fltr_meta *m,
                                const struct fltr_writer_opts *o, char *err, size_t errlen) {
  struct fltr_writer *w = calloc(1, sizeof *w);
  if (!w) { snprintf(err, errlen, "out of host memory"); return NULL; }
  w->fd = -1;
  w->path = strdup(path);
  w->frame_cut = o && o->frame_cut ? o->frame_cut : FLTR_FRAME_CUT;
  if (w->frame_cut > FLTR_FRAME_CUT) w->frame_cut = FLTR_FRAME_CUT;
  size_t cap = (size_t)w->frame_cut + FLTR_REC_MAX;
  w->zcap = ZSTD_compressBound(cap);
  w->buf = malloc(cap);
  w->zbuf = malloc(w->zcap);
  w->cctx = ZSTD_createCCtx();
  w->kind = FLTR_FRAME_DATA;
  if (!w->path || !w->buf || !w->zbuf || !w->cctx) {
    snprintf(err, errlen, "out of host memory");
    writer_free(w);
    return NULL;
  }
  /* FORMAT.md "Frames": checksummed, single-threaded, fixed level, and a
   * window no reader refuses */
  ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, FLTR_ZSTD_LEVEL);
  ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, 0);
  ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_windowLog, FLTR_WINDOW_LOG_MAX);
  size_t hlen;
  uint8_t *h = fltr_header_encode(m, &hlen, err, errlen);
  if (!h) { writer_free(w); return NULL; }
  w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    snprintf(err, errlen, "cannot create trace %s: %s", path, strerror(errno));
    free(h);
    writer_free(w);
    return NULL;
  }
  struct iovec iov = {h, hlen};
  int rc = write_all(w, &iov, 1);
  free(h);
  if (rc) {
    snprintf(err, errlen, "%s", w->err);
    writer_free(w);
    return NULL;
  }
  return w;
}

/* compress and write the frame being filled (nothing when it is empty) */
static int cut(struct fltr_writer *w) {
  if (w->failed) return -1;
  if (!w->nrec) return 0;
  size_t c = ZSTD_compress2(w->cctx, w->zbuf, w->zcap, w->buf, w->used);
  if (ZSTD_isError(c)) return fail(w, "zstd: %s", ZSTD_getErrorName(c));
  struct fltr_frame_info f = {.offset = w->off, .csize = (uint32_t)c, .usize = (uint32_t)w->used,
                              .records = w->nrec, .first_icount = w->first_icount, .kind = w->kind};
  uint8_t fh[FLTR_FRAME_HEADER];
  fltr_frame_header_encode(fh, &f);
  if (w->nidx == w->idxcap) {
    uint32_t ncap = w->idxcap ? w->idxcap * 2 : 64;
    struct fltr_frame_info *p = realloc(w->idx, sizeof *p * ncap);
    if (!p) return fail(w, "out of host memory");
    w->idx = p;
    w->idxcap = ncap;
  }
  struct iovec iov[2] = {{fh, sizeof fh}, {w->zbuf, c}};
  if (write_all(w, iov, 2)) return -1;
  w->idx[w->nidx++] = f;
  w->used = 0;
  w->nrec = 0;
  if (w->kind == FLTR_FRAME_KEYFRAME) w->kind = FLTR_FRAME_KEYFRAME_MORE;
  return 0;
}

int fltr_put(struct fltr_writer *w, uint64_t icount, const struct fltr_rec *r) {
  if (w->failed) return -1;
  if (icount < w->last_icount)
    return fail(w, "record at instruction %llu after one at %llu", (unsigned long long)icount,
                (unsigned long long)w->last_icount);
  char e[160];
  size_t n = fltr_rec_encode(r, w->buf + w->used, e, sizeof e);
  if (!n) return fail(w, "%s", e);
  if (!w->nrec) w->first_icount = icount;
  w->last_icount = icount;
  w->used += n;
  w->nrec++;
  w->total_records++;
  if (w->in_keyframe) w->kf_records++;
  return w->used >= w->frame_cut ? cut(w) : 0;
}

int fltr_put_encoded(struct fltr_writer *w, uint64_t first_icount, uint64_t last_icount,
                     const uint8_t *p, size_t n, uint32_t nrec) {
  if (w->failed) return -1;
  if (!nrec) return 0;
  if (first_icount < w->last_icount || last_icount < first_icount)
    return fail(w, "records at instructions %llu..%llu after one at %llu", (unsigned long long)first_icount,
                (unsigned long long)last_icount, (unsigned long long)w->last_icount);
  if (n > w->frame_cut) return fail(w, "%zu encoded bytes exceed the frame cut", n);
  if (w->used + n > w->frame_cut && cut(w)) return -1;
  memcpy(w->buf + w->used, p, n);
  if (!w->nrec) w->first_icount = first_icount;
  w->last_icount = last_icount;
  w->used += n;
  w->nrec += nrec;
  w->total_records += nrec;
  if (w->in_keyframe) w->kf_records += nrec;
  return w->used >= w->frame_cut ? cut(w) : 0;
}

int fltr_keyframe_begin(struct fltr_writer *w, uint32_t cpu, uint64_t icount) {
  if (w->in_keyframe) return fail(w, "keyframe inside a keyframe");
  if (cut(w)) return -1;
  w->kind = FLTR_FRAME_KEYFRAME;
  w->in_keyframe = true;
  w->kf_records = 0;
  struct fltr_rec r = {.kind = FLTR_K_KF_BEGIN, .cpu = cpu, .v = {icount}};
  return fltr_put(w, icount, &r);
}

int fltr_keyframe_end(struct fltr_writer *w, uint32_t cpu) {
  if (!w->in_keyframe) return fail(w, "keyframe end without a keyframe");
  struct fltr_rec r = {.kind = FLTR_K_KF_END, .cpu = cpu, .v = {w->kf_records + 1}};
  if (fltr_put(w, w->last_icount, &r) || cut(w)) return -1;
  w->in_keyframe = false;
  w->kind = FLTR_FRAME_DATA;
  return 0;
}

/* the index and the trailer, in one write so that a file either has
 * both or neither */
static int write_index(struct fltr_writer *w, uint64_t end_icount) {
  size_t ilen = 8 + (size_t)w->nidx * FLTR_INDEX_ENTRY + 4, tlen = ilen + FLTR_TRAILER;
  uint8_t *b = malloc(tlen);
  if (!b) return fail(w, "out of host memory");
  uint64_t at = w->off;
  memcpy(b, FLTR_INDEX_MAGIC, 4);
  fltr_le_put(b + 4, w->nidx, 4);
  for (uint32_t i = 0; i < w->nidx; i++) fltr_index_entry_encode(b + 8 + (size_t)i * FLTR_INDEX_ENTRY, &w->idx[i]);
  fltr_le_put(b + ilen - 4, fltr_crc32(b, ilen - 4), 4);
  uint8_t *t = b + ilen;
  fltr_le_put(t, at, 8);
  fltr_le_put(t + 8, end_icount, 8);
  fltr_le_put(t + 16, w->total_records, 8);
  fltr_le_put(t + 24, fltr_crc32(t, 24), 4);
  memcpy(t + 28, FLTR_TRAILER_MAGIC, 4);
  struct iovec iov = {b, tlen};
  int rc = write_all(w, &iov, 1);
  free(b);
  return rc;
}

int fltr_close(struct fltr_writer *w, uint64_t end_icount, char *err, size_t errlen) {
  int rc = 0;
  if (w->in_keyframe) fail(w, "closed inside a keyframe");
  if (end_icount < w->last_icount)
    fail(w, "ends at instruction %llu, before its last record (%llu)", (unsigned long long)end_icount,
         (unsigned long long)w->last_icount);
  if (cut(w) || write_index(w, end_icount)) rc = -1;
  if (!rc && close(w->fd)) rc = fail(w, "close: %s", strerror(errno));
  w->fd = -1;
  if (rc) snprintf(err, errlen, "%s", w->err);
  writer_free(w);
  return rc;
}

void fltr_abandon(struct fltr_writer *w) { writer_free(w); }

const char *fltr_writer_error(const struct fltr_writer *w) { return w->err; }

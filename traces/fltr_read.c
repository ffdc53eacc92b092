/* The .fltr reader (FORMAT.md).  Traces are untrusted: every length is
 * checked against the caps and against what the file holds before
 * anything is allocated or read, every byte is covered by a CRC or a
 * zstd content checksum, and every failure is one message naming the
 * byte offset ("FILE: byte N: ..."), sticky once set. */
#include "traces/fltr.h"
#include "traces/fltr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct fltr_reader {
  char *name;
  int fd;                            /* -1: reading mem */
  const uint8_t *mem;
  uint64_t size;
  struct fltr_header h;
  struct fltr_frame_info *idx;       /* NULL: no index */
  uint32_t nidx;
  uint64_t end_icount;
  uint64_t frames_end;               /* the index's offset, or the file's end */
  uint64_t pos;                      /* the next frame header */
  uint32_t next_no;                  /* its number */
  struct fltr_frame_info cur;        /* the frame being decoded */
  uint32_t cur_no;
  bool have_cur;
  uint8_t prev_kind;                 /* of the previous frame (0: none) */
  uint64_t prev_icount;
  uint8_t *zbuf, *ubuf;
  size_t zcap, ucap;
  size_t upos;                       /* decode position in ubuf */
  uint32_t urec;                     /* records decoded from cur */
  ZSTD_DCtx *dctx;
  bool failed;
  char note[256];
  char err[512];
};

static int fail(struct fltr_reader *r, uint64_t at, const char *fmt, ...) {
  if (r->failed) return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(r->err, sizeof r->err, "%s: byte %llu: ", r->name, (unsigned long long)at);
  if (n > 0 && (size_t)n < sizeof r->err) vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
  va_end(ap);
  r->failed = true;
  return -1;
}

/* read n bytes at off: the caller has checked off + n <= size */
static int src_read(struct fltr_reader *r, uint64_t off, void *buf, size_t n) {
  if (!r->mem) {
    size_t done = 0;
    while (done < n) {
      ssize_t k = pread(r->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return fail(r, off + done, "read error: %s", k ? strerror(errno) : "the file shrank");
      done += (size_t)k;
    }
    return 0;
  }
  memcpy(buf, r->mem + off, n);
  return 0;
}

static int grow(struct fltr_reader *r, uint8_t **buf, size_t *cap, size_t need, uint64_t at) {
  if (need <= *cap) return 0;
  uint8_t *p = realloc(*buf, need);
  if (!p) return fail(r, at, "out of host memory");
  *buf = p;
  *cap = need;
  return 0;
}

/* ---- the header (FORMAT.md "Header") ---- */
struct cur { const uint8_t *p; size_t at, end; };

static int take(struct fltr_reader *r, struct cur *c, size_t n, const char *what, const uint8_t **out) {
  if (n > c->end - c->at) return fail(r, c->at, "the header ends inside %s", what);
  *out = c->p + c->at;
  c->at += n;
  return 0;
}
static int take_le(struct fltr_reader *r, struct cur *c, int n, const char *what, uint64_t *v) {
  const uint8_t *p = NULL;
  if (take(r, c, (size_t)n, what, &p)) return -1;
  *v = fltr_le_get(p, n);
  return 0;
}
/* a schema name: a lowercase identifier (safe to print) */
static bool ident(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

/* a string: u32 length (lw 4) or u8 length (lw 1), no NUL inside */
static int take_str(struct fltr_reader *r, struct cur *c, int lw, const char *what, char **out) {
  uint64_t n;
  const uint8_t *p = NULL;
  size_t at = c->at;
  if (take_le(r, c, lw, what, &n) || take(r, c, n, what, &p)) return -1;
  if (memchr(p, 0, n)) return fail(r, at, "%s holds a NUL byte", what);
  char *s = malloc(n + 1);
  if (!s) return fail(r, at, "out of host memory");
  memcpy(s, p, n);
  s[n] = 0;
  *out = s;
  return 0;
}

/* the file's schema: each kind this faultline knows must be the same
 * kind (a newer minor may append fields; an older one may lack some) */
static int parse_schema(struct fltr_reader *r, struct cur *c) {
  struct fltr_header *h = &r->h;
  uint64_t nk;
  if (take_le(r, c, 2, "the record kinds", &nk)) return -1;
  for (uint64_t i = 0; i < nk; i++) {
    size_t at = c->at;
    uint64_t id, nf;
    if (take_le(r, c, 1, "a record kind", &id)) return -1;
    struct fltr_kind_info *k = &h->kinds[id];
    if (id == 0 || k->name) return fail(r, at, "record kind %u is %s", (unsigned)id, id ? "described twice" : "0");
    char *name;
    if (take_str(r, c, 1, "a record kind's name", &name)) return -1;
    k->name = name;
    if (!ident(name)) return fail(r, at, "record kind %u's name is not a lowercase identifier", (unsigned)id);
    if (take_le(r, c, 1, "a record kind", &nf)) return -1;
    if (nf > FLTR_MAX_FIELDS) return fail(r, at, "record kind '%s' has %u fields (at most %d)", name, (unsigned)nf, FLTR_MAX_FIELDS);
    k->nfields = (uint8_t)nf;
    int nbytes = 0;
    for (unsigned f = 0; f < nf; f++) {
      uint64_t enc;
      char *fname;
      if (take_le(r, c, 1, "a field", &enc) || take_str(r, c, 1, "a field's name", &fname)) return -1;
      k->field[f].enc = (uint8_t)enc;
      k->field[f].name = fname;
      if (!ident(fname)) return fail(r, at, "record kind '%s': a field's name is not a lowercase identifier", name);
      if (enc < FLTR_E_U || enc > FLTR_E_B) return fail(r, at, "record kind '%s': field '%s' has unknown encoding %u", name, fname, (unsigned)enc);
      nbytes += enc == FLTR_E_B;
    }
    if (nbytes > 1) return fail(r, at, "record kind '%s' has more than one byte-string field", name);
    const struct fltr_kind_info *ours = &fltr_kinds[id];
    if (!ours->name) continue;           /* a newer minor's kind: skipped when read */
    if (strcmp(ours->name, name) || (nf < ours->nfields && (int)h->minor - FLTR_VERSION_MINOR >= 0))  /* fewer fields: an older minor only */
      return fail(r, at, "record kind %u is '%s' with %u fields here, '%s' with %u in this faultline",
                  (unsigned)id, name, (unsigned)nf, ours->name, ours->nfields);
    for (unsigned f = 0; f < nf && f < ours->nfields; f++)
      if (k->field[f].enc != ours->field[f].enc || strcmp(k->field[f].name, ours->field[f].name))
        return fail(r, at, "record kind '%s': field %u is '%s' (%s) here, '%s' (%s) in this faultline", name, f,
                    k->field[f].name, fltr_enc_names[k->field[f].enc], ours->field[f].name,
                    fltr_enc_names[ours->field[f].enc]);
  }
  return 0;
}

static int read_header(struct fltr_reader *r) {
  struct fltr_header *h = &r->h;
  uint8_t fixed[16];
  size_t have = r->size < 16 ? (size_t)r->size : 16;
  if (src_read(r, 0, fixed, have)) return -1;
  if (have < 8 ? memcmp(fixed, FLTR_MAGIC, have) : memcmp(fixed, FLTR_MAGIC, 8))
    return fail(r, 0, "not a faultline trace (no .fltr magic)");
  if (have < 16) return fail(r, r->size, "truncated inside the header (%llu bytes)", (unsigned long long)r->size);
  h->major = (uint16_t)fltr_le_get(fixed + 8, 2);
  h->minor = (uint16_t)fltr_le_get(fixed + 10, 2);
  if (h->major > FLTR_VERSION_MAJOR)
    return fail(r, 8, "trace format %u.%u is newer than this faultline reads (%u.x): use a newer faultline",
                h->major, h->minor, FLTR_VERSION_MAJOR);
  if (h->major < 1) return fail(r, 8, "unknown trace format version %u.%u", h->major, h->minor);
  h->length = (uint32_t)fltr_le_get(fixed + 12, 4);
  if (h->length < FLTR_HEADER_FIXED + 4 || h->length > FLTR_HEADER_MAX)
    return fail(r, 12, "header length %u outside %u..%u", h->length, FLTR_HEADER_FIXED + 4, FLTR_HEADER_MAX);
  if (h->length > r->size)
    return fail(r, r->size, "truncated inside the header (%llu of its %u bytes)", (unsigned long long)r->size, h->length);
  uint8_t *b = malloc(h->length);
  if (!b) return fail(r, 0, "out of host memory");
  int rc = -1;
  if (src_read(r, 0, b, h->length)) goto out;
  uint32_t want = (uint32_t)fltr_le_get(b + h->length - 4, 4), got = fltr_crc32(b, h->length - 4);
  if (want != got) {
    fail(r, h->length - 4, "header CRC mismatch (stored %08x, computed %08x): the header is damaged", want, got);
    goto out;
  }
  h->flags = (uint32_t)fltr_le_get(b + 16, 4);
  h->cpuid_id = (uint32_t)fltr_le_get(b + 20, 4);
  h->param_hash = fltr_le_get(b + 24, 8);
  if (h->flags & FLTR_FLAGS_REQUIRED & ~FLTR_FLAGS_KNOWN) {
    fail(r, 16, "the trace needs features this faultline lacks (flags %#x): use a newer faultline", h->flags);
    goto out;
  }
  struct cur c = {b, FLTR_HEADER_FIXED, h->length - 4};
  uint64_t argc;
  if (take_str(r, &c, 4, "the mode", &h->mode) || take_str(r, &c, 4, "the preset", &h->preset) ||
      take_str(r, &c, 4, "the CPUID personality", &h->cpuid_name) ||
      take_str(r, &c, 4, "the faultline version", &h->version) || take_le(r, &c, 4, "the command line", &argc))
    goto out;
  if (argc > (c.end - c.at) / 4) { fail(r, c.at - 4, "the command line has %llu arguments, more than the header holds", (unsigned long long)argc); goto out; }
  h->argv = calloc(argc + 1, sizeof *h->argv);
  if (!h->argv) { fail(r, c.at, "out of host memory"); goto out; }
  for (h->argc = 0; (uint64_t)h->argc < argc; h->argc++)
    if (take_str(r, &c, 4, "the command line", &h->argv[h->argc])) goto out;
  if (parse_schema(r, &c)) goto out;
  /* a newer minor may add header fields here; in ours nothing follows */
  if (c.at != c.end && h->minor <= FLTR_VERSION_MINOR) {
    fail(r, c.at, "%zu unexpected bytes at the end of the header", c.end - c.at);
    goto out;
  }
  rc = 0;
out:
  free(b);
  return rc;
}

/* ---- the trailer and the index (FORMAT.md "Index", "Trailer") ---- */
static bool frame_sizes_ok(uint32_t usize, uint32_t csize, uint32_t records) {
  return usize >= 2 && usize <= FLTR_FRAME_MAX && csize >= 1 && csize <= ZSTD_compressBound(usize) &&
         records >= 1 && records <= usize / 2;    /* a record is at least 2 bytes */
}

static int read_index(struct fltr_reader *r) {
  uint64_t size = r->size, h = r->h.length;
  uint8_t t[FLTR_TRAILER];
  if (size < h + FLTR_TRAILER) goto none;
  if (src_read(r, size - FLTR_TRAILER, t, sizeof t)) return -1;
  if (memcmp(t + 28, FLTR_TRAILER_MAGIC, 4)) goto none;
  uint64_t toff = size - FLTR_TRAILER;
  if ((uint32_t)fltr_le_get(t + 24, 4) != fltr_crc32(t, 24))
    return fail(r, toff, "trailer CRC mismatch: the end of the trace is damaged");
  uint64_t ioff = fltr_le_get(t, 8);
  r->end_icount = fltr_le_get(t + 8, 8);
  uint64_t total = fltr_le_get(t + 16, 8);
  if (ioff < h || ioff > toff || toff - ioff < 12)
    return fail(r, toff, "the trailer points at an index at byte %llu, outside the file's frames", (unsigned long long)ioff);
  uint8_t ih[8];
  if (src_read(r, ioff, ih, 8)) return -1;
  uint64_t n = fltr_le_get(ih + 4, 4);
  if (memcmp(ih, FLTR_INDEX_MAGIC, 4) || 8 + n * FLTR_INDEX_ENTRY + 4 != toff - ioff)
    return fail(r, ioff, "no index of %llu frames here, as the trailer says", (unsigned long long)n);
  size_t ilen = (size_t)(toff - ioff);
  uint8_t *b = malloc(ilen);
  r->idx = calloc(n ? n : 1, sizeof *r->idx);
  if (!b || !r->idx) { free(b); return fail(r, ioff, "out of host memory"); }
  if (src_read(r, ioff, b, ilen)) { free(b); return -1; }
  int rc = -1;
  if ((uint32_t)fltr_le_get(b + ilen - 4, 4) != fltr_crc32(b, ilen - 4)) {
    fail(r, toff - 4, "index CRC mismatch: the index is damaged");
    goto out;
  }
  /* the frames tile the file from the header to the index, in order */
  uint64_t at = h, records = 0, icount = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = b + 8 + (size_t)i * FLTR_INDEX_ENTRY;
    struct fltr_frame_info *f = &r->idx[i];
    *f = (struct fltr_frame_info){fltr_le_get(e, 8), (uint32_t)fltr_le_get(e + 8, 4), (uint32_t)fltr_le_get(e + 12, 4),
                                  (uint32_t)fltr_le_get(e + 16, 4), fltr_le_get(e + 24, 8), e[20]};
    uint64_t eoff = ioff + 8 + (uint64_t)i * FLTR_INDEX_ENTRY;
    if (f->offset != at || e[21] | e[22] | e[23] || f->kind < FLTR_FRAME_DATA || f->kind > FLTR_FRAME_KEYFRAME_MORE ||
        !frame_sizes_ok(f->usize, f->csize, f->records) || f->first_icount < icount || f->first_icount > r->end_icount ||
        (f->kind == FLTR_FRAME_KEYFRAME_MORE && (!i || f[-1].kind == FLTR_FRAME_DATA))) {
      fail(r, eoff, "index entry %u is inconsistent (frame at byte %llu, %u/%u bytes, %u records, kind %u)", i,
           (unsigned long long)f->offset, f->csize, f->usize, f->records, f->kind);
      goto out;
    }
    at += FLTR_FRAME_HEADER + (uint64_t)f->csize;
    if (at > ioff) { fail(r, eoff, "index entry %u: the frame runs past the index", i); goto out; }
    records += f->records;
    icount = f->first_icount;
  }
  if (at != ioff) { fail(r, ioff, "the index's frames end at byte %llu, not at the index", (unsigned long long)at); goto out; }
  if (records != total) { fail(r, toff + 16, "the trailer counts %llu records, the index %llu", (unsigned long long)total, (unsigned long long)records); goto out; }
  r->nidx = (uint32_t)n;
  r->frames_end = ioff;
  rc = 0;
out:
  free(b);
  return rc;
none:
  free(r->idx);
  r->idx = NULL;
  r->frames_end = size;
  snprintf(r->note, sizeof r->note, "no index: the trace has no trailer (a recording that did not finish, "
           "or a file cut short); it is read sequentially");
  return 0;
}

static struct fltr_reader *open_common(struct fltr_reader *r, char *err, size_t errlen) {
  r->dctx = ZSTD_createDCtx();
  if (!r->dctx) { fail(r, 0, "out of host memory"); goto bad; }
  /* the window no frame may exceed (FORMAT.md "Safety caps"); checked
   * on each frame's header before decompressing too */
  ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, FLTR_WINDOW_LOG_MAX);
  if (read_header(r) || read_index(r)) goto bad;
  r->pos = r->h.length;
  return r;
bad:
  snprintf(err, errlen, "%s", r->err);
  fltr_reader_close(r);
  return NULL;
}

static struct fltr_reader *reader_new(const char *name, char *err, size_t errlen) {
  struct fltr_reader *r = calloc(1, sizeof *r);
  if (r) r->name = strdup(name);
  if (!r || !r->name) { free(r); snprintf(err, errlen, "out of host memory"); return NULL; }
  r->fd = -1;
  return r;
}

struct fltr_reader *fltr_open(const char *path, char *err, size_t errlen) {
  struct fltr_reader *r = reader_new(path, err, errlen);
  if (!r) return NULL;
  struct stat st;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer */
  r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  const char *why = r->fd < 0 || fstat(r->fd, &st) ? strerror(errno) : !S_ISREG(st.st_mode) ? "not a regular file" : NULL;
  if (why) {
    snprintf(err, errlen, "cannot read trace %s: %s", path, why);
    fltr_reader_close(r);
    return NULL;
  }
  r->size = (uint64_t)st.st_size;
  return open_common(r, err, errlen);
}

struct fltr_reader *fltr_open_mem(const void *buf, size_t len, const char *name, char *err, size_t errlen) {
  struct fltr_reader *r = reader_new(name, err, errlen);
  if (!r) return NULL;
  r->mem = buf;
  r->size = len;
  return open_common(r, err, errlen);
}

void fltr_reader_close(struct fltr_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  struct fltr_header *h = &r->h;
  free(h->mode); free(h->preset); free(h->cpuid_name); free(h->version);
  for (int i = 0; h->argv && i < h->argc; i++) free(h->argv[i]);
  free(h->argv);
  for (int i = 0; i < 256; i++) {
    free((char *)h->kinds[i].name);
    for (int f = 0; f < FLTR_MAX_FIELDS; f++) free((char *)h->kinds[i].field[f].name);
  }
  free(r->idx);
  free(r->zbuf);
  free(r->ubuf);
  ZSTD_freeDCtx(r->dctx);
  free(r->name);
  free(r);
}

/* ---- frames (FORMAT.md "Frames") ---- */

/* RFC 8878 3.1.1.1: the zstd frame header a writer of ours makes: one
 * frame, its content size stated, a content checksum, no dictionary,
 * a window within the cap */
static int check_zstd_header(struct fltr_reader *r, const uint8_t *z, size_t n, uint64_t at, uint32_t usize) {
  if (n < 6 || fltr_le_get(z, 4) != 0xFD2FB528u) return fail(r, at, "not a zstd frame");
  uint8_t d = z[4];
  if (!(d & 4)) return fail(r, at + 4, "the zstd frame has no content checksum");
  if (d & 3) return fail(r, at + 4, "the zstd frame needs a dictionary");
  /* the unused bit (which decoders ignore) and the reserved bit: a
   * writer of ours leaves both clear, so a flip there is damage too */
  if (d & 0x18) return fail(r, at + 4, "the zstd frame header has its unused or reserved bit set");
  unsigned long long fcs = ZSTD_getFrameContentSize(z, n);
  if (fcs != usize) return fail(r, at, "the zstd frame's content size differs from the frame header's (%u bytes)", usize);
  if (!(d & 0x20)) {   /* not single-segment: a window descriptor */
    unsigned wlog = 10 + (z[5] >> 3);
    if (wlog > FLTR_WINDOW_LOG_MAX)
      return fail(r, at + 5, "the zstd frame wants a window of 2^%u bytes, more than the cap (2^%d)", wlog, FLTR_WINDOW_LOG_MAX);
  }
  size_t whole = ZSTD_findFrameCompressedSize(z, n);
  if (ZSTD_isError(whole) || whole != n)
    return fail(r, at, "the frame's %zu compressed bytes are not one zstd frame", n);
  return 0;
}

/* load the frame at r->pos: 1, 0 at the end, -1 */
static int load_frame(struct fltr_reader *r) {
  uint64_t pos = r->pos;
  if (pos == r->frames_end) return 0;
  if (r->frames_end - pos < FLTR_FRAME_HEADER)
    return fail(r, r->frames_end, "truncated: the frame header at byte %llu is cut short", (unsigned long long)pos);
  uint8_t fh[FLTR_FRAME_HEADER];
  if (src_read(r, pos, fh, sizeof fh)) return -1;
  if (!memcmp(fh, FLTR_INDEX_MAGIC, 4) && !r->idx)
    return fail(r, pos, "an index without a valid trailer after it: the end of the trace is damaged");
  if (memcmp(fh, FLTR_FRAME_MAGIC, 4)) return fail(r, pos, "no frame starts here (bad frame magic)");
  if ((uint32_t)fltr_le_get(fh + 28, 4) != fltr_crc32(fh, 28))
    return fail(r, pos + 28, "frame header CRC mismatch: the frame header is damaged");
  struct fltr_frame_info f = {pos, (uint32_t)fltr_le_get(fh + 8, 4), (uint32_t)fltr_le_get(fh + 12, 4),
                              (uint32_t)fltr_le_get(fh + 16, 4), fltr_le_get(fh + 20, 8), fh[4]};
  if (f.kind < FLTR_FRAME_DATA || f.kind > FLTR_FRAME_KEYFRAME_MORE || fh[5] | fh[6] | fh[7])
    return fail(r, pos + 4, "unknown frame kind %u", f.kind);
  if (f.kind == FLTR_FRAME_KEYFRAME_MORE && (!r->prev_kind || r->prev_kind == FLTR_FRAME_DATA))
    return fail(r, pos + 4, "a keyframe continues here without having started");
  if (f.usize > FLTR_FRAME_MAX)
    return fail(r, pos + 12, "the frame declares %u uncompressed bytes, more than the cap (%u)", f.usize, FLTR_FRAME_MAX);
  if (!frame_sizes_ok(f.usize, f.csize, f.records))
    return fail(r, pos + 8, "the frame declares impossible sizes (%u compressed, %u uncompressed, %u records)",
                f.csize, f.usize, f.records);
  if (f.first_icount < r->prev_icount)
    return fail(r, pos + 20, "the frame starts at instruction %llu, before the previous frame (%llu)",
                (unsigned long long)f.first_icount, (unsigned long long)r->prev_icount);
  if (r->idx) {
    const struct fltr_frame_info *e = r->next_no < r->nidx ? &r->idx[r->next_no] : NULL;
    if (!e || e->offset != f.offset || e->csize != f.csize || e->usize != f.usize ||
        e->records != f.records || e->first_icount != f.first_icount || e->kind != f.kind)
      return fail(r, pos, "the frame differs from index entry %u", r->next_no);
  }
  if (f.csize > r->frames_end - pos - FLTR_FRAME_HEADER)
    return fail(r, r->frames_end, "truncated: the frame at byte %llu needs %u compressed bytes, %llu are left",
                (unsigned long long)pos, f.csize, (unsigned long long)(r->frames_end - pos - FLTR_FRAME_HEADER));
  uint64_t zat = pos + FLTR_FRAME_HEADER;
  if (grow(r, &r->zbuf, &r->zcap, f.csize, zat) || grow(r, &r->ubuf, &r->ucap, f.usize, zat) ||
      src_read(r, zat, r->zbuf, f.csize) || check_zstd_header(r, r->zbuf, f.csize, zat, f.usize))
    return -1;
  size_t got = ZSTD_decompressDCtx(r->dctx, r->ubuf, f.usize, r->zbuf, f.csize);
  if (ZSTD_isError(got)) return fail(r, zat, "zstd: %s: the frame is damaged", ZSTD_getErrorName(got));
  if (got != f.usize) return fail(r, zat, "the frame decompresses to %zu bytes, not %u", got, f.usize);
  r->cur = f;
  r->cur_no = r->next_no++;
  r->have_cur = true;
  r->prev_kind = f.kind;
  r->prev_icount = f.first_icount;
  r->pos = zat + f.csize;
  r->upos = 0;
  r->urec = 0;
  return 1;
}

/* ---- records ---- */
static int rec_fail(struct fltr_reader *r, const char *what) {
  return fail(r, r->cur.offset, "frame %u, uncompressed byte %zu of %u: %s", r->cur_no, r->upos, r->cur.usize, what);
}

static bool get_uvar(const uint8_t *p, size_t n, size_t *at, uint64_t *v) {
  uint64_t x = 0;
  for (int s = 0; s < 70; s += 7) {
    if (*at >= n) return false;
    uint8_t b = p[(*at)++];
    if (s == 63 && b > 1) return false;     /* more than 64 bits */
    x |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) { *v = x; return true; }
  }
  return false;
}

/* a varint with at least 10 bytes of room after it (no bounds checks) */
static inline bool get_uvar_room(const uint8_t *p, size_t *at, uint64_t *v) {
  uint8_t b = p[(*at)++];
  if (__builtin_expect(b < 0x80, 1)) { *v = b; return true; }
  uint64_t x = b & 0x7f;
  for (int s = 7; s < 70; s += 7) {
    b = p[(*at)++];
    if (s == 63 && b > 1) return false;
    x |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) { *v = x; return true; }
  }
  return false;
}

/* The frequent records (every field a varint or a byte, well inside the
 * frame): decoded without a bounds check per byte.  0: not taken (the
 * general path decodes it, and says what is wrong). */
static inline int next_fast(struct fltr_reader *r, struct fltr_rec *rec, const uint8_t *p, size_t n, size_t at,
                            const struct fltr_kind_info *k) {
  if (n - at < 11u * FLTR_MAX_FIELDS + 11u) return 0;
  uint64_t v;
  size_t start = at - 1;
  if (!get_uvar_room(p, &at, &v) || v > UINT32_MAX) return 0;
  rec->cpu = (uint32_t)v;
  memset(rec->v, 0, sizeof rec->v);     /* (a fixed size: a few stores, not a loop) */
  for (int i = 0; i < k->nfields; i++) {
    switch (k->field[i].enc) {
    case FLTR_E_U: if (!get_uvar_room(p, &at, &v)) return 0; break;
    case FLTR_E_S: if (!get_uvar_room(p, &at, &v)) return 0; v = (v >> 1) ^ (0 - (v & 1)); break;
    case FLTR_E_U8: v = p[at++]; break;
    default: return 0;
    }
    rec->v[i] = v;
  }
  rec->data = NULL;
  rec->len = 0;
  rec->size = (uint32_t)(at - start);
  r->upos = at;
  r->urec++;
  return 1;
}

int fltr_next(struct fltr_reader *r, struct fltr_rec *rec) {
  if (r->failed) return -1;
  while (!r->have_cur || r->upos == r->cur.usize) {
    if (r->have_cur && r->urec != r->cur.records) {
      char m[96];
      snprintf(m, sizeof m, "the frame holds %u records, its header says %u", r->urec, r->cur.records);
      return rec_fail(r, m);
    }
    r->have_cur = false;
    int k = load_frame(r);
    if (k <= 0) return k;
  }
  const uint8_t *p = r->ubuf;
  size_t n = r->cur.usize, at = r->upos;
  uint8_t kind = p[at++];
  const struct fltr_kind_info *k = &r->h.kinds[kind];
  if (__builtin_expect(k->name != NULL && r->urec != r->cur.records, 1)) {
    rec->kind = kind;
    if (next_fast(r, rec, p, n, at, k)) return 1;
  }
  memset(rec, 0, sizeof *rec);
  rec->kind = kind;
  char m[160];
  if (!k->name) {
    snprintf(m, sizeof m, "record kind %u is not in the trace's schema", rec->kind);
    return rec_fail(r, m);
  }
  if (r->urec == r->cur.records) return rec_fail(r, "more records than the frame header says");
  uint64_t v = 0;
  bool ok = get_uvar(p, n, &at, &v) && v <= UINT32_MAX;
  rec->cpu = (uint32_t)v;
  for (int i = 0; ok && i < k->nfields; i++) {
    static const uint8_t width[] = {[FLTR_E_U8] = 1, [FLTR_E_U16] = 2, [FLTR_E_U32] = 4, [FLTR_E_U64] = 8};
    switch (k->field[i].enc) {
    case FLTR_E_U: ok = get_uvar(p, n, &at, &v); break;
    case FLTR_E_S: ok = get_uvar(p, n, &at, &v); v = (v >> 1) ^ (0 - (v & 1)); break;
    case FLTR_E_B:
      ok = get_uvar(p, n, &at, &v) && v <= FLTR_BYTES_MAX && v <= n - at;
      if (ok) { rec->data = p + at; rec->len = (uint32_t)v; at += v; }
      break;
    default:
      ok = width[k->field[i].enc] <= n - at;
      if (ok) { v = fltr_le_get(p + at, width[k->field[i].enc]); at += width[k->field[i].enc]; }
      break;
    }
    rec->v[i] = v;
  }
  if (!ok) {
    snprintf(m, sizeof m, "the frame ends inside a record of kind '%s' (or a field overflows)", k->name);
    return rec_fail(r, m);
  }
  rec->size = (uint32_t)(at - r->upos);
  r->upos = at;
  r->urec++;
  return 1;
}

bool fltr_cursor(struct fltr_reader *r, struct fltr_cursor *c) {
  if (r->failed || !r->have_cur || r->upos >= r->cur.usize || r->urec >= r->cur.records) return false;
  c->buf = r->ubuf;
  c->end = r->cur.usize;
  c->upos = &r->upos;
  c->urec = &r->urec;
  c->records = r->cur.records;
  return true;
}

int fltr_seek(struct fltr_reader *r, uint64_t icount, uint64_t *at) {
  if (r->failed) return -1;
  if (!r->idx) return fail(r, r->size, "seeking needs the index, which this trace lacks");
  uint32_t start = 0;
  for (uint32_t i = 0; i < r->nidx && r->idx[i].first_icount <= icount; i++)
    if (r->idx[i].kind == FLTR_FRAME_KEYFRAME) start = i;
  bool kf = r->nidx && r->idx[start].kind == FLTR_FRAME_KEYFRAME;
  *at = kf ? r->idx[start].first_icount : 0;
  r->pos = r->nidx ? r->idx[start].offset : r->frames_end;
  r->next_no = start;
  r->have_cur = false;
  r->prev_kind = 0;
  r->prev_icount = 0;
  return 0;
}

const struct fltr_header *fltr_header(const struct fltr_reader *r) { return &r->h; }
const struct fltr_frame_info *fltr_index(const struct fltr_reader *r, uint32_t *nframes, uint64_t *end_icount) {
  *nframes = r->nidx;
  *end_icount = r->end_icount;
  return r->idx;
}
const char *fltr_note(const struct fltr_reader *r) { return r->note; }
const struct fltr_frame_info *fltr_cur_frame(const struct fltr_reader *r, uint32_t *number) {
  *number = r->cur_no;
  return &r->cur;
}
const char *fltr_error(const struct fltr_reader *r) { return r->err; }

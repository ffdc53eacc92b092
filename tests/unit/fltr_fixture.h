/* Synthetic .fltr traces for the trace tests: made with the library's
 * writer (every record kind, keyframes, many frames), and raw pieces
 * built by hand from traces/FORMAT.md (frames the writer would never
 * make: the bad-trace cases). */
#ifndef FAULTLINE_TESTS_FLTR_FIXTURE_H
#define FAULTLINE_TESTS_FLTR_FIXTURE_H
#include "traces/fltr.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* what was written, in order (kf_begin/kf_end included) */
struct synth {
  struct fltr_rec *rec;
  uint64_t *icount;
  size_t n, cap;
  uint64_t kf_icount[64];    /* each keyframe's instruction count */
  size_t kf_index[64];       /* and the position of its kf_begin in rec */
  int nkf;
  uint64_t end_icount;
  uint8_t pool[FLTR_BYTES_MAX];   /* byte-string fields point into it */
};
extern const struct fltr_meta synth_meta;

/* nrec records (keyframes every kf_every, 0: none) with frames cut at
 * frame_cut; finished with an index (finish) or abandoned */
void synth_write(struct synth *s, const char *path, size_t nrec, uint32_t frame_cut, size_t kf_every,
                 uint64_t seed, bool finish);
void synth_free(struct synth *s);
/* a fresh temporary path (the caller unlinks it) */
char *tmp_path(const char *tag);
uint8_t *slurp_file(const char *path, size_t *len);
void spit_file(const char *path, const void *buf, size_t len);

/* ---- by hand, from FORMAT.md ---- */
struct bytes { uint8_t *p; size_t n, cap; };
void b_put(struct bytes *b, const void *p, size_t n);
void b_le(struct bytes *b, uint64_t v, int n);
void b_uvar(struct bytes *b, uint64_t v);
uint64_t le_get(const uint8_t *p, int n);
void le_set(uint8_t *p, uint64_t v, int n);
/* recompute a header's CRC after patching it */
void fix_header_crc(uint8_t *h);
/* offset of the schema's kind count in a header */
size_t schema_offset(const uint8_t *h);
/* a frame: header + zstd frame of payload (checksum on, window_log 0:
 * zstd's choice), the header declaring usize/records as given */
void raw_frame(struct bytes *out, uint8_t kind, uint64_t first_icount, uint32_t records, uint32_t usize,
               const void *payload, size_t n, bool checksum, int window_log);
/* the frame table of a trace with an index (from its trailer): offsets
 * of the frames, the index and the trailer */
struct layout { uint64_t header, index, trailer; uint32_t nframes; uint64_t frame[4096]; };
void layout_of(const uint8_t *t, size_t n, struct layout *l);

/* read every record: 1 clean end, -1 clean error (message in err) */
int read_all(struct fltr_reader *r, size_t *nrec, char *err, size_t errlen);
/* the first difference between a read record and an expected one, or NULL */
const char *rec_diff(const struct fltr_rec *got, const struct fltr_rec *want);

#endif

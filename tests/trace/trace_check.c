/* Reads a recorded trace back through the library (traces/fltr.h) and
 * prints what a replay would count, for recording.sh to compare with the
 * run's own stats:
 *   instructions  the sum over executed blocks (bb), less what cuts left
 *   refs          data references: ref records, and per rep record one
 *                 per iteration and operand plus its partial iteration's
 *   kernel        kacc records;  user_copies  ucopy records
 *   syscalls      sys_enter records that are not re-runs
 *   faults        fault records (each with its fault_end)
 * Every reference's address is decoded as a replayer decodes it (the
 * prediction of FORMAT.md), so a decoding error shows as a wrong stream.
 *   trace_check TRACE            the counts above
 *   trace_check --stream TRACE   one line per record, decoded (keyframes
 *                                as one line): what must not depend on the mode
 *   trace_check --tail TRACE     from the last keyframe on (as a --from
 *                                window starts): the digest of the decoded
 *                                records after it, which the whole trace's
 *                                `tail` line must equal */
#include "traces/fltr.h"
#include "traces/recorder.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS (1u << 24)


/* the digest of the decoded records since the last keyframe: FNV-1a over
 * each record's kind and decoded fields */
static uint64_t digest = 1469598103934665603ull, tail_records;
static void mix(uint64_t v) {
  for (int b = 0; b < 8; b++) digest = (digest ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ull;
}
static void mix_rec(uint8_t kind, const uint64_t *v, int n) {
  mix(kind);
  for (int i = 0; i < n; i++) mix(v[i]);
  tail_records++;
}

int main(int argc, char **argv) {
  bool tail = argc == 3 && !strcmp(argv[1], "--tail");
  bool stream = argc == 3 && !strcmp(argv[1], "--stream");
  if (argc != 2 && !stream && !tail) {
    fprintf(stderr, "usage: trace_check [--stream|--tail] TRACE\n");
    return 2;
  }
  char err[600];
  struct fltr_reader *r = fltr_open(argv[argc - 1], err, sizeof err);
  if (!r) { fprintf(stderr, "trace_check: %s\n", err); return 1; }
  if (tail) {
    /* start at the last keyframe, as a --from window would: what follows
     * it must decode to what the whole trace decodes to there */
    uint32_t nf;
    uint64_t end, at;
    if (!fltr_index(r, &nf, &end) || fltr_seek(r, end, &at)) { fprintf(stderr, "trace_check: cannot seek\n"); return 1; }
    if (!at) { fprintf(stderr, "trace_check: the trace has no keyframe\n"); return 1; }
  }
  uint8_t *ninsns = calloc(MAX_BLOCKS, 1);
  struct fltr_decoder *dec = fltr_decoder_new(r);
  uint64_t keyframes = 0, insns = 0, refs = 0, kernel = 0, ucopies = 0, syscalls = 0, faults = 0, fault_ends = 0;
  uint32_t block = 0, last_n = 0;
  bool in_kf = false;
  struct fltr_rec rec;
  int k;
  while ((k = fltr_decode(dec, &rec)) > 0) {
    /* decoded by the library's decoder (recorder.h), as the replay decodes */
    const uint64_t *v = rec.v;
    uint64_t d[FLTR_MAX_FIELDS];
    memcpy(d, v, sizeof d);
    switch (rec.kind) {
    case FLTR_K_KF_BEGIN:
      in_kf = true;
      keyframes++;
      block = 0;
      break;
    case FLTR_K_KF_END:
      in_kf = false;
      digest = 1469598103934665603ull;
      tail_records = 0;
      if (stream) printf("keyframe\n");
      break;
    case FLTR_K_BLOCK:
      if (v[0] >= MAX_BLOCKS || rec.len == 0 || rec.len > 255) { fprintf(stderr, "trace_check: bad block %" PRIu64 "\n", v[0]); return 1; }
      ninsns[v[0]] = (uint8_t)rec.len;
      if (stream && !in_kf)
        printf("block %" PRIu64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %" PRIu64 " %" PRIu64 " n=%u\n", v[0], v[1], v[2],
               v[3], v[4], v[5], rec.len);
      break;
    case FLTR_K_BB:
      if (v[0] >= MAX_BLOCKS || !ninsns[v[0]]) { fprintf(stderr, "trace_check: bb of unknown block %" PRIu64 "\n", v[0]); return 1; }
      block = (uint32_t)v[0];
      last_n = ninsns[v[0]];
      insns += last_n;
      if (stream) printf("bb %u\n", block);
      break;
    case FLTR_K_CUT:
      if (v[0] > last_n) { fprintf(stderr, "trace_check: cut after %" PRIu64 " of %u\n", v[0], last_n); return 1; }
      insns -= last_n - v[0];
      last_n = (uint32_t)v[0];
      if (stream) printf("cut %" PRIu64 "\n", v[0]);
      break;
    case FLTR_K_REF:
      refs++;
      if (stream) printf("ref %#" PRIx64 " %" PRIu64 " %" PRIu64 "\n", v[0], v[1] >> 2, v[1] & 3);
      break;
    case FLTR_K_REP:
      refs += v[2] * ((v[0] & 7) == 0 || (v[0] & 7) == 3 ? 2 : 1) + v[5];
      if (stream)
        printf("rep %" PRIu64 " %" PRIu64 " %" PRIu64 " %#" PRIx64 " %#" PRIx64 " %" PRIu64 "\n", v[0], v[1], v[2], v[3],
               v[4], v[5]);
      break;
    case FLTR_K_KACC:
      kernel++;
      if (stream) printf("kacc %#" PRIx64 " %" PRIu64 "\n", v[0], v[1]);
      break;
    case FLTR_K_PTE:
      if (stream) printf("pte %#" PRIx64 " %#" PRIx64 " %" PRIu64 "\n", v[0], v[1], v[2]);
      break;
    case FLTR_K_UCOPY: ucopies++; goto generic;
    case FLTR_K_SYS_ENTER: syscalls += !v[1]; goto generic;
    case FLTR_K_FAULT: faults++; goto generic;
    case FLTR_K_FAULT_END: fault_ends++; goto generic;
    default:
    generic:
      if (stream && !in_kf) {
        printf("%s", fltr_kinds[rec.kind].name ? fltr_kinds[rec.kind].name : "?");
        for (int f = 0; f < fltr_kinds[rec.kind].nfields; f++)
          if (fltr_kinds[rec.kind].field[f].enc == FLTR_E_B) printf(" %.*s", (int)rec.len, (const char *)rec.data);
          else printf(" %#" PRIx64, v[f]);
        putchar('\n');
      }
      break;
    }
    if (!in_kf && rec.kind != FLTR_K_KF_END) mix_rec(rec.kind, d, fltr_kinds[rec.kind].nfields);
  }
  if (k < 0) { fprintf(stderr, "trace_check: %s\n", fltr_error(r)); return 1; }
  if (tail) printf("tail %016" PRIx64 " %" PRIu64 "\n", digest, tail_records);
  else if (!stream) {
    printf("instructions %" PRIu64 "\nrefs %" PRIu64 "\nkernel %" PRIu64 "\nuser_copies %" PRIu64 "\nsyscalls %" PRIu64
           "\nfaults %" PRIu64 "\nfault_ends %" PRIu64 "\n",
           insns, refs, kernel, ucopies, syscalls, faults, fault_ends);
    uint32_t nf;
    uint64_t end;
    if (fltr_index(r, &nf, &end)) printf("end_icount %" PRIu64 "\n", end);
    printf("keyframes %" PRIu64 "\ntail %016" PRIx64 " %" PRIu64 "\n", keyframes, digest, tail_records);
  }
  fltr_decoder_free(dec);
  fltr_reader_close(r);
  free(ninsns);
  return 0;
}

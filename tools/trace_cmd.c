/* `faultline trace info TRACE`: what a .fltr trace holds (its header,
 * frames, records by kind, sizes), read through traces/fltr.h: every
 * frame is decompressed and checked, so a damaged trace gives one
 * `faultline:` line naming the byte offset and exit status 125. */
#include "traces/fltr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *trace_usage =
  "usage: faultline trace SUBCOMMAND [OPTIONS] TRACE\n"
  "\n"
  "Works on .fltr trace files (traces/FORMAT.md describes the format).\n"
  "\n"
  "subcommands:\n"
  "  info      header, frames, records by kind, sizes, the recorded command line\n"
  "\n"
  "`faultline trace SUBCOMMAND --help` describes each.\n";

static const char *info_usage =
  "usage: faultline trace info TRACE\n"
  "\n"
  "Describes a .fltr trace: its format version, the recording's mode,\n"
  "preset, parameter hash, CPUID personality, faultline version and\n"
  "command line; whether the frame index is present; the frames by kind;\n"
  "the records by kind with their uncompressed bytes; the compressed and\n"
  "uncompressed bytes, bytes per record and per data reference (the\n"
  "guest program's, then with the guest kernel's own).  Every\n"
  "frame is read and checked: a damaged trace gives one `faultline:` line\n"
  "naming the byte offset and exits 125.\n";

/* header strings come from an untrusted file: no control characters
 * reach the terminal */
static void put_safe(FILE *o, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f) fprintf(o, "\\x%02x", *p);
    else fputc(*p, o);
}

/* one argument, quoted the way a shell would need it */
static void put_arg(FILE *o, const char *s) {
  bool plain = *s != 0;
  for (const char *p = s; *p; p++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-", *p)) plain = false;
  if (plain) { fputs(s, o); return; }
  fputc('\'', o);
  for (const char *p = s; *p; p++) {
    if (*p == '\'') fputs("'\\''", o);
    else { char c[2] = {*p, 0}; put_safe(o, c); }
  }
  fputc('\'', o);
}

static int info(const char *path) {
  char err[600];
  struct fltr_reader *r = fltr_open(path, err, sizeof err);
  if (!r) { fprintf(stderr, "faultline: %s\n", err); return 125; }
  static uint64_t count[256], ubytes[256];
  uint64_t frames[4] = {0}, csize = 0, usize = 0, records = 0, refs = 0, krefs = 0, last_frame = ~0ull;
  uint64_t first_icount = 0;
  struct fltr_rec rec;
  int k;
  while ((k = fltr_next(r, &rec)) > 0) {
    uint32_t no;
    const struct fltr_frame_info *f = fltr_cur_frame(r, &no);
    if (no != last_frame) {
      if (last_frame == ~0ull) first_icount = f->first_icount;
      last_frame = no;
      frames[f->kind]++;
      csize += f->csize;
      usize += f->usize;
    }
    count[rec.kind]++;
    ubytes[rec.kind] += rec.size;
    records++;
    if (rec.kind == FLTR_K_REF) refs++;
    /* movs and cmps make two references per iteration; then those of an
     * iteration a fault stopped */
    if (rec.kind == FLTR_K_REP) refs += rec.v[2] * ((rec.v[0] & 7) == 0 || (rec.v[0] & 7) == 3 ? 2 : 1) + rec.v[5];
    if (rec.kind == FLTR_K_KACC || rec.kind == FLTR_K_UCOPY) krefs++;
  }
  if (k < 0) {
    fprintf(stderr, "faultline: %s\n", fltr_error(r));
    fltr_reader_close(r);
    return 125;
  }
  const struct fltr_header *h = fltr_header(r);
  FILE *o = stdout;
  printf("trace          "); put_safe(o, path); putchar('\n');
  printf("format         fltr %u.%u (this faultline writes %u.%u)\n", h->major, h->minor,
         FLTR_VERSION_MAJOR, FLTR_VERSION_MINOR);
  printf("mode           "); put_safe(o, h->mode); putchar('\n');
  printf("preset         "); put_safe(o, h->preset); putchar('\n');
  printf("param_hash     %016llx\n", (unsigned long long)h->param_hash);
  printf("cpuid          %u ", h->cpuid_id); put_safe(o, h->cpuid_name); putchar('\n');
  printf("recorded_by    faultline "); put_safe(o, h->version); putchar('\n');
  printf("command        ");
  for (int i = 0; i < h->argc; i++) { if (i) putchar(' '); put_arg(o, h->argv[i]); }
  printf("\nflags          %#x%s\n", h->flags, h->flags & FLTR_FLAG_IMPORTED ? " (imported)" : "");
  uint32_t nidx;
  uint64_t end_icount;
  if (fltr_index(r, &nidx, &end_icount))
    printf("index          present: %u frames; instructions %llu to %llu\n", nidx,
           (unsigned long long)first_icount, (unsigned long long)end_icount);
  else
    printf("index          absent (%s)\n", fltr_note(r));
  printf("frames         %llu (data %llu, keyframe %llu, keyframe_more %llu)\n",
         (unsigned long long)(frames[1] + frames[2] + frames[3]), (unsigned long long)frames[1],
         (unsigned long long)frames[2], (unsigned long long)frames[3]);
  printf("bytes          %llu compressed, %llu uncompressed", (unsigned long long)csize, (unsigned long long)usize);
  if (csize) printf(" (%.2f:1)", (double)usize / (double)csize);
  printf("; header %u\n", h->length);
  printf("records        %llu", (unsigned long long)records);
  if (records) printf(" (%.3f compressed bytes each)", (double)csize / (double)records);
  printf("\ndata_refs      %llu", (unsigned long long)refs);
  if (refs) printf(" (%.3f compressed bytes per reference)", (double)csize / (double)refs);
  printf("\nkernel_refs    %llu", (unsigned long long)krefs);
  if (refs + krefs) printf(" (kacc and ucopy; %.3f compressed bytes per reference of either kind)",
                           (double)csize / (double)(refs + krefs));
  printf("\nrecords by kind:\n  %-12s %14s %20s\n", "kind", "count", "uncompressed bytes");
  for (int i = 0; i < 256; i++) {
    if (!count[i]) continue;
    /* the schema's names are checked to be lowercase identifiers */
    printf("  %-12s %14llu %20llu%s\n", h->kinds[i].name, (unsigned long long)count[i],
           (unsigned long long)ubytes[i], fltr_kinds[i].name ? "" : "  (unknown to this faultline: skipped)");
  }
  fltr_reader_close(r);
  return 0;
}

int cmd_trace(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(trace_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 125 : 0;
  }
  if (strcmp(argv[1], "info")) {
    fprintf(stderr, "faultline: trace: unknown subcommand '%s' (see `faultline trace --help`)\n", argv[1]);
    return 125;
  }
  const char *path = NULL;
  bool opts = true;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (opts && !strcmp(a, "--")) { opts = false; continue; }
    if (opts && (!strcmp(a, "--help") || !strcmp(a, "-h"))) { fputs(info_usage, stdout); return 0; }
    if (opts && a[0] == '-' && a[1]) {
      fprintf(stderr, "faultline: trace info: unknown option '%s' (see `faultline trace info --help`)\n", a);
      return 125;
    }
    if (path) {
      fprintf(stderr, "faultline: trace info takes one TRACE (see `faultline trace info --help`)\n");
      return 125;
    }
    path = a;
  }
  if (!path) {
    fprintf(stderr, "faultline: trace info: no TRACE given (usage: faultline trace info TRACE)\n");
    return 125;
  }
  return info(path);
}

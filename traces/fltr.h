/* The .fltr trace container (traces/FORMAT.md is its spec; DESIGN.md
 * "Traces"): a checksummed header, independent zstd frames of
 * little-endian records, a frame index and a trailer.  This file is the
 * one source of the record vocabulary: the writer, the reader,
 * `faultline trace info`, the schema every trace carries in its header
 * and FORMAT.md's table (a test compares them) all come from
 * FLTR_RECORDS below.
 *
 * Traces are untrusted input: every reader function returns a clean
 * error naming the byte offset (fltr_error), never crashes, never
 * hangs, and allocates at most what the caps below allow. */
#ifndef FAULTLINE_TRACES_FLTR_H
#define FAULTLINE_TRACES_FLTR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- format constants (FORMAT.md "Layout") ---- */
#define FLTR_MAGIC "\x89" "FLTR\r\n\x1a"   /* 8 bytes at offset 0 */
#define FLTR_VERSION_MAJOR 1               /* a reader refuses a newer major */
#define FLTR_VERSION_MINOR 0               /* and accepts a newer minor */
#define FLTR_HEADER_FIXED 32               /* fixed part of the header */
#define FLTR_FRAME_HEADER 32
#define FLTR_INDEX_ENTRY 32
#define FLTR_TRAILER 32
#define FLTR_FRAME_MAGIC "FLFR"
#define FLTR_INDEX_MAGIC "FLIX"
#define FLTR_TRAILER_MAGIC "FLTE"

/* ---- safety caps (FORMAT.md "Safety caps") ---- */
#define FLTR_HEADER_MAX (4u << 20)         /* a command line as long as Linux allows */
#define FLTR_FRAME_CUT (1u << 20)          /* the writer cuts a frame at this size */
#define FLTR_FRAME_MAX (2u << 20)          /* a reader refuses larger frames */
#define FLTR_WINDOW_LOG_MAX 21             /* zstd window: 2 MiB = FLTR_FRAME_MAX */
#define FLTR_BYTES_MAX 65536u              /* one record's byte-string field */
#define FLTR_MAX_FIELDS 8                  /* fields of one record kind */
#define FLTR_ZSTD_LEVEL 3                  /* fixed: same input, same bytes */

/* Header flags: bits 0-15 are informational (a reader ignores the ones it
 * does not know); bits 16-31 are required (it refuses a trace with one
 * it does not know). */
#define FLTR_FLAG_IMPORTED 1u              /* made by an importer: no kernel decisions */
#define FLTR_FLAGS_KNOWN FLTR_FLAG_IMPORTED
#define FLTR_FLAGS_REQUIRED 0xffff0000u

enum fltr_frame_kind {
  FLTR_FRAME_DATA = 1,
  FLTR_FRAME_KEYFRAME = 2,                 /* the first frame of a keyframe */
  FLTR_FRAME_KEYFRAME_MORE = 3,            /* a keyframe's further frames */
};

/* ---- the record vocabulary ----
 * Every record is: its kind (one byte, the number below), the vCPU that
 * produced it (uvarint), then the kind's fields in order.  The thread a
 * record belongs to is the one the latest `sched` record placed on that
 * vCPU.  Field encodings: U uvarint (LEB128), S zigzag varint, U8/U16/
 * U32/U64 little-endian, B a byte string (uvarint length, then bytes,
 * at most FLTR_BYTES_MAX; at most one per kind).  Numbers are stable
 * within a major version; a minor version may add kinds and append
 * fields to a kind (the header's schema lets older readers skip them).
 * Columns: id, number, name, fields, doc. */
#define FLTR_RECORDS(X) \
  X(BLOCK, 1, "block", (FU(id), FU(va), FU(bytes), FB(classes)), \
    "block table entry: block id, the guest virtual address of its first byte, its code bytes (the fetch lines, and a second page when it crosses one), one instruction class per instruction (0 simple, 1 mul, 2 div, 3 branch, 4 string, 5 fp, 6 fpdiv, 7 sse, 8 sys: the cpu.cost.* order)") \
  X(BB, 2, "bb", (FU(id)), \
    "a block executed to its end") \
  X(BB_PART, 3, "bb_part", (FU(id), FU(retired)), \
    "a block left early by an exception: its first `retired` instructions retired") \
  X(REF, 4, "ref", (FU(va), FU(size), F8(access)), \
    "a data reference of the guest program: size in bytes; access 0 load, 1 store, 2 load and store (read-modify-write)") \
  X(REP, 5, "rep", (F8(op), F8(size), FU(count), FU(src), FU(dst)), \
    "a REP string instruction: `count` iterations of `size` bytes; op 0 movs, 1 stos, 2 lods, 3 cmps, 4 scas, +128 when DF is set (descending); replay makes one reference per iteration and operand") \
  X(SYS_ENTER, 16, "sys_enter", (FU(nr)), \
    "system call entry (x86-64 number)") \
  X(SYS_EXIT, 17, "sys_exit", (FU(nr), FS(ret)), \
    "system call exit with its return value") \
  X(UCOPY, 18, "ucopy", (F8(dir), FU(va), FU(len)), \
    "the kernel copies `len` bytes from (dir 0) or to (dir 1) user memory at va: through the MMU, so it can fault") \
  X(MM_NEW, 32, "mm_new", (FU(mm), FU(root), FU(pcid)), \
    "a new address space: its number, the frame of its top-level table, its PCID") \
  X(MM_FREE, 33, "mm_free", (FU(mm)), \
    "an address space is torn down") \
  X(PT_NEW, 34, "pt_new", (FU(mm), FU(va), F8(level), FU(frame)), \
    "the kernel allocates frame as the level-`level` page table covering va") \
  X(PT_FREE, 35, "pt_free", (FU(mm), FU(frame)), \
    "a page-table page is freed") \
  X(MAP, 36, "map", (FU(mm), FU(va), FU(frame), FU(prot), F8(level)), \
    "the kernel maps va to frame (a level-1 4 KiB, level-2 2 MiB or level-3 1 GiB page) with prot: PTE bits 0-11, bit 12 for NX") \
  X(UNMAP, 37, "unmap", (FU(mm), FU(va), FU(pages)), \
    "the kernel unmaps `pages` 4 KiB pages from va") \
  X(PROTECT, 38, "protect", (FU(mm), FU(va), FU(pages), FU(prot)), \
    "the kernel changes the protection of `pages` pages from va (prot as in map)") \
  X(CR3, 39, "cr3", (FU(cr3), F8(noflush)), \
    "MOV to CR3: the value (PCID in bits 0-11), noflush when bit 63 was set (KPTI switches included)") \
  X(INVLPG, 40, "invlpg", (FU(va)), \
    "INVLPG of va") \
  X(INVPCID, 41, "invpcid", (F8(type), FU(pcid), FU(va)), \
    "INVPCID of a type (0 address, 1 context, 2 all with globals, 3 all but globals)") \
  X(TLB_FLUSH, 42, "tlb_flush", (F8(global)), \
    "the kernel flushes every user translation (global: global entries too)") \
  X(PC_FILL, 43, "pc_fill", (FU(file), FU(pgoff), FU(frame)), \
    "page-cache fill: page pgoff of file (its inode number) read into frame") \
  X(RECLAIM, 44, "reclaim", (FU(file), FU(pgoff), FU(frame)), \
    "reclaim evicts page pgoff of file from the page cache, freeing frame") \
  X(FORK, 64, "fork", (FU(tid), FU(pid), FU(mm), FU(flags)), \
    "the running thread creates a task (fork, vfork, clone): its tid, thread-group id, address space and clone flags") \
  X(EXEC, 65, "exec", (FU(mm), FB(path)), \
    "the running thread executes path in the new address space mm") \
  X(EXIT, 66, "exit", (FU(tid), FS(status)), \
    "a thread exits with a wait status") \
  X(SCHED, 67, "sched", (FU(tid), F8(reason)), \
    "the vCPU now runs thread tid (reason 0 time slice, 1 blocked, 2 yield, 3 exit, 4 wake-up)") \
  X(SIGNAL, 68, "signal", (F8(sig), FS(code), FU(addr)), \
    "a signal delivered to the running thread, with si_code and si_addr") \
  X(FAULT, 80, "fault", (FU(va), FU(err), F8(kind), FU(frame), FU(aux)), \
    "a page fault the guest kernel handled: error code, what it was (the first eleven fault kinds of `faultline events`, in order), the frame it chose (0: none) and a kind-specific value (the COW source frame, the pages mapped around)") \
  X(KF_BEGIN, 96, "kf_begin", (FU(icount)), \
    "a keyframe starts: the state at this retired-instruction count follows") \
  X(KF_TASK, 97, "kf_task", (FU(tid), FU(pid), FU(mm), F8(state)), \
    "keyframe: a task (state 0 running on the record's vCPU, 1 runnable, 2 blocked, 3 stopped)") \
  X(KF_MM, 98, "kf_mm", (FU(mm), FU(root), FU(pcid)), \
    "keyframe: an address space") \
  X(KF_PT, 99, "kf_pt", (FU(mm), FU(va), F8(level), FU(frame)), \
    "keyframe: a page-table page") \
  X(KF_MAP, 100, "kf_map", (FU(mm), FU(va), FU(frame), FU(prot), F8(level)), \
    "keyframe: a mapped page (prot as in map)") \
  X(KF_END, 101, "kf_end", (FU(records)), \
    "the keyframe ends: the number of its records, kf_begin and kf_end included")

enum fltr_kind {
  FLTR_K_NONE = 0,
#define X(id, num, name, fields, doc) FLTR_K_##id = num,
  FLTR_RECORDS(X)
#undef X
};

enum fltr_enc { FLTR_E_U = 1, FLTR_E_S, FLTR_E_U8, FLTR_E_U16, FLTR_E_U32, FLTR_E_U64, FLTR_E_B };
extern const char *const fltr_enc_names[FLTR_E_B + 1];   /* "u", "s", "u8", ... */

struct fltr_field { uint8_t enc; const char *name; };
struct fltr_kind_info {
  const char *name;                  /* NULL: no such kind */
  const char *doc;
  uint8_t nfields;
  struct fltr_field field[FLTR_MAX_FIELDS];
};
/* indexed by the kind's number */
extern const struct fltr_kind_info fltr_kinds[256];

/* One record.  v[i] is field i (a byte string's length for a B field,
 * whose bytes are data/len).  Reading, data points into the reader's
 * buffer until the next fltr_next. */
struct fltr_rec {
  uint8_t kind;
  uint32_t cpu;
  uint64_t v[FLTR_MAX_FIELDS];
  const uint8_t *data;
  uint32_t len;
  uint32_t size;                     /* reading: its encoded bytes */
};

/* What the header says (FORMAT.md "Header"). */
struct fltr_meta {
  const char *mode, *preset;
  uint64_t param_hash;               /* computed by the caller over the parameters */
  uint32_t cpuid_id;                 /* CPUID personality */
  const char *cpuid_name;
  const char *version;               /* faultline's version */
  uint32_t flags;                    /* FLTR_FLAG_* */
  int argc;
  const char *const *argv;           /* the recorded command line */
};

/* ---- writer (fltr_write.c) ----
 * Records are buffered into a frame; the frame is compressed and written
 * when its uncompressed size reaches the cut, at a keyframe's start and
 * end, and at close.  Frames go to the file whole as they are made, so a
 * recording that dies keeps every frame written before. */
struct fltr_writer;
struct fltr_writer_opts {
  uint32_t frame_cut;                /* 0: FLTR_FRAME_CUT (tests use small frames) */
};
/* NULL with a message in err */
struct fltr_writer *fltr_create(const char *path, const struct fltr_meta *m,
                                const struct fltr_writer_opts *o, char *err, size_t errlen);
/* Append a record produced when `icount` instructions had retired
 * (non-decreasing).  0, or -1 (fltr_writer_error). */
int fltr_put(struct fltr_writer *w, uint64_t icount, const struct fltr_rec *r);
/* A keyframe: cuts the frame, writes kf_begin; the caller puts the state
 * records; fltr_keyframe_end writes kf_end and cuts again. */
int fltr_keyframe_begin(struct fltr_writer *w, uint32_t cpu, uint64_t icount);
int fltr_keyframe_end(struct fltr_writer *w, uint32_t cpu);
/* Write the last frame, the index and the trailer; frees w.  0 or -1
 * with a message in err. */
int fltr_close(struct fltr_writer *w, uint64_t end_icount, char *err, size_t errlen);
/* Stop without an index (what a recording that dies leaves): the frames
 * written so far stay; the buffered records are lost.  Frees w. */
void fltr_abandon(struct fltr_writer *w);
const char *fltr_writer_error(const struct fltr_writer *w);

/* ---- reader (fltr_read.c) ---- */
struct fltr_frame_info {
  uint64_t offset;                   /* of its frame header in the file */
  uint32_t csize, usize, records;
  uint64_t first_icount;
  uint8_t kind;                      /* enum fltr_frame_kind */
};
struct fltr_header {
  uint16_t major, minor;
  uint32_t length, flags, cpuid_id;
  uint64_t param_hash;
  char *mode, *preset, *cpuid_name, *version;
  int argc;
  char **argv;
  /* the file's schema: what each kind number holds in this trace (a
   * newer minor may have kinds or fields this faultline does not know) */
  struct fltr_kind_info kinds[256];
};
struct fltr_reader;
/* Open a trace: reads and checks the header, the trailer and the index
 * when there is one.  NULL with a message in err ("FILE: byte N: ..."). */
struct fltr_reader *fltr_open(const char *path, char *err, size_t errlen);
/* The same over bytes in memory (not copied: keep them until close);
 * name is used in messages. */
struct fltr_reader *fltr_open_mem(const void *buf, size_t len, const char *name,
                                  char *err, size_t errlen);
void fltr_reader_close(struct fltr_reader *r);
const struct fltr_header *fltr_header(const struct fltr_reader *r);
/* The index (NULL when the trace has none: a recording that did not
 * finish; then fltr_note says so and reading is sequential). */
const struct fltr_frame_info *fltr_index(const struct fltr_reader *r, uint32_t *nframes,
                                         uint64_t *end_icount);
const char *fltr_note(const struct fltr_reader *r);   /* "" when nothing to say */
/* Next record: 1, 0 at the end, -1 on a bad trace (fltr_error).  Every
 * record of every whole frame before a damaged one is returned first. */
int fltr_next(struct fltr_reader *r, struct fltr_rec *rec);
/* The frame the last record came from, and its number from the start. */
const struct fltr_frame_info *fltr_cur_frame(const struct fltr_reader *r, uint32_t *number);
/* Position at the last keyframe at or before retired instruction
 * `icount` (or the first frame when there is none; the trace's start
 * is an empty state).  Needs the index.  0 with *at = the keyframe's
 * instruction count, or -1 (fltr_error). */
int fltr_seek(struct fltr_reader *r, uint64_t icount, uint64_t *at);
const char *fltr_error(const struct fltr_reader *r);

/* ---- shared helpers (fltr.c) ---- */
uint32_t fltr_crc32(const void *p, size_t n);
/* encode one record into out (room for FLTR_REC_MAX bytes); returns its
 * length, or 0 with a message when it does not fit its kind */
size_t fltr_rec_encode(const struct fltr_rec *r, uint8_t *out, char *err, size_t errlen);
#define FLTR_REC_MAX (1 + 5 + FLTR_MAX_FIELDS * 10 + FLTR_BYTES_MAX)
/* the header for m with this faultline's schema; malloc'd, *len set.
 * NULL with a message when it exceeds the cap. */
uint8_t *fltr_header_encode(const struct fltr_meta *m, size_t *len, char *err, size_t errlen);

#endif

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
#define FLTR_VERSION_MINOR 2               /* and accepts a newer minor (1: idle, several vCPUs; 2: pt_new how) */
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
  X(BLOCK, 1, "block", (FU(id), FU(rip), FU(pa), FU(pa2), FU(bytes), FU(cycles), FB(classes)), \
    "block table entry, written when the interpreter decodes a block (and in keyframes): its id, the guest virtual address of its first byte, the machine address of that byte and of the second page it continues on (0: none), its length in bytes, its base cycles, and one instruction class per instruction (their number is its instruction count; 0 simple, 1 mul, 2 div, 3 branch, 4 string, 5 fp, 6 fpdiv, 7 sse, 8 sys: the cpu.cost.* order)") \
  X(BB, 2, "bb", (FU(id)), \
    "the block starts executing, after the fetch of its first byte was translated; it runs to its end unless a cut follows") \
  X(CUT, 3, "cut", (FU(retired)), \
    "the block begun last stops after `retired` of its instructions: a fault or exception the guest sees, or the block's code was overwritten") \
  X(REF, 4, "ref", (FS(va), FU(sa), FU(insn)), \
    "a data reference of the guest program: its virtual address (predicted: FORMAT.md, Prediction); sa is size × 4 + access (0 load, 1 store, 2 read-modify-write); insn the index in its block of the instruction that made it") \
  X(REP, 5, "rep", (F8(op), F8(size), FU(count), FS(src), FS(dst), F8(partial), FU(insn), FU(rest)), \
    "a REP string instruction: `count` iterations of `size` bytes from src and dst (the previous rep's plus these deltas), then `partial` references of an iteration that faulted; op 0 movs, 1 stos, 2 lods, 3 cmps, 4 scas, +8 DF set (descending), +16 32-bit addresses; insn its index in its block; rest the count register's iterations left when it stopped (movs and stos: their chunks depend on it); replay makes one reference per iteration and operand") \
  X(SYS_ENTER, 16, "sys_enter", (FU(nr), F8(restart)), \
    "system call entry (x86-64 number); restart 1: the re-run of a call that blocked (no kernel entry of its own)") \
  X(SYS_EXIT, 17, "sys_exit", (FS(ret), F8(how)), \
    "system call exit: how 0 returns ret, 1 blocks (re-run on wake-up), 2 blocks with ret decided, 3 returns no value (rt_sigreturn, a successful execve)") \
  X(UCOPY, 18, "ucopy", (F8(dir), FS(va), FU(len)), \
    "the kernel reaches one user page to copy `len` bytes from (dir 0) or to (dir 1) user memory at va (predicted): through the MMU, so it can fault") \
  X(KACC, 19, "kacc", (FS(va), F8(acc)), \
    "an access the guest kernel makes through the MMU at a kernel virtual address (predicted); acc 2 write, 16 fetch, +64 a page-table entry read while descending the tables") \
  X(MM_NEW, 32, "mm_new", (FU(mm), FU(root)), \
    "a new address space: its number (never reused) and the frame of its top-level table") \
  X(MM_FREE, 33, "mm_free", (FU(mm)), \
    "an address space is torn down (its tables and frames are released by the frame records that follow)") \
  X(PT_NEW, 34, "pt_new", (FU(frame), F8(level), F8(how)), \
    "a zeroed frame becomes a page table of this level (not yet linked); how 0: announced to a paravirtualized mode, 1: plain memory of an address space not pinned yet (not announced), 2: announced when that address space is pinned (not a new table) (minor version 2)") \
  X(PTE, 35, "pte", (FS(entry), FS(val), F8(level)), \
    "the kernel stores a page-table entry: the entry's physical address and the value, rotated (both predicted), in a table of level (1 PT .. 4 PML4); +128: a plain store of a table filled whole (no charged access); +64: a direct store with no paravirtual hook (ptep_set_wrprotect's clear_bit: under xen-pv a writable-page-table trap)") \
  X(CR3, 36, "cr3", (FU(mm), FU(root)), \
    "the kernel loads address space mm (the frame of its top-level table) into CR3 (a context switch, exec); the PCID and KPTI's entry and exit switches are implied, not recorded") \
  X(INVLPG, 37, "invlpg", (FU(va)), \
    "the kernel invalidates the user translation of va (INVLPG; INVPCID of the KPTI pair too)") \
  X(TLB_FLUSH, 38, "tlb_flush", (F8(all)), \
    "the kernel flushes every user translation (flush_tlb_mm); all 2: a vCPU that kept the address space loaded while idle catches up with its changes at switch-in (--cpus: tlb.lazy_flush)") \
  X(PV_BATCH, 39, "pv_batch", (F8(begin)), \
    "the kernel enters (1) or leaves (0) lazy MMU mode around bulk page-table updates") \
  X(FRAME, 40, "frame", (F8(op), FS(frame), FS(src)), \
    "a frame event (frame and src predicted): op 0 allocated, 1 freed (its last reference dropped), 2 zeroed through the caches, 3 copied from src, 4 a 2 MiB run allocated from frame") \
  X(PC_FILL, 41, "pc_fill", (FU(file), FU(pgoff), FU(frame)), \
    "page-cache fill: page pgoff of a file (its number in the trace: 1, 2, ... by first appearance) read into frame") \
  X(RECLAIM, 42, "reclaim", (FU(file), FU(pgoff), FU(frame)), \
    "page pgoff of a file leaves the page cache (reclaim, oldest fills first, or truncation), freeing frame") \
  X(WRITEBACK, 43, "writeback", (FU(pages)), \
    "the guest waits for a synchronous writeback of this many page-cache pages (msync MS_SYNC, fsync, sync, dirty throttling): the file.writeback step") \
  X(KSTEP, 44, "kstep", (FU(step), FS(va)), \
    "a step of the guest kernel outside any fault (fork.*, exit.*, wait.*, sched.switch, a userfaultfd ioctl's uffd.copy ...) opens: its number in `faultline events` and its va; the records up to the kstep_end are its work") \
  X(KSTEP_END, 45, "kstep_end", (FU(arg), FU(units)), \
    "the step the last kstep opened closes with this arg, charged its cost parameter `units` times") \
  X(FORK, 64, "fork", (FU(tid), FU(mm), FU(flags)), \
    "the running thread creates a task (fork, vfork, clone): its tid, its address space and the clone flags") \
  X(EXEC, 65, "exec", (FU(mm), FB(path)), \
    "the running thread executes path in the new address space mm") \
  X(EXIT, 66, "exit", (FU(tid), FS(status)), \
    "a thread exits with a wait status") \
  X(SCHED, 67, "sched", (FU(tid), F8(reason)), \
    "the vCPU now runs thread tid (reason 0 the scheduler, 1 a call that works in another process's context for a moment)") \
  X(SIGNAL, 68, "signal", (F8(sig), FS(code), FU(addr), F8(action)), \
    "a signal taken by the running thread: si_code, si_addr, action 0 a handler frame, 1 ignored, 2 the default action ends it, 3 it stops the process") \
  X(ROI, 69, "roi", (F8(cmd)), \
    "a region-of-interest command (the guest's magic instruction, run --warmup-insns or --roi-symbol): 1 begin, 2 end, 3 reset, 4 dump") \
  X(IDLE, 70, "idle", (FU(tid)), \
    "--cpus: thread tid left the vCPU and nothing else runs there until its next sched (minor version 1)") \
  X(PREEMPT, 71, "preempt", (F8(on)), \
    "--cpus with smp.steal: the host preempts the vCPU for this turn (on 1), or runs it again after such a turn (on 0) (minor version 1)") \
  X(FAULT, 80, "fault", (FS(va), FU(err), F8(kind), FU(flags)), \
    "a page fault reaches the guest kernel: address (predicted), error code, what it decided (the first twelve fault kinds of `faultline events`, in order) and the PTE flags of its plan (rotated as in pte; a userfault: the message's flags)") \
  X(FAULT_END, 81, "fault_end", (F8(result), FS(frame)), \
    "the fault's outcome: result 0 resolved (the access is retried), else the signal it sends; the frame it mapped last (0: none; predicted)") \
  X(KOP, 82, "kop", (F8(op), FS(a), FU(b)), \
    "a fault-path operation of the guest kernel (a guest_ops decision, hv-models/hv.h) ends; the records since the previous one (or the fault record) are its work; op and its results a, b: FORMAT.md, Fault operations") \
  X(XFAULT, 83, "xfault", (F8(how), FU(va), FU(err)), \
    "a page fault the guest kernel sees that no recorded access made: how 0 the fetch of the next block's first byte at va, 1 the fetch of the second page of a block that starts at va, 2 the kernel faults va in itself (get_user_pages); err the error code") \
  X(KSTAT, 84, "kstat", (F8(key), FU(value)), \
    "a counter of the guest kernel at the end of the recording (FORMAT.md, Kernel counters): the stats the kernel's own decisions make, the same in every mode") \
  X(KF_BEGIN, 96, "kf_begin", (FU(icount)), \
    "a keyframe starts: the state at this retired-instruction count follows") \
  X(KF_TASK, 97, "kf_task", (FU(tid), FU(pid), FU(mm), F8(state)), \
    "keyframe: a task (state 0 running on the record's vCPU, 1 runnable, 2 blocked, 3 zombie)") \
  X(KF_MM, 98, "kf_mm", (FU(mm), FU(root)), \
    "keyframe: a live address space and the frame of its top-level table") \
  X(KF_PT, 99, "kf_pt", (FU(frame), F8(level), FU(mm)), \
    "keyframe: a page-table page of mm's user half") \
  X(KF_PTE, 100, "kf_pte", (FU(entry), FU(val)), \
    "keyframe: a present entry (or a PROT_NONE leaf) of the last kf_pt: its machine address and value (rotated as in pte)") \
  X(KF_END, 101, "kf_end", (FU(records)), \
    "the keyframe ends: the number of its records, kf_begin and kf_end included")

/* The guest kernel's fault-path operations (the decisions of struct
 * guest_ops, hv-models/hv.h), numbered for the kop record: its op field,
 * and what its results a and b hold (FORMAT.md "Fault operations"). */
#define FLTR_KOPS(X) \
  X(ENSURE_TABLES, 0, "ensure_tables", "a the leaf entry's machine address (0: none), b the tables created") \
  X(ALLOC_FRAME, 1, "alloc_frame", "a the frame's machine address (0: none)") \
  X(ZERO_FRAME, 2, "zero_frame", "") \
  X(FILE_PAGE, 3, "file_page", "a the page's machine address (0: none), b 1 a page-cache hit + 2 a device read") \
  X(FAULT_AROUND, 4, "fault_around", "b the pages mapped") \
  X(COPY_FRAME, 5, "copy_frame", "") \
  X(ZERO_PAGE, 6, "zero_page_pa", "a the zero page's machine address") \
  X(WRITE_PTE, 7, "write_pte", "") \
  X(INVLPG, 8, "invlpg", "") \
  X(RELEASE_FRAME, 9, "release_frame", "") \
  X(THP_ALLOC, 10, "thp_alloc", "a the 2 MiB run's machine address (0: none)") \
  X(THP_ZERO, 11, "thp_zero", "") \
  X(THP_MAP, 12, "thp_map", "") \
  X(PREFAULT_ANON, 13, "prefault_anon", "b the pages mapped")
enum fltr_kop {
#define X(id, num, name, doc) FLTR_KOP_##id = num,
  FLTR_KOPS(X)
#undef X
  FLTR_KOP__COUNT
};
extern const char *const fltr_kop_names[FLTR_KOP__COUNT];

/* The guest kernel's counters a kstat record holds (FORMAT.md "Kernel
 * counters"): the stats JSON keys they become. */
#define FLTR_KSTATS(X) \
  X(MINFLT, 0, "page_faults.minflt") \
  X(FAULT_AROUND_PAGES, 1, "page_faults.fault_around_pages") \
  X(THP_PAGES, 2, "page_faults.thp_pages") \
  X(SYSCALLS, 3, "syscalls.total") \
  X(UNKNOWN_SYSCALLS, 4, "syscalls.unknown") \
  X(FRAMES_USED, 5, "memory.guest_frames_used") \
  X(PT_PAGES, 6, "memory.page_table_pages") \
  X(PC_PAGES, 7, "memory.page_cache_pages") \
  X(PC_HITS, 8, "memory.page_cache_hits") \
  X(PC_MISSES, 9, "memory.page_cache_misses")
enum fltr_kstat {
#define X(id, num, key) FLTR_KSTAT_##id = num,
  FLTR_KSTATS(X)
#undef X
  FLTR_KSTAT__COUNT
};

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
/* Append `nrec` records already encoded as fltr_rec_encode encodes them
 * (the recorder encodes its frequent kinds itself), the first produced at
 * first_icount, the last at last_icount; n at most the frame cut.  The
 * frame is cut before them when they would not fit.  0, or -1. */
int fltr_put_encoded(struct fltr_writer *w, uint64_t first_icount, uint64_t last_icount,
                     const uint8_t *p, size_t n, uint32_t nrec);
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
/* For a caller's fast path over the frequent kinds (decode.c): the
 * current frame's bytes and the read position, which the caller moves past
 * each record it decodes itself (*upos += its size, ++*urec, while *urec <
 * records).  false when a frame must be loaded first (fltr_next does). */
struct fltr_cursor {
  const uint8_t *buf;
  size_t end;                        /* the frame's uncompressed size */
  size_t *upos;
  uint32_t *urec;
  uint32_t records;
};
bool fltr_cursor(struct fltr_reader *r, struct fltr_cursor *c);
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

/* Walker oracles: case generation, the blob the harness reads, and the
 * comparison of a backend's results with faultline's mmu_walk. */
#ifndef FAULTLINE_TESTS_ORACLE_H
#define FAULTLINE_TESTS_ORACLE_H
#include <stdbool.h>
#include <stdint.h>
#include "tests/oracle/oracle_abi.h"

/* What the backend's CPU model offers (from KVM_GET_SUPPORTED_CPUID, or
 * what QEMU -cpu max advertises, checked against the guest's CPUID). */
struct oracle_caps {
  bool nx, smep, smap, pku, la57, gb1;
  unsigned maxphyaddr;
};

/* One case as the host generated it (top level first in ent_*). */
struct oracle_case {
  int top, leaf;             /* 4 / 5; 1 = 4K, 2 = 2M, 3 = 1G */
  uint64_t va, cr3;
  int nent;
  uint64_t ent_pa[5], ent_val[5];
  unsigned ring3, ac, kind;  /* kind: K_READ / K_WRITE / K_FETCH */
  unsigned wp, nxe, smep, smap, pke;
  uint32_t pkru;
  unsigned focus;            /* which class the generator aimed at */
};

/* Known deviations of a backend from the SDM, allowed only in exactly
 * this shape and counted as documented differences (docs/oracles.md). */
struct oracle_quirks {
  bool rsvd_without_p;       /* reserved-bit #PF error code lacks P (SDM 4.7:
                                RSVD can be set only if P is set) */
  bool a_in_1g_leaf_on_fault;  /* A set in a 1 GiB leaf PDPTE by a walk that
                                  then fails its permission checks */
};

struct oracle_run {
  const char *backend;       /* "kvm", "qemu-tcg" */
  struct oracle_quirks quirks;
  struct oracle_caps caps;
  unsigned ncases;
  unsigned avoid_top_lo, avoid_top_hi;   /* top-level slots the backend reserves */
  unsigned force_top;        /* FL_ORACLE_TOP_SLOT: all cases in this slot */
  struct oracle_case *cases;
  uint8_t *pristine;         /* copy of guest memory [BLOB_BASE, blob_end) */
  uint64_t blob_end;
};

/* Settings from the environment: FL_ORACLE_CASES (number of cases),
 * FL_ORACLE_TOP_SLOT (put every case in one top-level slot). */
void oracle_env(struct oracle_run *run);
/* Build the blob (header, harness tables, case table, per-case page tables)
 * in guest memory whose guest-physical 0 is at `guest`.  0 on success. */
int oracle_build(struct oracle_run *run, uint8_t *guest, uint64_t seed, uint64_t hdr_flags);
/* Check the header the harness wrote (done, no harness fault, CPUID as
 * assumed); prints a message and returns false when the run is unusable. */
bool oracle_header_ok(const struct oracle_run *run, const uint8_t *hdr);
/* Compare the results with mmu_walk (walk.a_on_fault = a_on_fault; the other
 * setting is run too and its extra disagreements counted as the documented
 * difference).  Prints the summary.  Returns the process exit status. */
int oracle_compare(struct oracle_run *run, const uint8_t *results, unsigned a_on_fault);
void oracle_free(struct oracle_run *run);
#endif

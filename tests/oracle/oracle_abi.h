/* The contract between the bare-metal harness (harness.S) and the host
 * drivers (oracle_kvm.c, oracle_qemu.c): fixed guest-physical addresses and
 * the layout of the case and result records.  Included from assembly too,
 * so only #defines here; the C structs are in oracle.h. */
#ifndef FAULTLINE_TESTS_ORACLE_ABI_H
#define FAULTLINE_TESTS_ORACLE_ABI_H

/* Guest-physical layout (identity-mapped by the harness's own tables):
 *   0x100000  harness image (multiboot header first, 64-bit entry at +0x40)
 *   0x110000  the one user page of the image (ring-3 access stubs)
 *   0x200000  target area, 2 MiB of "div %bl" (f6 f3) at even addresses:
 *             every translated access lands on an even address; with
 *             %bl = 0 a fetch there raises #DE, so a #DE means "no fault"
 *   0x400000  blob written by the host: header, harness tables, case table,
 *             results, the page tables of every case
 * Guest RAM is ORACLE_RAM bytes from 0. */
#define ORACLE_RAM        0x8000000      /* 128 MiB */
#define HARNESS_BASE      0x100000
#define HARNESS_ENTRY64   0x100040
#define HARNESS_USER_PAGE 0x110000
#define TARGET_BASE       0x200000
#define TARGET_SIZE       0x200000
#define BLOB_BASE         0x400000

/* blob header (at BLOB_BASE), u64 fields */
#define HDR_MAGIC        0x00   /* ORACLE_MAGIC */
#define HDR_NCASES       0x08
#define HDR_FLAGS        0x10   /* HF_* */
#define HDR_BOOT_CR3_4   0x18   /* harness tables, 4-level root */
#define HDR_BOOT_CR3_5   0x20   /* harness tables, 5-level root */
#define HDR_CASES        0x28   /* guest-physical address of the case table */
#define HDR_RESULTS      0x30   /* ... of the result table */
#define HDR_STATUS       0x38   /* written by the harness: ORACLE_DONE */
#define HDR_CPUID7_EBX   0x40   /* written by the harness */
#define HDR_CPUID7_ECX   0x48
#define HDR_CPUID_X1_EDX 0x50   /* CPUID 0x80000001 EDX */
#define HDR_CPUID_X8_EAX 0x58   /* CPUID 0x80000008 EAX (MAXPHYADDR in 7:0) */
#define HDR_BAD_VECTOR   0x60   /* a fault inside the harness itself */
#define HDR_BAD_RIP      0x68
#define HDR_SIZE         0x1000
#define ORACLE_MAGIC     0x4f52434c45303031   /* "ORCLE001" */
#define ORACLE_DONE      0x444f4e45           /* "DONE" */
#define HF_DEBUGCON      1      /* dump header + results through port 0xE9 */

/* case record: u64 fields */
#define C_CR3      0x00
#define C_VA       0x08
#define C_CR0_WP   0x10   /* 0 / 1 */
#define C_CR4      0x18   /* extra CR4 bits: SMEP / SMAP / PKE */
#define C_NXE      0x20   /* 0 / 1 */
#define C_PKRU     0x28
#define C_FLAGS    0x30   /* CF_* */
#define C_KIND     0x38   /* K_* */
#define C_NENT     0x40   /* entries to report (<= 5) */
#define C_ENT      0x48   /* 5 guest-physical entry addresses */
#define CASE_SIZE  0x80
#define CF_RING3   1
#define CF_AC      2      /* RFLAGS.AC during the access */
#define CF_LA57    4      /* 5-level paging */
#define K_READ     0
#define K_WRITE    1
#define K_FETCH    2

/* result record */
#define R_VECTOR   0x00   /* 14 = #PF; 0 = #DE: the access completed */
#define R_ERRCODE  0x08
#define R_CR2      0x10
#define R_RIP      0x18
#define R_ENT      0x20   /* 5 entry values read after the access */
#define RESULT_SIZE 0x50

#define PORT_DEBUGCON 0xe9
#define PORT_EXIT     0xf4   /* isa-debug-exit (QEMU); KVM: an I/O exit */

/* GDT selectors */
#define SEL_KCODE64 0x08
#define SEL_KDATA   0x10
#define SEL_UDATA   0x18
#define SEL_UCODE64 0x20
#define SEL_TSS     0x28
#define SEL_KCODE32 0x38
#endif

/* Bare-metal walker-oracle harness: one flat image for both backends.
 *
 *  - QEMU (-kernel, Multiboot 1 with the a.out-kludge load addresses, so a
 *    flat binary is accepted): entry32, flat 32-bit protected mode with
 *    paging off; it enables PAE + EFER.LME + CR0.PG itself (SDM Vol. 3A
 *    10.8.5 "Initializing IA-32e Mode") and far-jumps to start64.
 *  - KVM: the vCPU is put straight into 64-bit mode at entry64 (+0x40) with
 *    the blob's boot tables in CR3.
 *
 * start64 loads its GDT, a 64-bit TSS (RSP0 and IST1, SDM 8.7) and an IDT
 * whose gates all use IST1, fills the target area with "div %bl", reports
 * CPUID, then runs every case of the table the host wrote at BLOB_BASE:
 * load EFER.NXE / CR4 / CR0.WP / CR3 / PKRU, enter ring 0 (RFLAGS.AC as
 * asked) or ring 3 (iretq), do ONE access through a stub, and take the trap
 * that follows: #PF (the walk failed) or #DE (the stub's "div %bl" after a
 * data access, or the one the fetched target bytes hold: the access
 * succeeded).  The trap handler records vector, error code, CR2 and RIP,
 * discards the trap frame and returns to the loop, which then copies the
 * paging entries the host asked about (their A/D bits after the access).  The end: an optional dump of header + results
 * to the debug console (port 0xE9), then an OUT to PORT_EXIT. */
#include "oracle_abi.h"

#define O(x) ((x) - HARNESS_BASE)
/* fixed addresses inside the image (offsets from HARNESS_BASE) */
#define STACK_TOP   (HARNESS_BASE + 0x13000)   /* main stack 0x11000..0x13000 */
#define IST_TOP     (HARNESS_BASE + 0x15000)   /* IST1 0x13000..0x15000 */
#define RSP0_TOP    (HARNESS_BASE + 0x16000)   /* RSP0 0x15000..0x16000 */
#define IDT_ADDR    (HARNESS_BASE + 0x16000)
#define GDT_ADDR    (HARNESS_BASE + 0x17000)
#define TSS_ADDR    (HARNESS_BASE + 0x17100)
#define VARS_ADDR   (HARNESS_BASE + 0x17200)
#define IMAGE_END   (HARNESS_BASE + 0x18000)
#define V_SAVED_RSP (VARS_ADDR + 0x00)
#define V_CUR_RES   (VARS_ADDR + 0x08)
#define V_IN_CASE   (VARS_ADDR + 0x10)
#define V_LA57      (VARS_ADDR + 0x18)
#define HDR(f)      (BLOB_BASE + (f))

#define CR4_PAE  0x20
#define CR4_LA57 0x1000
#define CR4_PKE  0x400000
#define MSR_EFER 0xc0000080
#define RFL_AC   0x40000

        .text
        .code32
        .globl _start
_start:
        /* Multiboot 1 header (spec 3.1.1): magic, flags (bit 16: use the
         * address fields below), checksum, header/load/load_end/bss_end/entry */
        .long 0x1BADB002
        .long 0x00010000
        .long -(0x1BADB002 + 0x00010000)
        .long HARNESS_BASE
        .long HARNESS_BASE
        .long IMAGE_END
        .long IMAGE_END
        .long entry32

        .org O(HARNESS_ENTRY64)
        .code64
entry64:
        jmp start64

        .code32
entry32:
        cli
        lgdt gdtr                       /* 32-bit lgdt reads limit + base[31:0] */
        mov HDR(HDR_BOOT_CR3_4), %eax
        mov %eax, %cr3
        mov $CR4_PAE, %eax
        mov %eax, %cr4
        mov $MSR_EFER, %ecx
        rdmsr
        or $0x100, %eax                 /* EFER.LME */
        wrmsr
        mov $0x80000011, %eax           /* PG | ET | PE: activates IA-32e mode */
        mov %eax, %cr0
        ljmp $SEL_KCODE64, $start64

        .code64
start64:
        mov $STACK_TOP, %rsp
        lgdt gdtr
        pushq $SEL_KCODE64
        lea 1f(%rip), %rax
        push %rax
        lretq
1:      mov $SEL_KDATA, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov %ax, %fs
        mov %ax, %gs
        mov $SEL_TSS, %ax
        ltr %ax
        /* IDT: 32 interrupt gates on IST1 (SDM 6.14.1, 6.14.5); #BP is
         * DPL 3 (unused by the cases; an int3 left in ring 3 while
         * debugging is then a #BP, not a #GP) */
        mov $IDT_ADDR, %rdi
        lea trap_entries(%rip), %rsi
        xor %ecx, %ecx
2:      mov %rsi, %rax
        mov %ax, (%rdi)
        movw $SEL_KCODE64, 2(%rdi)
        movb $1, 4(%rdi)
        movb $0x8e, 5(%rdi)
        cmp $3, %ecx
        jne 3f
        movb $0xee, 5(%rdi)
3:      shr $16, %rax
        mov %ax, 6(%rdi)
        shr $16, %rax
        mov %eax, 8(%rdi)
        movl $0, 12(%rdi)
        add $16, %rdi
        add $16, %rsi
        inc %ecx
        cmp $32, %ecx
        jb 2b
        lidt idtr
        /* the target area: "div %bl" (f6 f3) at every even address; the
         * host only uses even addresses, so a fetch there raises #DE */
        cld
        mov $TARGET_BASE, %rdi
        mov $TARGET_SIZE / 2, %rcx
        mov $0xf3f6, %ax
        rep stosw
        /* CPUID for the host: leaf 7 (SMEP SMAP PKU LA57), 0x80000001 (NX,
         * 1G pages), 0x80000008 (MAXPHYADDR) */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        mov %ebx, HDR(HDR_CPUID7_EBX)
        mov %ecx, HDR(HDR_CPUID7_ECX)
        mov $0x80000001, %eax
        cpuid
        mov %edx, HDR(HDR_CPUID_X1_EDX)
        mov $0x80000008, %eax
        cpuid
        mov %eax, HDR(HDR_CPUID_X8_EAX)
        movq $0, V_LA57
        movb $0, V_IN_CASE
        xor %r12, %r12
        mov HDR(HDR_CASES), %r13
        mov HDR(HDR_RESULTS), %r14
        mov HDR(HDR_NCASES), %r15

case_loop:
        cmp %r15, %r12
        jae finish
        /* 4- or 5-level paging: CR4.LA57 can change only with paging off */
        mov C_FLAGS(%r13), %rax
        shr $2, %rax
        and $1, %rax
        cmp V_LA57, %rax
        je 1f
        mov %rax, V_LA57
        mov %eax, %edi
        call switch_paging_mode
1:      /* EFER.NXE */
        mov $MSR_EFER, %ecx
        rdmsr
        and $~0x800, %eax
        cmpq $0, C_NXE(%r13)
        je 2f
        or $0x800, %eax
2:      wrmsr
        /* CR4: PAE, LA57 of the mode, the case's SMEP / SMAP / PKE */
        mov $CR4_PAE, %rax
        cmpq $0, V_LA57
        je 3f
        or $CR4_LA57, %rax
3:      or C_CR4(%r13), %rax
        mov %rax, %cr4
        /* CR0.WP */
        mov %cr0, %rax
        and $~0x10000, %rax
        cmpq $0, C_CR0_WP(%r13)
        je 4f
        or $0x10000, %rax
4:      mov %rax, %cr0
        /* CR3 last: the case's tables; the load flushes every non-global
         * translation and paging-structure cache entry (SDM 4.10.4.1) */
        mov C_CR3(%r13), %rax
        mov %rax, %cr3
        testq $CR4_PKE, C_CR4(%r13)
        jz 5f
        mov C_PKRU(%r13), %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
5:      mov %r14, V_CUR_RES
        movq $0xff, R_VECTOR(%r14)
        mov %rsp, V_SAVED_RSP
        mov C_KIND(%r13), %rcx
        shl $4, %rcx
        mov C_VA(%r13), %rax
        testq $CF_RING3, C_FLAGS(%r13)
        jnz 7f
        /* ring 0: RFLAGS.AC decides SMAP for explicit accesses (SDM 4.6.1) */
        lea sup_stubs(%rip), %rdx
        add %rcx, %rdx
        mov $2, %r8
        testq $CF_AC, C_FLAGS(%r13)
        jz 6f
        or $RFL_AC, %r8
6:      movb $1, V_IN_CASE
        xor %ebx, %ebx
        push %r8
        popfq
        jmp *%rdx
7:      /* ring 3 through iretq: SS, RSP, RFLAGS, CS, RIP (SDM 6.14.3) */
        mov $HARNESS_USER_PAGE, %rdx
        add %rcx, %rdx
        mov $2, %r8
        testq $CF_AC, C_FLAGS(%r13)
        jz 8f
        or $RFL_AC, %r8
8:      pushq $(SEL_UDATA | 3)
        pushq $(HARNESS_USER_PAGE + 0x1000)
        push %r8
        pushq $(SEL_UCODE64 | 3)
        push %rdx
        movb $1, V_IN_CASE
        xor %ebx, %ebx
        iretq

after_access:
        /* back at CPL 0 with AC = 0: copy the entries the host asked about */
        mov C_NENT(%r13), %rcx
        xor %rbx, %rbx
1:      cmp %rcx, %rbx
        jae 2f
        mov C_ENT(%r13, %rbx, 8), %rax
        mov (%rax), %rax
        mov %rax, R_ENT(%r14, %rbx, 8)
        inc %rbx
        jmp 1b
2:      add $CASE_SIZE, %r13
        add $RESULT_SIZE, %r14
        inc %r12
        jmp case_loop

finish:
        movq $ORACLE_DONE, HDR(HDR_STATUS)
        testq $HF_DEBUGCON, HDR(HDR_FLAGS)
        jz 1f
        mov $PORT_DEBUGCON, %dx
        mov $BLOB_BASE, %rsi
        mov $HDR_SIZE, %rcx
        rep outsb
        mov HDR(HDR_RESULTS), %rsi
        mov HDR(HDR_NCASES), %rcx
        imul $RESULT_SIZE, %rcx
        rep outsb
1:      mov $PORT_EXIT, %dx
        xor %eax, %eax
        outb %al, %dx
2:      hlt
        jmp 2b

/* 64-bit -> compat mode -> paging off -> CR4.LA57 = %edi -> paging on with
 * the boot tables of that mode -> 64-bit (SDM 10.8.5.4: IA-32e mode is left
 * by clearing CR0.PG from compatibility mode). */
switch_paging_mode:
        pushq $SEL_KCODE32
        lea 1f(%rip), %rax
        push %rax
        lretq
        .code32
1:      mov %cr0, %eax
        and $0x7fffffff, %eax
        mov %eax, %cr0
        mov $CR4_PAE, %eax
        test %edi, %edi
        jz 2f
        or $CR4_LA57, %eax
2:      mov %eax, %cr4
        mov HDR(HDR_BOOT_CR3_4), %eax
        test %edi, %edi
        jz 3f
        mov HDR(HDR_BOOT_CR3_5), %eax
3:      mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0
        ljmp $SEL_KCODE64, $4f
        .code64
4:      ret

/* Trap entries, 16 bytes apart: a dummy error code where the CPU pushes
 * none (SDM Table 6-1), then the vector. */
        .balign 16
trap_entries:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .balign 16
        .if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
        .else
        pushq $0
        .endif
        pushq $\v
        jmp common_trap
        .endr

common_trap:
        cmpb $0, V_IN_CASE
        je harness_fault
        movb $0, V_IN_CASE
        mov V_CUR_RES, %rdi
        pop %rax
        mov %rax, R_VECTOR(%rdi)
        pop %rax
        mov %rax, R_ERRCODE(%rdi)
        mov %cr2, %rax
        mov %rax, R_CR2(%rdi)
        pop %rax
        mov %rax, R_RIP(%rdi)
        mov V_SAVED_RSP, %rsp
        pushq $2                        /* AC = 0, IF = 0 */
        popfq
        jmp after_access
harness_fault:
        /* a trap outside a case access: a harness or setup bug; report it */
        pop %rax
        mov %rax, HDR(HDR_BAD_VECTOR)
        mov 8(%rsp), %rax
        mov %rax, HDR(HDR_BAD_RIP)
        mov $STACK_TOP, %rsp
        jmp finish

/* Access stubs, 16 bytes apart, indexed by K_READ / K_WRITE / K_FETCH;
 * %rax = the linear address, %bl = 0.  A data access that completes is
 * followed by "div %bl", a #DE, rather than int3: a software-virtualized
 * KVM (kvm_pvm) may emulate the access and the instructions after it, and
 * KVM's instruction emulator cannot deliver a software interrupt in long
 * mode (it stops with an internal error) while it does raise #DE; SYSCALL,
 * tried too, does not leave CPL 3 under kvm_pvm.  The supervisor copy lives in supervisor
 * pages (SMEP), the user copy in the image's one user page. */
        .balign 16
sup_stubs:
        movb (%rax), %cl
        div %bl
        .balign 16
        movb $0xf6, (%rax)
        div %bl
        .balign 16
        jmp *%rax

        .org O(HARNESS_USER_PAGE)
user_stubs:
        movb (%rax), %cl
        div %bl
        .balign 16
        movb $0xf6, (%rax)
        div %bl
        .balign 16
        jmp *%rax

        .org O(GDT_ADDR)
gdt:    .quad 0
        .quad 0x00af9a000000ffff        /* 0x08 code, 64-bit, DPL 0 */
        .quad 0x00cf92000000ffff        /* 0x10 data, DPL 0 */
        .quad 0x00cff2000000ffff        /* 0x18 data, DPL 3 */
        .quad 0x00affa000000ffff        /* 0x20 code, 64-bit, DPL 3 */
        /* 0x28 64-bit TSS descriptor, 16 bytes (SDM 8.2.3) */
        .word 0x67
        .word TSS_ADDR & 0xffff
        .byte (TSS_ADDR >> 16) & 0xff
        .byte 0x89
        .byte 0
        .byte (TSS_ADDR >> 24) & 0xff
        .long 0
        .long 0
        .quad 0x00cf9a000000ffff        /* 0x38 code, 32-bit, DPL 0 */
gdt_end:
gdtr:   .word gdt_end - gdt - 1
        .quad GDT_ADDR
idtr:   .word 32 * 16 - 1
        .quad IDT_ADDR

        .org O(TSS_ADDR)
        /* 64-bit TSS (SDM Figure 8-11) */
        .long 0
        .quad RSP0_TOP                  /* RSP0 */
        .quad 0, 0                      /* RSP1, RSP2 */
        .quad 0
        .quad IST_TOP                   /* IST1 */
        .quad 0, 0, 0, 0, 0, 0
        .quad 0
        .word 0
        .word 0x68                      /* no I/O permission bitmap */

        .org O(IMAGE_END)

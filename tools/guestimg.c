/* The built-in programs of `faultline explain` and `faultline quiz`
 * (quiz.h), and of calibrate's held-out fork (calibrate.h): written by
 * faultline itself, so they are the same everywhere. */
#include "tools/quiz.h"
#include "tools/calibrate.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The built-in program: a static ELF64 with one PT_LOAD (its header and
 * its code) at 0x400000.  Its code (x86-64):
 *   mmap(0, 3 pages, RW, MAP_PRIVATE|MAP_ANONYMOUS)   -> rbx
 *   mov byte [rbx], 1            anon_new
 *   mov al, [rbx + 4096]         anon_zero_page
 *   fork; the child: mov byte [rbx], 2 (cow); exit(0)
 *   wait4(-1, 0, 0, 0); mov byte [rbx], 3 (write_upgrade); exit_group(0) */
static const unsigned char guest_code[] = {
  0xb8, 0x09, 0x00, 0x00, 0x00,             /* mov eax, 9 (mmap) */
  0x31, 0xff,                               /* xor edi, edi */
  0xbe, 0x00, 0x30, 0x00, 0x00,             /* mov esi, 0x3000 */
  0xba, 0x03, 0x00, 0x00, 0x00,             /* mov edx, 3 (PROT_READ|PROT_WRITE) */
  0x41, 0xba, 0x22, 0x00, 0x00, 0x00,       /* mov r10d, 0x22 (MAP_PRIVATE|MAP_ANONYMOUS) */
  0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, /* mov r8, -1 */
  0x45, 0x31, 0xc9,                         /* xor r9d, r9d */
  0x0f, 0x05,                               /* syscall */
  0x48, 0x89, 0xc3,                         /* mov rbx, rax */
  0xc6, 0x03, 0x01,                         /* mov byte [rbx], 1 */
  0x8a, 0x83, 0x00, 0x10, 0x00, 0x00,       /* mov al, [rbx + 0x1000] */
  0xb8, 0x39, 0x00, 0x00, 0x00,             /* mov eax, 57 (fork) */
  0x0f, 0x05,                               /* syscall */
  0x85, 0xc0,                               /* test eax, eax */
  0x75, 0x0c,                               /* jnz parent */
  0xc6, 0x03, 0x02,                         /* mov byte [rbx], 2 */
  0xb8, 0x3c, 0x00, 0x00, 0x00,             /* mov eax, 60 (exit) */
  0x31, 0xff,                               /* xor edi, edi */
  0x0f, 0x05,                               /* syscall */
  0xbf, 0xff, 0xff, 0xff, 0xff,             /* parent: mov edi, -1 */
  0x31, 0xf6,                               /* xor esi, esi */
  0x31, 0xd2,                               /* xor edx, edx */
  0x45, 0x31, 0xd2,                         /* xor r10d, r10d */
  0xb8, 0x3d, 0x00, 0x00, 0x00,             /* mov eax, 61 (wait4) */
  0x0f, 0x05,                               /* syscall */
  0xc6, 0x03, 0x03,                         /* mov byte [rbx], 3 */
  0xb8, 0xe7, 0x00, 0x00, 0x00,             /* mov eax, 231 (exit_group) */
  0x31, 0xff,                               /* xor edi, edi */
  0x0f, 0x05,                               /* syscall */
};

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* The held-out measurement of `faultline calibrate` (calibrate.h): n
 * times, a fork whose child exits at once and the parent's wait4, timed
 * by lfence-rdtsc-lfence on each side and written to stdout (8 bytes,
 * outside the timing), each inside a region of interest
 * (tools/faultline_roi.h: a NOP natively).  The process maps only this
 * page and its stack: a tiny static child.
 *   mov r12d, n
 *   loop: ROI_BEGIN; t0 = rdtsc; fork; child: exit(0)
 *         wait4(pid, 0, 0, 0); rax = rdtsc - t0; ROI_END
 *         push rax; write(1, rsp, 8); pop rax; dec r12d; jnz loop
 *   exit_group(0) */
static const unsigned char forkwait_code[] = {
  0x41, 0xbc, 0x00, 0x00, 0x00, 0x00,       /* mov r12d, n (patched) */
  0x0f, 0x1f, 0x80, 0x01, 0x00, 0x4c, 0x46, /* loop: FAULTLINE_ROI_BEGIN */
  0x0f, 0xae, 0xe8, 0x0f, 0x31, 0x0f, 0xae, 0xe8,   /* lfence; rdtsc; lfence */
  0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, /* shl rdx, 32; or rax, rdx */
  0x49, 0x89, 0xc5,                         /* mov r13, rax */
  0xb8, 0x39, 0x00, 0x00, 0x00, 0x0f, 0x05, /* fork */
  0x85, 0xc0, 0x74, 0x4d,                   /* test eax, eax; jz child */
  0x89, 0xc7, 0x31, 0xf6, 0x31, 0xd2, 0x45, 0x31, 0xd2,   /* edi = pid; esi, edx, r10d = 0 */
  0xb8, 0x3d, 0x00, 0x00, 0x00, 0x0f, 0x05, /* wait4 */
  0x0f, 0xae, 0xe8, 0x0f, 0x31, 0x0f, 0xae, 0xe8,   /* lfence; rdtsc; lfence */
  0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, /* shl rdx, 32; or rax, rdx */
  0x4c, 0x29, 0xe8,                         /* sub rax, r13 */
  0x0f, 0x1f, 0x80, 0x02, 0x00, 0x4c, 0x46, /* FAULTLINE_ROI_END */
  0x50,                                     /* push rax */
  0xb8, 0x01, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00, 0x00,   /* write(1, */
  0x48, 0x89, 0xe6, 0xba, 0x08, 0x00, 0x00, 0x00, 0x0f, 0x05,   /*   rsp, 8) */
  0x58, 0x41, 0xff, 0xcc, 0x75, 0x98,       /* pop rax; dec r12d; jnz loop */
  0xb8, 0xe7, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05,   /* exit_group(0) */
  0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05,   /* child: exit(0) */
};

static int elf_write(char *path, const unsigned char *code, size_t len);

int builtin_guest_write(char *path) { return elf_write(path, guest_code, sizeof guest_code); }

int cal_forkwait_write(char *path, uint32_t n) {
  unsigned char code[sizeof forkwait_code];
  memcpy(code, forkwait_code, sizeof code);
  put32(code + 2, n);
  return elf_write(path, code, sizeof code);
}

static int elf_write(char *path, const unsigned char *code_bytes, size_t len) {
  unsigned char img[64 + 56 + 256] = {0};
  if (len > 256) return -1;
  size_t size = 64 + 56 + len;
  const uint64_t base = 0x400000, code = 64 + 56;
  memcpy(img, "\177ELF", 4);
  img[4] = 2;            /* ELFCLASS64 */
  img[5] = 1;            /* little endian */
  img[6] = 1;            /* EV_CURRENT */
  put16(img + 16, 2);    /* ET_EXEC */
  put16(img + 18, 62);   /* EM_X86_64 */
  put32(img + 20, 1);
  put64(img + 24, base + code);   /* e_entry */
  put64(img + 32, 64);            /* e_phoff */
  put16(img + 52, 64);            /* e_ehsize */
  put16(img + 54, 56);            /* e_phentsize */
  put16(img + 56, 1);             /* e_phnum */
  unsigned char *ph = img + 64;
  put32(ph, 1);                   /* PT_LOAD */
  put32(ph + 4, 5);               /* PF_R | PF_X */
  put64(ph + 16, base);           /* p_vaddr */
  put64(ph + 24, base);
  put64(ph + 32, size);           /* p_filesz */
  put64(ph + 40, size);           /* p_memsz */
  put64(ph + 48, 0x1000);
  memcpy(img + code, code_bytes, len);
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  bool ok = write(fd, img, size) == (ssize_t)size && !fchmod(fd, 0755);
  close(fd);
  if (!ok) unlink(path);
  return ok ? 0 : -1;
}


/* Decoder entry points (internal to cpu-x86). */
#ifndef FAULTLINE_CPU_X86_DECODE_H
#define FAULTLINE_CPU_X86_DECODE_H
#include "cpu-x86/interp.h"
enum { DEC_OK = 1, DEC_OK_END = 2, DEC_UD = -1, DEC_MORE = -2, DEC_TOOLONG = -3 };
void decode_init(void);
/* Returns DEC_OK / DEC_OK_END (i->len set), DEC_UD (i->fn raises #UD,
 * i->len best effort), DEC_MORE (bytes past avail needed), DEC_TOOLONG. */
int decode_one(const uint8_t *buf, int avail, uint64_t rip, insn_t *i);
insn_fn decode_ud_handler(void);
insn_fn decode_gp_handler(void);
#endif

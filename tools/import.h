/* Importing other tools' memory traces (tools/import.c): the parsers
 * `faultline import` and the fuzz target share. */
#ifndef FAULTLINE_TOOLS_IMPORT_H
#define FAULTLINE_TOOLS_IMPORT_H
#include "traces/recorder.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct import_counts { uint64_t insns, refs; size_t distinct_ips; };
/* Read FORMAT ("lackey" or "champsim") from in into rec, whose records are
 * stamped with *icount (the counter recorder_open was given; advanced here).
 * 0, or -1 with a message naming the input and the line or record. */
int import_stream(struct recorder *rec, uint64_t *icount, const char *fmt, FILE *in, const char *name,
                  struct import_counts *counts, char *err, size_t errlen);
#endif

/* What fltr.c shares with the writer and the reader only. */
#ifndef FAULTLINE_TRACES_FLTR_INTERNAL_H
#define FAULTLINE_TRACES_FLTR_INTERNAL_H
#include "traces/fltr.h"

void fltr_le_put(uint8_t *o, uint64_t v, int n);
uint64_t fltr_le_get(const uint8_t *p, int n);
/* FORMAT.md "Frame header" and "Index" */
void fltr_frame_header_encode(uint8_t out[FLTR_FRAME_HEADER], const struct fltr_frame_info *f);
void fltr_index_entry_encode(uint8_t out[FLTR_INDEX_ENTRY], const struct fltr_frame_info *f);

#endif

/* faultline_roi.h: regions of interest for programs run under faultline
 * (`faultline run`; gem5's m5_work_begin/end, Simics' magic instruction).
 * Each macro is one NOP on every x86-64 CPU -- `nopl 0x464c00NN(%rax)`,
 * bytes 0F 1F 80 NN 00 4C 46 -- so the program runs unchanged natively;
 * under faultline the stats JSON then has a "region" object: the counts of
 * the instructions between each FAULTLINE_ROI_BEGIN and FAULTLINE_ROI_END,
 * summed.  Copy this header into your program's tree (it is the whole
 * interface; public domain). */
#ifndef FAULTLINE_ROI_H
#define FAULTLINE_ROI_H

#define FAULTLINE_MAGIC_(n) __asm__ volatile("nopl 0x464c00" #n "(%%rax)" ::: "memory")

/* the region starts here (a begin inside a region is ignored) */
#define FAULTLINE_ROI_BEGIN() FAULTLINE_MAGIC_(01)
/* it ends here: its counts are added to the region's */
#define FAULTLINE_ROI_END() FAULTLINE_MAGIC_(02)
/* the region's counts start again from zero (an open region restarts here) */
#define FAULTLINE_ROI_RESET() FAULTLINE_MAGIC_(03)
/* the whole run's stats so far are written to STATS.dumpN (run --stats STATS) */
#define FAULTLINE_ROI_DUMP() FAULTLINE_MAGIC_(04)

#endif

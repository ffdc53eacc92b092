/* The SDL2 live view of `faultline run --view` (tools/view.c; built when
 * SDL2 and SDL2_ttf are found: FAULTLINE_HAVE_SDL). */
#ifndef FAULTLINE_TOOLS_VIEW_H
#define FAULTLINE_TOOLS_VIEW_H
#include <stdbool.h>
#include <stddef.h>
#include "sim/sim.h"

struct view;
/* a window (window) and/or frames recorded into record_dir (every
 * record_every-th); NULL with a message in err */
struct view *view_open(const char *mode, const char *record_dir, unsigned record_every, bool window, char *err,
                       size_t errlen);
/* the observer a run reports to: a frame every `every` retired instructions */
void view_observer(struct view *v, struct sim_observer *o, uint64_t every);
unsigned view_frames(const struct view *v);
void view_close(struct view *v);
#endif

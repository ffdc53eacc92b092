/* The parameter registry (sim/params.c): every name of every layer's table
 * is found, through params_get and through the hv-models' lookup pointer;
 * a name defined by two tables is detected; an unknown name stops the
 * process with an internal error (exit 125), never a silent 0. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/sim.h"
#include "hv-models/hv.h"

Test(params, every_registered_name_found) {
  struct param_reg *r = params_new();
  /* the modes look parameters up through this pointer at their init */
  struct hv h = {.param = params_get, .param_reg = r};
  int n = 0;
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++, n++) {
      const struct fl_param_def *d = &params_tables[t][i];
      cr_assert_eq(params_get(r, d->name), d->def, "%s", d->name);
      cr_assert_eq(h.param(h.param_reg, d->name), d->def, "%s", d->name);
    }
  cr_assert_gt(n, 100, "only %d parameters registered", n);
  params_free(r);
}

Test(params, set_value_is_what_lookup_returns) {
  struct param_reg *r = params_new();
  char err[256];
  cr_assert_eq(params_set(r, "guest.fault_around_bytes = 16384", err, sizeof err), 0, "%s", err);
  cr_assert_eq(params_get(r, "guest.fault_around_bytes"), 16384);
  params_free(r);
}

static const struct fl_param_def tab_a[] = {
  {"t.one", 1, "x", "", ""}, {"t.two", 2, "x", "", ""}, {NULL, 0, NULL, NULL, NULL}};
static const struct fl_param_def tab_b[] = {
  {"t.three", 3, "x", "", ""}, {"t.two", 4, "x", "", ""}, {NULL, 0, NULL, NULL, NULL}};
static const struct fl_param_def tab_self[] = {
  {"t.four", 1, "x", "", ""}, {"t.five", 1, "x", "", ""}, {"t.four", 2, "x", "", ""},
  {NULL, 0, NULL, NULL, NULL}};
static const struct fl_param_def tab_empty[] = {{NULL, 0, NULL, NULL, NULL}};

Test(params, duplicates_detected) {
  cr_assert_null(params_find_duplicate(params_tables), "%s", params_find_duplicate(params_tables));
  const struct fl_param_def *const ok[] = {tab_a, tab_empty, tab_self + 1, NULL};
  cr_assert_null(params_find_duplicate(ok));
  const struct fl_param_def *const none[] = {NULL};
  cr_assert_null(params_find_duplicate(none));
  /* across two tables, and within one */
  const struct fl_param_def *const across[] = {tab_a, tab_empty, tab_b, NULL};
  cr_assert_str_eq(params_find_duplicate(across), "t.two");
  const struct fl_param_def *const within[] = {tab_a, tab_self, NULL};
  cr_assert_str_eq(params_find_duplicate(within), "t.four");
  /* one of the real tables listed twice */
  const struct fl_param_def *const twice[] = {params_tables[0], params_tables[1], params_tables[0], NULL};
  cr_assert_str_eq(params_find_duplicate(twice), params_tables[0][0].name);
}

Test(params, unknown_name_is_internal_error) {
  struct param_reg *r = params_new();
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    params_get(r, "guest.zero_pgae");
    _exit(0);   /* not reached when the lookup stops the process */
  }
  close(fds[1]);
  char buf[512];
  size_t len = 0;
  ssize_t got;
  while (len < sizeof buf - 1 && (got = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)got;
  buf[len] = 0;
  close(fds[0]);
  int st = 0;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 125, "status %#x, stderr: %s", st, buf);
  /* the line itself; under ASan the child's exit may add LeakSanitizer's
   * account of the registry it never freed (it stopped on purpose) */
  char *nl = strchr(buf, '\n');
  if (nl) nl[1] = 0;
  cr_assert_str_eq(buf, "faultline: internal error: unknown parameter 'guest.zero_pgae'\n");
  params_free(r);
}

/* The mode registry: `--mode NAME` and `faultline compare` iterate it. */
#include "hv-models/hv.h"
#include <string.h>

extern const struct hv_mode hv_mode_native, hv_mode_vkernel, hv_mode_xen_pv, hv_mode_hvm_shadow, hv_mode_hvm_nested,
    hv_mode_exokernel, hv_mode_spin, hv_mode_tornado;

const struct hv_mode *const hv_modes[] = {
  &hv_mode_native,
  &hv_mode_vkernel,
  &hv_mode_xen_pv,
  &hv_mode_hvm_shadow,
  &hv_mode_hvm_nested,
  &hv_mode_exokernel,
  &hv_mode_spin,
  &hv_mode_tornado,
  NULL,
};

const struct hv_mode *hv_find_mode(const char *name) {
  for (int i = 0; hv_modes[i]; i++)
    if (!strcmp(hv_modes[i]->name, name)) return hv_modes[i];
  return NULL;
}

/* Runtime settings: one thread count reaches OpenMP and OpenBLAS; library facts are
 * readable. (The OpenBLAS core re-exec needs a misdetected CPU; it is not run here.) */
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../kernels/runtime.h"

int main(void) {
    runtime_set_threads(1);
    CHECK(runtime_threads() == 1 && runtime_openblas_threads() == 1, "1 thread: omp %d, openblas %d",
          runtime_threads(), runtime_openblas_threads());
    runtime_set_threads(0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(runtime_threads() == cores, "all cores: omp %d, online %ld", runtime_threads(), cores);
    CHECK(runtime_openblas_threads() >= 1, "openblas threads %d", runtime_openblas_threads());
    runtime_init((char *[]){ "test_runtime", NULL }, 1);
    runtime_fix_openblas_core();   /* keep: returns */
    CHECK(runtime_openblas_core() && *runtime_openblas_core(), "openblas core name");
    const char *v = runtime_onednn_version();
    CHECK(v && strchr(v, '.') && v[0] >= '1' && v[0] <= '9', "onednn version '%s'", v);
    CHECK(strcmp(runtime_onednn_isa(), "unknown") != 0, "onednn isa '%s'", runtime_onednn_isa());
    return check_done("test_runtime");
}

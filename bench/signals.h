/* SIGINT/SIGTERM during a long run: finish the current measurement, write what was
 * measured with "complete": false, and exit 130. A second signal kills at once. */
#ifndef SHIFTBENCH_SIGNALS_H
#define SHIFTBENCH_SIGNALS_H

#define EXIT_INTERRUPTED 130

void signals_install(void);  /* idempotent */
int interrupted(void);       /* 1 once SIGINT or SIGTERM arrived */
void signals_clear(void);    /* forget an earlier signal (tests) */

#endif

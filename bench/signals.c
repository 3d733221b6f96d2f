#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t flag;

static void on_signal(int sig) {
    (void)sig;
    flag = 1;
}

void signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: the first signal asks for a clean stop, the second one kills. */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int interrupted(void) { return flag != 0; }

void signals_clear(void) { flag = 0; }

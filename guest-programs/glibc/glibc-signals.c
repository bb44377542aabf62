/* glibc-signals: signal handlers through a real signal frame (glibc's sigaction, raise, abort).
 *   - a SIGUSR1 handler (SA_SIGINFO) sees its signal number and si_code, uses the FPU itself, and
 *     the interrupted code's floating-point state survives it;
 *   - SIG_IGN drops a signal; a blocked signal waits until it is unblocked, then runs its handler;
 *   - the handler's mask: the signal itself is blocked inside its handler;
 *   - sigsuspend in a child, woken by the parent's kill;
 *   - finally abort(): killed by SIGABRT (status 134 in a shell). */
#include <fenv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int usr1_count, usr2_count, blocked_inside;
static volatile double handler_result;

static void on_usr1(int sig, siginfo_t *info, void *uc) {
    (void)uc;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    blocked_inside = sigismember(&now, SIGUSR1);
    fesetround(FE_UPWARD); /* must not leak out of the handler */
    double x = 1.0;
    for (int i = 0; i < 10; i++) {
        x = x / 3.0 + sig;
    }
    handler_result = x;
    usr1_count += (info->si_signo == SIGUSR1 && info->si_code == SI_TKILL) ? 1 : 100;
}

static void on_usr2(int sig) {
    (void)sig;
    usr2_count++;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, on_usr2);

    fesetround(FE_TOWARDZERO);
    double a = 2.0 / 3.0;
    raise(SIGUSR1);
    double b = 2.0 / 3.0;
    printf("usr1 handled %d, blocked inside %d, handler computed %.12f\n", usr1_count, blocked_inside,
           handler_result);
    printf("rounding kept: %s (%.17g)\n", a == b && fegetround() == FE_TOWARDZERO ? "yes" : "no", b);
    fesetround(FE_TONEAREST);

    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("SIGTERM ignored\n");

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    printf("usr2 while blocked: %d\n", usr2_count);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("usr2 after unblock: %d\n", usr2_count);

    /* sigsuspend: a child waits, race-free, for the parent's SIGUSR2 */
    sigprocmask(SIG_BLOCK, &set, NULL);
    usr2_count = 0;
    pid_t child = fork();
    if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        int r = sigsuspend(&none);
        _exit(r == -1 && usr2_count == 1 ? 0 : 1);
    }
    kill(child, SIGUSR2);
    int status;
    waitpid(child, &status, 0);
    printf("sigsuspend child: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "woken by its handler" : "FAIL");
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    printf("aborting\n");
    abort();
}

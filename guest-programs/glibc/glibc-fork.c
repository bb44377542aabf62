/* glibc-fork: processes on glibc: fork with copy-on-write, pipes, dup2, execve, wait4/waitpid,
 * waitid, kill, SIGCHLD and SIGPIPE. Prints the same natively and under pagelab.
 *   glibc-fork            runs every check
 *   glibc-fork exec N     (used by the check itself) prints its argv and exits N */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int counter = 100;
static volatile int sigchld_count;

static void on_chld(int sig) {
    (void)sig;
    sigchld_count++;
}

static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) {
        exit(1);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "exec") == 0) {
        if (strcmp(argv[0], "spawned") != 0) { /* a spawned child races its parent's output */
            printf("exec'd: argv[0]=%s argv[2]=%s\n", argv[0], argv[2]);
        }
        return atoi(argv[2]);
    }
    signal(SIGCHLD, on_chld);

    /* fork + copy-on-write of data, heap and an anonymous private mapping */
    char *heap = malloc(64);
    strcpy(heap, "parent heap");
    char *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(anon, "parent anon");
    pid_t pid = fork();
    if (pid == 0) {
        counter = 200;
        strcpy(heap, "child heap");
        strcpy(anon, "child anon");
        printf("child: counter %d, %s, %s, ppid is parent: %s\n", counter, heap, anon,
               getppid() > 0 ? "yes" : "no");
        _exit(3);
    }
    int status;
    check(waitpid(pid, &status, 0) == pid, "waitpid returns the child");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "child exit status 3");
    check(counter == 100 && strcmp(heap, "parent heap") == 0 && strcmp(anon, "parent anon") == 0,
          "parent's data, heap and mapping unchanged by the child's stores");
    counter++;
    check(counter == 101, "parent can still write its own copy");

    /* MAP_SHARED|MAP_ANONYMOUS stays shared across fork */
    volatile int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shm[0] = 1;
    pid = fork();
    if (pid == 0) {
        shm[1] = shm[0] + 41;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    check(shm[1] == 42, "a shared anonymous mapping is shared with the child");

    /* a pipe from child to parent, through dup2 onto stdout */
    int fds[2];
    check(pipe(fds) == 0, "pipe");
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        close(fds[1]);
        for (int i = 0; i < 3000; i++) {
            printf("line %d\n", i);
        }
        _exit(0);
    }
    close(fds[1]);
    char buf[4096];
    long total = 0;
    int lines = 0;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        total += n;
        for (ssize_t i = 0; i < n; i++) {
            lines += buf[i] == '\n';
        }
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    printf("read %ld bytes, %d lines through the pipe\n", total, lines);

    /* execve of this program: argv, exit status */
    pid = fork();
    if (pid == 0) {
        char *args[] = {"renamed", "exec", "7", NULL};
        execv("/proc/self/exe", args);
        perror("execv");
        _exit(127);
    }
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "exec'd child exits 7");

    /* posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) on a stack of its own, then exec) */
    char *spawn_args[] = {"spawned", "exec", "9", NULL};
    extern char **environ;
    check(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, spawn_args, environ) == 0, "posix_spawn");
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 9, "spawned child exits 9");

    /* kill a child blocked reading an empty pipe; waitid reports the signal */
    check(pipe(fds) == 0, "second pipe");
    pid = fork();
    if (pid == 0) {
        close(fds[1]);
        char c;
        read(fds[0], &c, 1);
        _exit(0);
    }
    close(fds[0]);
    sched_yield();
    kill(pid, SIGTERM);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    check(waitid(P_PID, pid, &info, WEXITED) == 0, "waitid");
    check(info.si_pid == pid && info.si_code == CLD_KILLED && info.si_status == SIGTERM,
          "waitid: killed by SIGTERM");
    close(fds[1]);

    /* SIGPIPE: writing to a pipe without a reader */
    check(pipe(fds) == 0, "third pipe");
    close(fds[0]); /* no reader anywhere */
    pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL); /* the native test harness may have started us with it ignored */
        write(fds[1], "x", 1);
        _exit(0);
    }
    close(fds[1]);
    waitpid(pid, &status, 0);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE, "writer without a reader dies of SIGPIPE");
    signal(SIGPIPE, SIG_IGN);
    check(pipe(fds) == 0, "fourth pipe");
    close(fds[0]);
    check(write(fds[1], "x", 1) == -1 && errno == EPIPE, "with SIGPIPE ignored: EPIPE");

    /* no children left */
    check(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "ECHILD with no children");
    printf("SIGCHLD handled %s\n", sigchld_count >= 1 ? "yes" : "no");
    printf("done\n");
    return 0;
}
